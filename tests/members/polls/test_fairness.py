from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from meetings.recurrence import expand
from members.polls import fairness
from members.polls.fairness import DayPart, Moved, Voter

UTC_ZONE = ZoneInfo("UTC")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
HOUR_AND_A_HALF = timedelta(minutes=90)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 6, 1, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "length", "part"),
    [
        (at(0), HOUR_AND_A_HALF, DayPart.NIGHT),
        (at(5, 30), HOUR_AND_A_HALF, DayPart.NIGHT),
        (at(6), HOUR_AND_A_HALF, DayPart.EARLY),
        (at(7, 59), HOUR_AND_A_HALF, DayPart.EARLY),
        (at(8), HOUR_AND_A_HALF, DayPart.DAY),
        (at(19, 30), HOUR_AND_A_HALF, DayPart.DAY),
        (at(19, 31), HOUR_AND_A_HALF, DayPart.LATE),
        (at(22, 30), HOUR_AND_A_HALF, DayPart.LATE),
        (at(22, 31), HOUR_AND_A_HALF, DayPart.NIGHT),
        (at(23), timedelta(hours=8), DayPart.NIGHT),
    ],
)
def test_a_meeting_is_placed_in_the_day_by_the_hours_it_covers(start, length, part):
    assert fairness.part_of_day(start, length, UTC_ZONE) is part


def test_a_slot_in_everyones_day_is_perfectly_fair():
    assert fairness.fairness_score([DayPart.DAY, DayPart.DAY]) == 100


def test_a_slot_in_everyones_night_scores_nothing():
    assert fairness.fairness_score([DayPart.NIGHT] * 3) == 0


def test_one_night_weighs_three_times_an_early_morning():
    assert fairness.fairness_score([DayPart.NIGHT, DayPart.DAY, DayPart.DAY]) == 67
    assert fairness.fairness_score([DayPart.EARLY, DayPart.DAY, DayPart.DAY]) == 89
    assert fairness.fairness_score([DayPart.EARLY, DayPart.LATE, DayPart.EARLY]) == 67


def test_no_voters_burden_no_one():
    assert fairness.fairness_score([]) == 100


# --- the DST week of 28 March 2027: London springs forward; New York already has; Sydney
# --- goes back a week later.

SATURDAY = datetime(2027, 3, 27, 13, tzinfo=UTC)
MONDAY = datetime(2027, 3, 29, 13, tzinfo=UTC)
VOTERS = [
    Voter(key="lon", name="Lon", zone=LONDON),
    Voter(key="nyc", name="Ny", zone=NEW_YORK),
    Voter(key="syd", name="Syd", zone=SYDNEY),
]


def grid(choices=None):
    return fairness.results(
        slots=[SATURDAY, MONDAY],
        voters=VOTERS,
        choices=choices or {},
        length=timedelta(minutes=60),
    )


def local_hours(slot):
    return [(cell.local.strftime("%a %H:%M"), cell.part) for cell in slot.cells]


def test_the_same_utc_slots_read_in_each_voters_clock_across_the_change():
    saturday, monday = grid().slots

    assert local_hours(saturday) == [
        ("Sat 13:00", DayPart.DAY),
        ("Sat 09:00", DayPart.DAY),
        ("Sun 00:00", DayPart.NIGHT),
    ]
    assert local_hours(monday) == [
        ("Mon 14:00", DayPart.DAY),
        ("Mon 09:00", DayPart.DAY),
        ("Tue 00:00", DayPart.NIGHT),
    ]
    assert (saturday.nights, saturday.fairness) == (1, 67)


def test_sydney_going_back_turns_a_morning_slot_into_an_early_one():
    before = datetime(2027, 4, 2, 21, tzinfo=UTC)
    after = datetime(2027, 4, 3, 21, tzinfo=UTC)

    found = fairness.results(
        slots=[before, after], voters=VOTERS[2:], choices={}, length=HOUR_AND_A_HALF
    )

    assert [local_hours(slot) for slot in found.slots] == [
        [("Sat 08:00", DayPart.DAY)],
        [("Sun 07:00", DayPart.EARLY)],
    ]


def test_counts_each_vote_and_marks_the_best_slots_by_votes_and_by_fairness():
    evening = datetime(2027, 3, 29, 21, tzinfo=UTC)  # London 22:00, New York 17:00, Sydney 08:00
    choices = {
        ("lon", MONDAY): "yes",
        ("nyc", MONDAY): "yes",
        ("syd", MONDAY): "if_need_be",
        ("lon", evening): "if_need_be",
        ("nyc", evening): "yes",
        ("syd", evening): "yes",
    }
    found = fairness.results(
        slots=[MONDAY, evening], voters=VOTERS, choices=choices, length=timedelta(minutes=60)
    )

    monday, later = found.slots
    assert (monday.yes, monday.if_need_be, monday.no, monday.nights) == (2, 1, 0, 1)
    assert (later.yes, later.if_need_be, later.nights, later.fairness) == (2, 1, 0, 89)
    # Equal yes and if-need-be: the fairer slot wins by votes too; by fairness, clearly.
    assert found.best_by_votes is later
    assert found.best_by_fairness is later


def test_more_yes_votes_win_by_votes_while_the_fairer_slot_wins_by_fairness():
    choices = {("lon", SATURDAY): "yes", ("nyc", SATURDAY): "yes", ("syd", SATURDAY): "yes"}
    evening = datetime(2027, 3, 29, 21, tzinfo=UTC)

    found = fairness.results(
        slots=[SATURDAY, evening], voters=VOTERS, choices=choices, length=timedelta(minutes=60)
    )

    assert found.best_by_votes.starts_at == SATURDAY
    assert found.best_by_fairness.starts_at == evening


def test_no_slot_is_best_before_anyone_voted():
    found = fairness.results(slots=[MONDAY], voters=[], choices={}, length=HOUR_AND_A_HALF)

    assert found.best_by_votes is None
    assert found.best_by_fairness is None


# --- a recurring slot across the year ------------------------------------------------------


def weekly_in_london(first: datetime) -> list[datetime]:
    rule = fairness.recurring_rule(first, anchor=LONDON, frequency="weekly")
    day, clock = fairness.first_local(first, LONDON)
    return expand(
        rule,
        start_date=day,
        start_time=clock,
        anchor=LONDON,
        after=first,
        before=fairness.twelve_months_after(first),
    )


def moves(zone: ZoneInfo) -> list[tuple[str, str, Moved]]:
    starts = weekly_in_london(datetime(2027, 3, 22, 14, tzinfo=UTC))
    year = fairness.year_of_starts(starts, anchor=LONDON, zone=zone, length=HOUR_AND_A_HALF)
    return [
        (
            occurrence.local.strftime("%Y-%m-%d"),
            occurrence.local.strftime("%H:%M"),
            occurrence.moved,
        )
        for occurrence in year
        if occurrence.moved
    ]


def test_a_weekly_slot_anchored_in_london_keeps_londons_clock():
    assert moves(LONDON) == []


def test_new_york_sees_it_move_when_london_changes_and_when_new_york_does():
    assert moves(NEW_YORK) == [
        ("2027-03-29", "09:00", Moved.ANCHOR_CLOCKS),
        ("2027-11-01", "10:00", Moved.ANCHOR_CLOCKS),
        ("2027-11-08", "09:00", Moved.THEIR_CLOCKS),
        ("2028-03-13", "10:00", Moved.THEIR_CLOCKS),
    ]


def test_sydney_sees_both_clocks_move_it_through_the_year():
    assert moves(SYDNEY) == [
        ("2027-03-30", "00:00", Moved.ANCHOR_CLOCKS),
        ("2027-04-05", "23:00", Moved.THEIR_CLOCKS),
        ("2027-10-05", "00:00", Moved.THEIR_CLOCKS),
        ("2027-11-02", "01:00", Moved.ANCHOR_CLOCKS),
    ]


def test_a_move_that_both_clocks_made_names_both():
    # A fortnightly slot at 14:00 in London: between these two starts London went forward
    # (28 March) and Sydney went back (4 April).
    starts = [datetime(2027, 3, 27, 14, tzinfo=UTC), datetime(2027, 4, 10, 13, tzinfo=UTC)]

    year = fairness.year_of_starts(starts, anchor=LONDON, zone=SYDNEY, length=HOUR_AND_A_HALF)

    assert [(o.local.strftime("%H:%M"), o.moved) for o in year] == [
        ("01:00", None),
        ("23:00", Moved.BOTH),
    ]


def test_clocks_that_change_together_do_not_move_it():
    starts = [datetime(2027, 3, 27, 12, tzinfo=UTC), datetime(2027, 3, 28, 11, tzinfo=UTC)]

    year = fairness.year_of_starts(
        starts, anchor=ZoneInfo("Europe/Berlin"), zone=LONDON, length=HOUR_AND_A_HALF
    )

    assert [occurrence.moved for occurrence in year] == [None, None]


def test_a_monthly_slot_repeats_on_the_same_weekday_of_the_month():
    second_monday = datetime(2027, 4, 12, 13, tzinfo=UTC)
    fifth_wednesday = datetime(2027, 3, 31, 13, tzinfo=UTC)

    assert fairness.recurring_rule(second_monday, anchor=LONDON, frequency="monthly") == (
        "FREQ=MONTHLY;BYDAY=2MO"
    )
    assert fairness.recurring_rule(fifth_wednesday, anchor=LONDON, frequency="monthly") == (
        "FREQ=MONTHLY;BYDAY=-1WE"
    )
