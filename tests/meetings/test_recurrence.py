from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from meetings.recurrence import (
    RuleError,
    describe_rule,
    expand,
    first_local_occurrence,
    normalize_rule,
    rule_parts,
    to_utc,
    validate_series_rule,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
AUCKLAND = ZoneInfo("Pacific/Auckland")
UTC_ZONE = ZoneInfo("UTC")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def wall(*args: int) -> datetime:
    """A naive wall-clock time, as the rule is expanded in the anchor zone."""
    return datetime(*args)  # noqa: DTZ001


# The Sundays on which clocks change in 2024, with the zone that changes.
DST_SUNDAYS = [
    pytest.param(BERLIN, date(2024, 3, 31), id="europe-spring-last-sunday-of-march"),
    pytest.param(BERLIN, date(2024, 10, 27), id="europe-autumn-last-sunday-of-october"),
    pytest.param(NEW_YORK, date(2024, 3, 10), id="us-spring-second-sunday-of-march"),
    pytest.param(NEW_YORK, date(2024, 11, 3), id="us-autumn-first-sunday-of-november"),
    pytest.param(SYDNEY, date(2024, 4, 7), id="sydney-autumn-first-sunday-of-april"),
    pytest.param(SYDNEY, date(2024, 10, 6), id="sydney-spring-first-sunday-of-october"),
    pytest.param(AUCKLAND, date(2024, 4, 7), id="auckland-autumn-first-sunday-of-april"),
    pytest.param(AUCKLAND, date(2024, 9, 29), id="auckland-spring-last-sunday-of-september"),
]


# --- expand: UTC-anchored series ---------------------------------------------------------


@pytest.mark.parametrize(("changing_zone", "sunday"), DST_SUNDAYS)
def test_utc_anchored_series_stays_at_the_same_utc_time_across_a_clock_change(
    changing_zone, sunday
):
    week_before = sunday - timedelta(days=7)
    week_after = sunday + timedelta(days=7)

    starts = expand(
        "FREQ=WEEKLY;BYDAY=SU",
        start_date=week_before,
        start_time=time(14, 0),
        anchor=UTC_ZONE,
        after=utc(week_before.year, week_before.month, week_before.day),
        before=utc(week_after.year, week_after.month, week_after.day, 23, 59),
    )

    assert starts == [
        utc(day.year, day.month, day.day, 14, 0) for day in (week_before, sunday, week_after)
    ]
    # The zone's clocks did change in between: its members see the meeting move.
    offsets = [start.astimezone(changing_zone).utcoffset() for start in starts]
    assert offsets[0] != offsets[1]
    assert offsets[1] == offsets[2]


def test_utc_anchored_daily_series_lists_every_day_at_14_utc_through_the_european_change():
    starts = expand(
        "FREQ=DAILY",
        start_date=date(2024, 3, 29),
        start_time=time(14, 0),
        anchor=UTC_ZONE,
        after=utc(2024, 3, 29),
        before=utc(2024, 4, 3),
    )

    assert starts == [
        utc(2024, 3, 29, 14, 0),
        utc(2024, 3, 30, 14, 0),
        utc(2024, 3, 31, 14, 0),
        utc(2024, 4, 1, 14, 0),
        utc(2024, 4, 2, 14, 0),
    ]


# --- expand: wall-clock-anchored series --------------------------------------------------


def test_berlin_series_keeps_10_berlin_time_in_the_week_clocks_go_forward():
    starts = expand(
        "FREQ=WEEKLY;BYDAY=SU",
        start_date=date(2024, 3, 24),
        start_time=time(10, 0),
        anchor=BERLIN,
        after=utc(2024, 3, 1),
        before=utc(2024, 4, 8),
    )

    assert starts == [
        utc(2024, 3, 24, 9, 0),  # CET, UTC+1
        utc(2024, 3, 31, 8, 0),  # CEST from 02:00 that morning, UTC+2
        utc(2024, 4, 7, 8, 0),
    ]
    assert {start.astimezone(BERLIN).time() for start in starts} == {time(10, 0)}


def test_berlin_series_keeps_10_berlin_time_in_the_week_clocks_go_back():
    starts = expand(
        "FREQ=WEEKLY;BYDAY=SU",
        start_date=date(2024, 10, 20),
        start_time=time(10, 0),
        anchor=BERLIN,
        after=utc(2024, 10, 1),
        before=utc(2024, 11, 4),
    )

    assert starts == [
        utc(2024, 10, 20, 8, 0),  # CEST
        utc(2024, 10, 27, 9, 0),  # CET from 03:00 that morning
        utc(2024, 11, 3, 9, 0),
    ]


def test_berlin_monday_series_is_at_09_utc_in_winter_and_08_utc_in_summer():
    starts = expand(
        "FREQ=WEEKLY;BYDAY=MO",
        start_date=date(2024, 3, 18),
        start_time=time(10, 0),
        anchor=BERLIN,
        after=utc(2024, 3, 18),
        before=utc(2024, 4, 2),
    )

    assert starts == [utc(2024, 3, 18, 9, 0), utc(2024, 3, 25, 9, 0), utc(2024, 4, 1, 8, 0)]


def test_new_york_series_keeps_10_local_time_across_the_march_change():
    starts = expand(
        "FREQ=WEEKLY;BYDAY=SU",
        start_date=date(2024, 3, 3),
        start_time=time(10, 0),
        anchor=NEW_YORK,
        after=utc(2024, 3, 1),
        before=utc(2024, 3, 18),
    )

    assert starts == [
        utc(2024, 3, 3, 15, 0),  # EST, UTC-5
        utc(2024, 3, 10, 14, 0),  # EDT from 02:00 that morning, UTC-4
        utc(2024, 3, 17, 14, 0),
    ]


def test_new_york_series_keeps_10_local_time_across_the_november_change():
    starts = expand(
        "FREQ=WEEKLY;BYDAY=SU",
        start_date=date(2024, 10, 27),
        start_time=time(10, 0),
        anchor=NEW_YORK,
        after=utc(2024, 10, 1),
        before=utc(2024, 11, 11),
    )

    assert starts == [
        utc(2024, 10, 27, 14, 0),  # EDT
        utc(2024, 11, 3, 15, 0),  # EST from 02:00 that morning
        utc(2024, 11, 10, 15, 0),
    ]


def test_sydney_series_keeps_10_local_time_when_clocks_go_back_in_april():
    starts = expand(
        "FREQ=WEEKLY;BYDAY=SU",
        start_date=date(2024, 3, 31),
        start_time=time(10, 0),
        anchor=SYDNEY,
        after=utc(2024, 3, 1),
        before=utc(2024, 4, 15),
    )

    assert starts == [
        utc(2024, 3, 30, 23, 0),  # AEDT, UTC+11: the previous day in UTC
        utc(2024, 4, 7, 0, 0),  # AEST from 03:00 that morning, UTC+10
        utc(2024, 4, 14, 0, 0),
    ]


def test_sydney_series_keeps_10_local_time_when_clocks_go_forward_in_october():
    starts = expand(
        "FREQ=WEEKLY;BYDAY=SU",
        start_date=date(2024, 9, 29),
        start_time=time(10, 0),
        anchor=SYDNEY,
        after=utc(2024, 9, 1),
        before=utc(2024, 10, 14),
    )

    assert starts == [
        utc(2024, 9, 29, 0, 0),  # AEST
        utc(2024, 10, 5, 23, 0),  # AEDT from 02:00 that morning
        utc(2024, 10, 12, 23, 0),
    ]


def test_auckland_series_keeps_10_local_time_when_clocks_go_back_in_april():
    starts = expand(
        "FREQ=WEEKLY;BYDAY=SU",
        start_date=date(2024, 3, 31),
        start_time=time(10, 0),
        anchor=AUCKLAND,
        after=utc(2024, 3, 1),
        before=utc(2024, 4, 15),
    )

    assert starts == [
        utc(2024, 3, 30, 21, 0),  # NZDT, UTC+13
        utc(2024, 4, 6, 22, 0),  # NZST from 03:00 that morning, UTC+12
        utc(2024, 4, 13, 22, 0),
    ]


def test_auckland_series_keeps_10_local_time_when_clocks_go_forward_in_september():
    starts = expand(
        "FREQ=WEEKLY;BYDAY=SU",
        start_date=date(2024, 9, 22),
        start_time=time(10, 0),
        anchor=AUCKLAND,
        after=utc(2024, 9, 1),
        before=utc(2024, 10, 7),
    )

    assert starts == [
        utc(2024, 9, 21, 22, 0),  # NZST
        utc(2024, 9, 28, 21, 0),  # NZDT from 02:00 that morning
        utc(2024, 10, 5, 21, 0),
    ]


# --- expand: the window and the rule's own limits ----------------------------------------


def test_expand_includes_a_start_equal_to_after_and_excludes_one_equal_to_before():
    starts = expand(
        "FREQ=DAILY",
        start_date=date(2024, 1, 1),
        start_time=time(14, 0),
        anchor=UTC_ZONE,
        after=utc(2024, 1, 2, 14, 0),
        before=utc(2024, 1, 4, 14, 0),
    )

    assert starts == [utc(2024, 1, 2, 14, 0), utc(2024, 1, 3, 14, 0)]


def test_expand_yields_nothing_before_the_series_start_date():
    starts = expand(
        "FREQ=DAILY",
        start_date=date(2024, 1, 10),
        start_time=time(14, 0),
        anchor=UTC_ZONE,
        after=utc(2024, 1, 1),
        before=utc(2024, 1, 12),
    )

    assert starts == [utc(2024, 1, 10, 14, 0), utc(2024, 1, 11, 14, 0)]


def test_expand_finds_a_sydney_morning_meeting_whose_utc_day_is_before_the_window_day():
    # 09:00 in Sydney on 2 January is 22:00 UTC on 1 January.
    starts = expand(
        "FREQ=DAILY",
        start_date=date(2024, 1, 1),
        start_time=time(9, 0),
        anchor=SYDNEY,
        after=utc(2024, 1, 1, 12, 0),
        before=utc(2024, 1, 2, 12, 0),
    )

    assert starts == [utc(2024, 1, 1, 22, 0)]


def test_expand_stops_after_count_meetings():
    starts = expand(
        "FREQ=WEEKLY;COUNT=3",
        start_date=date(2024, 1, 1),
        start_time=time(14, 0),
        anchor=UTC_ZONE,
        after=utc(2024, 1, 1),
        before=utc(2025, 1, 1),
    )

    assert starts == [utc(2024, 1, 1, 14, 0), utc(2024, 1, 8, 14, 0), utc(2024, 1, 15, 14, 0)]


def test_expand_includes_the_whole_until_day_when_until_is_a_date():
    starts = expand(
        "FREQ=DAILY;UNTIL=20240103",
        start_date=date(2024, 1, 1),
        start_time=time(23, 0),
        anchor=BERLIN,
        after=utc(2023, 12, 1),
        before=utc(2024, 2, 1),
    )

    assert starts == [utc(2024, 1, 1, 22, 0), utc(2024, 1, 2, 22, 0), utc(2024, 1, 3, 22, 0)]


def test_expand_reads_a_utc_until_in_the_anchor_zone():
    # 08:00 UTC on 31 March is 10:00 CEST, so the meeting that day is the last one.
    starts = expand(
        "FREQ=DAILY;UNTIL=20240331T080000Z",
        start_date=date(2024, 3, 29),
        start_time=time(10, 0),
        anchor=BERLIN,
        after=utc(2024, 3, 1),
        before=utc(2024, 5, 1),
    )

    assert starts == [utc(2024, 3, 29, 9, 0), utc(2024, 3, 30, 9, 0), utc(2024, 3, 31, 8, 0)]


def test_expand_refuses_naive_window_bounds():
    with pytest.raises(ValueError, match="after and before must be aware datetimes"):
        expand(
            "FREQ=DAILY",
            start_date=date(2024, 1, 1),
            start_time=time(14, 0),
            anchor=UTC_ZONE,
            after=wall(2024, 1, 1, 0, 0),
            before=utc(2024, 2, 1),
        )


# --- expand: monthly and yearly rules ----------------------------------------------------


def test_second_monday_of_each_month():
    starts = expand(
        "FREQ=MONTHLY;BYDAY=2MO",
        start_date=date(2024, 1, 1),
        start_time=time(14, 0),
        anchor=UTC_ZONE,
        after=utc(2024, 1, 1),
        before=utc(2024, 7, 1),
    )

    assert starts == [
        utc(2024, 1, 8, 14, 0),
        utc(2024, 2, 12, 14, 0),
        utc(2024, 3, 11, 14, 0),
        utc(2024, 4, 8, 14, 0),
        utc(2024, 5, 13, 14, 0),
        utc(2024, 6, 10, 14, 0),
    ]


def test_last_friday_of_each_month():
    starts = expand(
        "FREQ=MONTHLY;BYDAY=-1FR",
        start_date=date(2024, 1, 1),
        start_time=time(14, 0),
        anchor=UTC_ZONE,
        after=utc(2024, 1, 1),
        before=utc(2024, 7, 1),
    )

    assert starts == [
        utc(2024, 1, 26, 14, 0),
        utc(2024, 2, 23, 14, 0),
        utc(2024, 3, 29, 14, 0),
        utc(2024, 4, 26, 14, 0),
        utc(2024, 5, 31, 14, 0),
        utc(2024, 6, 28, 14, 0),
    ]


def test_fifth_monday_skips_months_that_have_only_four():
    starts = expand(
        "FREQ=MONTHLY;BYDAY=5MO",
        start_date=date(2024, 1, 1),
        start_time=time(14, 0),
        anchor=UTC_ZONE,
        after=utc(2024, 1, 1),
        before=utc(2025, 1, 1),
    )

    assert starts == [
        utc(2024, 1, 29, 14, 0),
        utc(2024, 4, 29, 14, 0),
        utc(2024, 7, 29, 14, 0),
        utc(2024, 9, 30, 14, 0),
        utc(2024, 12, 30, 14, 0),
    ]


def test_second_monday_in_berlin_follows_berlin_summer_time():
    starts = expand(
        "FREQ=MONTHLY;BYDAY=2MO",
        start_date=date(2024, 1, 1),
        start_time=time(10, 0),
        anchor=BERLIN,
        after=utc(2024, 1, 1),
        before=utc(2024, 5, 1),
    )

    assert starts == [
        utc(2024, 1, 8, 9, 0),
        utc(2024, 2, 12, 9, 0),
        utc(2024, 3, 11, 9, 0),
        utc(2024, 4, 8, 8, 0),
    ]


def test_leap_day_rule_yields_only_leap_years():
    starts = expand(
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        start_date=date(2023, 3, 1),
        start_time=time(14, 0),
        anchor=UTC_ZONE,
        after=utc(2023, 1, 1),
        before=utc(2030, 1, 1),
    )

    assert starts == [utc(2024, 2, 29, 14, 0), utc(2028, 2, 29, 14, 0)]


# --- the missing and the repeated local hour ---------------------------------------------


def test_daily_meeting_at_0230_berlin_moves_to_0330_on_the_night_clocks_go_forward():
    starts = expand(
        "FREQ=DAILY",
        start_date=date(2024, 3, 30),
        start_time=time(2, 30),
        anchor=BERLIN,
        after=utc(2024, 3, 29),
        before=utc(2024, 4, 2),
    )

    assert starts == [
        utc(2024, 3, 30, 1, 30),  # 02:30 CET
        utc(2024, 3, 31, 1, 30),  # 02:30 does not exist: 03:30 CEST, as late as the gap
        utc(2024, 4, 1, 0, 30),  # 02:30 CEST
    ]
    assert starts[1].astimezone(BERLIN).time() == time(3, 30)


def test_daily_meeting_at_0230_berlin_takes_the_first_0230_on_the_night_clocks_go_back():
    starts = expand(
        "FREQ=DAILY",
        start_date=date(2024, 10, 26),
        start_time=time(2, 30),
        anchor=BERLIN,
        after=utc(2024, 10, 25),
        before=utc(2024, 10, 29),
    )

    assert starts == [
        utc(2024, 10, 26, 0, 30),  # 02:30 CEST
        utc(2024, 10, 27, 0, 30),  # the first 02:30, still CEST
        utc(2024, 10, 28, 1, 30),  # 02:30 CET
    ]


@pytest.mark.parametrize(
    ("local", "anchor", "expected"),
    [
        pytest.param(wall(2024, 3, 31, 2, 30), BERLIN, utc(2024, 3, 31, 1, 30), id="berlin-gap"),
        pytest.param(wall(2024, 10, 27, 2, 30), BERLIN, utc(2024, 10, 27, 0, 30), id="berlin-fold"),
        pytest.param(
            wall(2024, 3, 10, 2, 30), NEW_YORK, utc(2024, 3, 10, 7, 30), id="new-york-gap"
        ),
        pytest.param(
            wall(2024, 11, 3, 1, 30), NEW_YORK, utc(2024, 11, 3, 5, 30), id="new-york-fold"
        ),
        pytest.param(wall(2024, 10, 6, 2, 30), SYDNEY, utc(2024, 10, 5, 16, 30), id="sydney-gap"),
        pytest.param(wall(2024, 4, 7, 2, 30), SYDNEY, utc(2024, 4, 6, 15, 30), id="sydney-fold"),
        pytest.param(
            wall(2024, 6, 1, 12, 0),
            ZoneInfo("Asia/Kolkata"),
            utc(2024, 6, 1, 6, 30),
            id="kolkata-half-hour",
        ),
    ],
)
def test_to_utc_reads_a_gap_with_the_earlier_offset_and_a_fold_as_the_first(
    local, anchor, expected
):
    instant = to_utc(local, anchor)

    assert instant == expected
    assert instant.tzinfo is UTC


def test_to_utc_ignores_a_fold_already_set_on_the_local_time():
    instant = to_utc(datetime(2024, 10, 27, 2, 30, fold=1), BERLIN)  # noqa: DTZ001

    assert instant == utc(2024, 10, 27, 0, 30)


# --- normalize_rule ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FREQ=MONTHLY;BYDAY=2MO", "FREQ=MONTHLY;BYDAY=2MO"),
        ("RRULE:FREQ=MONTHLY;BYDAY=2MO", "FREQ=MONTHLY;BYDAY=2MO"),
        ("rrule:freq=monthly;byday=-1fr", "FREQ=MONTHLY;BYDAY=-1FR"),
        ("  freq=weekly ; interval=2 ; byday=mo,th ;", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH"),
        ("FREQ=DAILY;UNTIL=20241231T235959Z", "FREQ=DAILY;UNTIL=20241231T235959Z"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"),
    ],
)
def test_normalize_rule_returns_canonical_upper_case_text_without_prefix(text, expected):
    assert normalize_rule(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "", "Enter a recurrence rule, for example FREQ=MONTHLY;BYDAY=2MO.", id="empty"
        ),
        pytest.param(
            "RRULE:",
            "Enter a recurrence rule, for example FREQ=MONTHLY;BYDAY=2MO.",
            id="prefix-only",
        ),
        pytest.param(
            "DTSTART:20240101T100000\nRRULE:FREQ=DAILY",
            "Enter one RRULE line only, without DTSTART or EXDATE lines.",
            id="several-lines",
        ),
        pytest.param(
            "every monday", "“EVERY MONDAY” is not a NAME=VALUE rule part.", id="unparsable"
        ),
        pytest.param(
            "FREQ=WEEKLY;BYDAY=", "“BYDAY=” is not a NAME=VALUE rule part.", id="empty-value"
        ),
        pytest.param("BYDAY=MO", "The rule needs a FREQ, for example FREQ=WEEKLY.", id="no-freq"),
        pytest.param("FREQ=DAILY;FREQ=WEEKLY", "FREQ appears twice in the rule.", id="twice"),
        pytest.param(
            "FREQ=HOURLY",
            "FREQ=HOURLY is more frequent than daily; meetings repeat at most daily.",
            id="hourly",
        ),
        pytest.param(
            "FREQ=MINUTELY",
            "FREQ=MINUTELY is more frequent than daily; meetings repeat at most daily.",
            id="minutely",
        ),
        pytest.param(
            "FREQ=FORTNIGHTLY",
            "FREQ must be one of DAILY, WEEKLY, MONTHLY, YEARLY, not FORTNIGHTLY.",
            id="unknown-freq",
        ),
        pytest.param(
            "FREQ=DAILY;BYHOUR=9,17",
            "BYHOUR would repeat more than once a day; the start time comes from the "
            "series' start time instead.",
            id="byhour",
        ),
        pytest.param(
            "FREQ=DAILY;BYMINUTE=0;BYSECOND=0",
            "BYMINUTE, BYSECOND would repeat more than once a day; the start time comes from "
            "the series' start time instead.",
            id="byminute-bysecond",
        ),
        pytest.param("FREQ=YEARLY;BYWEEKNO=20", "Unsupported rule part: BYWEEKNO.", id="byweekno"),
        pytest.param("FREQ=WEEKLY;X-NAME=1", "Unsupported rule part: X-NAME.", id="x-part"),
        pytest.param(
            "FREQ=MONTHLY;BYDAY=9MO",
            "BYDAY=9MO: the number must be from 1 to 5 or -1 to -5.",
            id="ninth-monday",
        ),
        pytest.param(
            "FREQ=MONTHLY;BYDAY=0MO",
            "BYDAY=0MO: the number must be from 1 to 5 or -1 to -5.",
            id="zeroth-monday",
        ),
        pytest.param(
            "FREQ=YEARLY;BYDAY=54MO",
            "BYDAY=54MO: the number must be from 1 to 53 or -1 to -53.",
            id="54th-monday-of-year",
        ),
        pytest.param(
            "FREQ=WEEKLY;BYDAY=2MO",
            "BYDAY=2MO: a numbered weekday needs FREQ=MONTHLY or YEARLY.",
            id="numbered-weekly",
        ),
        pytest.param(
            "FREQ=WEEKLY;BYDAY=MONDAY",
            "BYDAY=MONDAY is not a weekday such as MO, 2MO or -1FR.",
            id="weekday-name",
        ),
        pytest.param(
            "FREQ=MONTHLY;BYMONTHDAY=32",
            "BYMONTHDAY=32 is not a day of the month (-31 to -1 or 1 to 31).",
            id="monthday-32",
        ),
        pytest.param(
            "FREQ=YEARLY;BYMONTH=13",
            "BYMONTH=13 is not a month number (1 to 12).",
            id="month-13",
        ),
        pytest.param(
            "FREQ=YEARLY;BYMONTH=-1",
            "BYMONTH=-1 is not a month number (1 to 12).",
            id="negative-month",
        ),
        pytest.param(
            "FREQ=DAILY;INTERVAL=0",
            "INTERVAL must be a whole number from 1 to 400, not 0.",
            id="interval-0",
        ),
        pytest.param(
            "FREQ=DAILY;INTERVAL=401",
            "INTERVAL must be a whole number from 1 to 400, not 401.",
            id="interval-401",
        ),
        pytest.param(
            "FREQ=DAILY;COUNT=0",
            "COUNT must be a whole number from 1 to 10000, not 0.",
            id="count-0",
        ),
        pytest.param(
            "FREQ=DAILY;INTERVAL=²",
            "INTERVAL must be a whole number from 1 to 400, not ².",
            id="interval-superscript-digit",
        ),
        pytest.param(
            "FREQ=MONTHLY;BYMONTHDAY=²",
            "BYMONTHDAY=² is not a day of the month (-31 to -1 or 1 to 31).",
            id="monthday-superscript-digit",
        ),
        pytest.param(
            "FREQ=WEEKLY;WKST=XX",
            "This is not a valid RRULE: invalid 'WKST': XX.",
            id="unknown-week-start",
        ),
        pytest.param(
            "FREQ=DAILY;COUNT=5;UNTIL=20241231",
            "Use COUNT or UNTIL, not both.",
            id="count-and-until",
        ),
        pytest.param(
            "FREQ=DAILY;UNTIL=NEXT-WEEK",
            "UNTIL=NEXT-WEEK is not a date (YYYYMMDD) or a UTC time (YYYYMMDDTHHMMSSZ).",
            id="until-not-a-date",
        ),
    ],
)
def test_normalize_rule_refuses_with_a_message_saying_why(text, message):
    with pytest.raises(RuleError) as caught:
        normalize_rule(text)

    assert str(caught.value) == message


@pytest.mark.parametrize(
    "until", ["99991231T235959Z", "00010101T000000Z", "19691231", "22010101T000000"]
)
def test_normalize_rule_refuses_an_until_outside_the_supported_years(until):
    with pytest.raises(RuleError) as caught:
        normalize_rule(f"FREQ=DAILY;UNTIL={until}")

    assert str(caught.value) == f"UNTIL={until} must fall in the years 1970 to 2200."


def test_rule_error_is_a_value_error():
    with pytest.raises(ValueError, match="The rule needs a FREQ"):
        normalize_rule("INTERVAL=2")


def test_rule_parts_splits_a_canonical_rule_in_order():
    assert rule_parts("FREQ=MONTHLY;INTERVAL=2;BYDAY=2MO") == {
        "FREQ": "MONTHLY",
        "INTERVAL": "2",
        "BYDAY": "2MO",
    }


# --- validate_series_rule and first_local_occurrence -------------------------------------


def test_validate_series_rule_accepts_a_rule_with_a_first_meeting_soon():
    validate_series_rule(
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        start_date=date(2025, 3, 1),
        start_time=time(14, 0),
        anchor=UTC_ZONE,
    )


NO_MEETING = (
    "This rule produces no meeting within 10 years of the start date "
    "(check the days, months, COUNT and UNTIL)."
)


@pytest.mark.parametrize(
    ("rule", "start_date"),
    [
        pytest.param("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", date(2024, 1, 1), id="yearly-30-feb"),
        pytest.param("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", date(2024, 1, 1), id="daily-30-feb"),
        pytest.param("FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=31", date(2024, 1, 1), id="31-april"),
        pytest.param("FREQ=DAILY;UNTIL=20231231", date(2024, 1, 1), id="until-before-start"),
        pytest.param(
            "FREQ=DAILY;UNTIL=20240101T120000Z", date(2024, 1, 1), id="until-before-start-time"
        ),
        pytest.param(
            "FREQ=YEARLY;INTERVAL=12;BYMONTH=2;BYMONTHDAY=29",
            date(2024, 3, 1),
            id="first-meeting-after-twelve-years",
        ),
    ],
)
def test_validate_series_rule_refuses_a_rule_without_a_meeting_in_ten_years(rule, start_date):
    with pytest.raises(RuleError) as caught:
        validate_series_rule(rule, start_date=start_date, start_time=time(14, 0), anchor=UTC_ZONE)

    assert str(caught.value) == NO_MEETING


@pytest.mark.parametrize("start_date", [date(1969, 12, 31), date(2201, 1, 1)])
def test_validate_series_rule_refuses_a_start_date_outside_the_supported_years(start_date):
    with pytest.raises(RuleError) as caught:
        validate_series_rule(
            "FREQ=DAILY", start_date=start_date, start_time=time(14, 0), anchor=UTC_ZONE
        )

    assert str(caught.value) == "The start date must fall between 1970 and 2200."


@pytest.mark.parametrize(
    ("rule", "start_date", "expected"),
    [
        ("FREQ=MONTHLY;BYDAY=2MO", date(2024, 1, 9), wall(2024, 2, 12, 10, 0)),
        (
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
            date(2024, 3, 1),
            wall(2028, 2, 29, 10, 0),
        ),
        (
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
            date(2097, 3, 1),
            wall(2104, 2, 29, 10, 0),  # 2100 is not a leap year
        ),
        ("FREQ=DAILY;UNTIL=20231231", date(2024, 1, 1), None),
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", date(2024, 1, 1), None),
    ],
)
def test_first_local_occurrence_is_the_first_wall_clock_start(rule, start_date, expected):
    first = first_local_occurrence(
        rule, start_date=start_date, start_time=time(10, 0), anchor=BERLIN
    )

    assert first == expected


# --- describe_rule -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "start_date", "expected"),
    [
        ("FREQ=MONTHLY;BYDAY=2MO", date(2024, 1, 8), "Every month on the second Monday"),
        ("FREQ=MONTHLY;BYDAY=-1FR", date(2024, 1, 26), "Every month on the last Friday"),
        (
            "FREQ=MONTHLY;BYDAY=-2TH",
            date(2024, 1, 18),
            "Every month on the second-to-last Thursday",
        ),
        ("FREQ=MONTHLY;BYDAY=5MO", date(2024, 1, 29), "Every month on the fifth Monday"),
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
            date(2024, 1, 1),
            "Every 2 weeks on Monday and Thursday",
        ),
        ("FREQ=WEEKLY", date(2024, 1, 3), "Every week on Wednesday"),
        (
            "FREQ=WEEKLY;BYDAY=MO,WE,FR",
            date(2024, 1, 1),
            "Every week on Monday, Wednesday and Friday",
        ),
        ("FREQ=DAILY", date(2024, 1, 1), "Every day"),
        ("FREQ=DAILY;INTERVAL=3", date(2024, 1, 1), "Every 3 days"),
        (
            "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
            date(2024, 1, 1),
            "Every Monday, Tuesday, Wednesday, Thursday and Friday",
        ),
        ("FREQ=MONTHLY", date(2024, 1, 15), "Every month on the 15th"),
        ("FREQ=MONTHLY;INTERVAL=3", date(2024, 1, 1), "Every 3 months on the 1st"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", date(2024, 1, 31), "Every month on the last day"),
        ("FREQ=MONTHLY;BYMONTHDAY=-3", date(2024, 1, 29), "Every month on the 3rd-to-last day"),
        ("FREQ=MONTHLY;BYMONTHDAY=2,22", date(2024, 1, 2), "Every month on the 2nd and the 22nd"),
        (
            "FREQ=MONTHLY;BYMONTHDAY=11,12,13",
            date(2024, 1, 11),
            "Every month on the 11th, the 12th and the 13th",
        ),
        ("FREQ=YEARLY", date(2024, 6, 21), "Every year on 21 June"),
        (
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
            date(2024, 2, 29),
            "Every year on the 29th in February",
        ),
        (
            "FREQ=YEARLY;BYMONTH=9;BYDAY=1MO",
            date(2024, 9, 2),
            "Every year on the first Monday in September",
        ),
        (
            "FREQ=YEARLY;BYMONTH=3,9",
            date(2024, 3, 5),
            "Every year on the 5th in March and September",
        ),
        ("FREQ=WEEKLY;COUNT=1", date(2024, 1, 1), "Every week on Monday, once"),
        ("FREQ=WEEKLY;COUNT=10", date(2024, 1, 1), "Every week on Monday, 10 times"),
        (
            "FREQ=MONTHLY;BYDAY=2MO;UNTIL=20241231",
            date(2024, 1, 8),
            "Every month on the second Monday, until 31 December 2024",
        ),
        (
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
            date(2024, 1, 31),
            "Every month, by the rule FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        ),
    ],
)
def test_describe_rule_says_the_rule_in_plain_words(rule, start_date, expected):
    assert describe_rule(rule, start_date=start_date) == expected
