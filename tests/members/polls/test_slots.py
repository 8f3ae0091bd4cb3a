from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from members.models import MAX_SLOTS
from members.polls import slots
from members.practice import BadInput

LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def test_a_wall_clock_time_is_kept_as_the_utc_instant_it_names():
    assert slots.local_to_utc(date(2027, 3, 29), time(14), LONDON) == datetime(
        2027, 3, 29, 13, tzinfo=UTC
    )


def test_a_time_the_clocks_skip_is_refused_with_the_reason():
    with pytest.raises(BadInput, match="does not exist in Europe/London"):
        slots.local_to_utc(date(2027, 3, 28), time(1, 30), LONDON)


def test_a_time_that_happens_twice_is_the_first_of_the_two():
    assert slots.local_to_utc(date(2027, 10, 31), time(1, 30), LONDON) == datetime(
        2027, 10, 31, 0, 30, tzinfo=UTC
    )


def test_the_same_time_on_each_day_follows_the_zones_clock_change():
    found = slots.on_each_day([date(2027, 3, 29), date(2027, 3, 27)], time(14), LONDON)

    assert found == [datetime(2027, 3, 27, 14, tzinfo=UTC), datetime(2027, 3, 29, 13, tzinfo=UTC)]


def test_around_the_clock_covers_the_day_from_local_midnight():
    found = slots.around_the_clock(date(2027, 6, 1), 6, SYDNEY)

    assert [slot.astimezone(SYDNEY).hour for slot in found] == [0, 6, 12, 18]
    assert found[0] == datetime(2027, 5, 31, 14, tzinfo=UTC)


def test_around_the_clock_on_a_short_day_gives_one_slot_less_not_two_at_once():
    found = slots.around_the_clock(date(2027, 3, 28), 1, LONDON)

    assert len(found) == 23
    assert len(set(found)) == 23


def test_around_the_clock_refuses_a_step_that_does_not_divide_the_day():
    with pytest.raises(BadInput, match="divides the day"):
        slots.around_the_clock(date(2027, 6, 1), 5, LONDON)


def test_lines_are_read_in_the_zone_and_blank_lines_skipped():
    found = slots.parse_lines("2027-03-29 14:00\n\n  2027-03-30 09:30 \n", LONDON)

    assert found == [
        datetime(2027, 3, 29, 13, tzinfo=UTC),
        datetime(2027, 3, 30, 8, 30, tzinfo=UTC),
    ]


def test_a_line_that_is_not_a_date_and_time_is_named_in_the_refusal():
    with pytest.raises(BadInput, match='Line 2, "next tuesday"'):
        slots.parse_lines("2027-03-29 14:00\nnext tuesday", LONDON)


def in_days(days: float) -> datetime:
    return NOW + timedelta(days=days)


def test_good_slots_come_back_in_order():
    assert slots.check_slots([in_days(3), in_days(2)], deadline=in_days(1), now=NOW) == [
        in_days(2),
        in_days(3),
    ]


@pytest.mark.parametrize(
    ("given", "deadline", "message"),
    [
        ([], 1, "at least one slot"),
        ([in_days(2 + n / 24) for n in range(MAX_SLOTS + 1)], 1, "at most 60 slots"),
        ([in_days(-1), in_days(2)], -2, "in the past"),
        ([in_days(2), in_days(2)], 1, "each slot must be a different time"),
        ([in_days(2), in_days(2) + timedelta(minutes=5)], 1, "too close"),
        ([in_days(2)], -0.5, "deadline is in the past"),
        ([in_days(2), in_days(5)], 3, "before the first slot"),
    ],
)
def test_bad_slots_are_refused_with_what_is_wrong(given, deadline, message):
    with pytest.raises(BadInput, match=message):
        slots.check_slots(given, deadline=in_days(deadline), now=NOW)


def test_sixty_slots_are_allowed():
    sixty = [in_days(2 + n / 24) for n in range(MAX_SLOTS)]

    assert len(slots.check_slots(sixty, deadline=in_days(1), now=NOW)) == MAX_SLOTS
