from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from meetings.display import (
    DayPart,
    LocalMeeting,
    anchor_explanation,
    day_part,
    format_day,
    format_range,
    format_short_day,
    group_by_local_day,
    has_clock_changes,
    localize,
    mark_clock_changes,
    next_sessions,
    offset_label,
    relative_start,
    series_for_viewer,
    series_schedule,
    world_times,
    zone_label,
)
from meetings.models import Meeting, Series

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
KOLKATA = ZoneInfo("Asia/Kolkata")
UTC_ZONE = ZoneInfo("UTC")
TOKYO = ZoneInfo("Asia/Tokyo")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_series(**fields) -> Series:
    values = {
        "slug": "copf",
        "name": "CoP-F",
        "rrule": "FREQ=WEEKLY;BYDAY=MO",
        "anchor_timezone": "UTC",
        "start_date": date(2024, 1, 1),
        "start_time": time(14, 0),
        "duration": timedelta(minutes=90),
    }
    values.update(fields)
    return Series(**values)


def make_meeting(
    starts_at: datetime, *, minutes: int = 90, series: Series | None = None
) -> Meeting:
    return Meeting(
        series=series,
        is_extra=series is None,
        title="CoP-F",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        original_start=starts_at,
    )


# --- zone and offset labels --------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(datetime(2024, 6, 1, 19, 30, tzinfo=KOLKATA), "IST", id="kolkata"),
        pytest.param(datetime(2024, 7, 1, 10, 0, tzinfo=BERLIN), "CEST", id="berlin-summer"),
        pytest.param(datetime(2024, 1, 15, 10, 0, tzinfo=BERLIN), "CET", id="berlin-winter"),
        pytest.param(datetime(2024, 1, 15, 9, 0, tzinfo=NEW_YORK), "EST", id="new-york-winter"),
        pytest.param(datetime(2024, 7, 1, 9, 0, tzinfo=NEW_YORK), "EDT", id="new-york-summer"),
        pytest.param(datetime(2024, 1, 15, 1, 0, tzinfo=SYDNEY), "AEDT", id="sydney-summer"),
        pytest.param(datetime(2024, 7, 1, 1, 0, tzinfo=SYDNEY), "AEST", id="sydney-winter"),
        pytest.param(utc(2024, 1, 15, 14, 0), "UTC", id="utc"),
        pytest.param(
            datetime(2024, 1, 15, 11, 0, tzinfo=ZoneInfo("America/Sao_Paulo")),
            "UTC−03",
            id="sao-paulo-has-no-abbreviation",
        ),
        pytest.param(
            datetime(2024, 1, 15, 22, 0, tzinfo=ZoneInfo("Asia/Singapore")),
            "UTC+08",
            id="singapore-has-no-abbreviation",
        ),
        pytest.param(
            datetime(2024, 1, 15, 19, 45, tzinfo=ZoneInfo("Asia/Kathmandu")),
            "UTC+05:45",
            id="kathmandu-quarter-hour",
        ),
    ],
)
def test_zone_label_is_the_abbreviation_or_else_the_utc_offset(moment, expected):
    assert zone_label(moment) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(datetime(2024, 6, 1, 19, 30, tzinfo=KOLKATA), "UTC+05:30", id="kolkata"),
        pytest.param(datetime(2024, 1, 15, 9, 0, tzinfo=NEW_YORK), "UTC−05", id="new-york"),
        pytest.param(
            datetime(2024, 1, 15, 9, 0, tzinfo=ZoneInfo("America/St_Johns")),
            "UTC−03:30",
            id="newfoundland-negative-half-hour",
        ),
        pytest.param(utc(2024, 1, 15, 14, 0), "UTC", id="utc"),
    ],
)
def test_offset_label_writes_the_offset_with_a_true_minus_sign(moment, expected):
    assert offset_label(moment) == expected


# --- days and ranges ---------------------------------------------------------------------


def test_format_day_and_format_short_day_write_the_weekday_and_date():
    moment = datetime(2024, 6, 10, 19, 0, tzinfo=SYDNEY)

    assert format_day(moment) == "Monday 10 June 2024"
    assert format_short_day(moment) == "Mon 10 Jun 2024"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(
            utc(2024, 6, 10, 14, 0), utc(2024, 6, 10, 15, 30), "14:00–15:30", id="same-day"
        ),
        pytest.param(
            utc(2024, 6, 10, 23, 0), utc(2024, 6, 11, 0, 30), "23:00–00:30 (+1 day)", id="next-day"
        ),
        pytest.param(
            utc(2024, 6, 10, 23, 0), utc(2024, 6, 12, 1, 0), "23:00–01:00 (+2 days)", id="two-days"
        ),
        pytest.param(
            utc(2024, 6, 10, 22, 0), utc(2024, 6, 11, 0, 0), "22:00–00:00 (+1 day)", id="midnight"
        ),
    ],
)
def test_format_range_notes_when_the_end_falls_on_a_later_day(start, end, expected):
    assert format_range(start, end) == expected


def test_format_range_counts_the_day_rollover_in_the_viewers_zone():
    start = utc(2024, 6, 10, 13, 0).astimezone(SYDNEY)  # 23:00 AEST
    end = utc(2024, 6, 10, 14, 30).astimezone(SYDNEY)  # 00:30 AEST the next day

    assert format_range(start, end) == "23:00–00:30 (+1 day)"


# --- LocalMeeting ------------------------------------------------------------------------


def test_local_meeting_in_sydney_shows_the_next_day_and_the_utc_date_beside_it():
    meeting = make_meeting(utc(2024, 6, 10, 18, 30))

    local = localize(meeting, SYDNEY)

    assert local.start == datetime(2024, 6, 11, 4, 30, tzinfo=SYDNEY)
    assert local.day == date(2024, 6, 11)
    assert local.day_label == "Tuesday 11 June 2024"
    assert local.short_day_label == "Tue 11 Jun 2024"
    assert local.time_range == "04:30–06:00"
    assert local.zone_label == "AEST"
    assert local.utc_start == utc(2024, 6, 10, 18, 30)
    assert local.utc_range == "Mon 10 Jun 2024, 18:30–20:00 UTC"
    assert local.is_utc is False
    assert local.local_time_changed is False


def test_local_meeting_utc_range_leaves_out_the_date_when_it_is_the_local_date():
    meeting = make_meeting(utc(2024, 6, 10, 14, 0))

    local = localize(meeting, BERLIN)

    assert local.time_range == "16:00–17:30"
    assert local.zone_label == "CEST"
    assert local.utc_range == "14:00–15:30 UTC"


def test_local_meeting_utc_range_shows_the_utc_date_when_new_york_evening_is_utc_morning():
    meeting = make_meeting(utc(2024, 1, 16, 1, 0), minutes=60)

    local = localize(meeting, NEW_YORK)

    assert local.day_label == "Monday 15 January 2024"
    assert local.time_range == "20:00–21:00"
    assert local.utc_range == "Tue 16 Jan 2024, 01:00–02:00 UTC"


def test_local_meeting_in_utc_notes_a_utc_day_rollover():
    meeting = make_meeting(utc(2024, 6, 10, 23, 0))

    local = localize(meeting, UTC_ZONE)

    assert local.is_utc is True
    assert local.zone_label == "UTC"
    assert local.time_range == "23:00–00:30 (+1 day)"
    assert local.utc_range == "23:00–00:30 (+1 day) UTC"


# --- group_by_local_day ------------------------------------------------------------------


def test_group_by_local_day_puts_a_1830_utc_meeting_on_the_next_day_in_sydney():
    morning = make_meeting(utc(2024, 6, 10, 9, 0))
    evening = make_meeting(utc(2024, 6, 10, 18, 30))
    next_morning = make_meeting(utc(2024, 6, 11, 9, 0))

    days = group_by_local_day([morning, evening, next_morning], SYDNEY)

    assert [(day.date, day.label, [item.meeting for item in day.meetings]) for day in days] == [
        (date(2024, 6, 10), "Monday 10 June 2024", [morning]),
        (date(2024, 6, 11), "Tuesday 11 June 2024", [evening, next_morning]),
    ]
    assert [item.time_range for item in days[1].meetings] == ["04:30–06:00", "19:00–20:30"]


def test_group_by_local_day_keeps_the_same_meetings_on_their_utc_days_for_a_utc_viewer():
    morning = make_meeting(utc(2024, 6, 10, 9, 0))
    evening = make_meeting(utc(2024, 6, 10, 18, 30))
    next_morning = make_meeting(utc(2024, 6, 11, 9, 0))

    days = group_by_local_day([morning, evening, next_morning], UTC_ZONE)

    assert [(day.date, [item.meeting for item in day.meetings]) for day in days] == [
        (date(2024, 6, 10), [morning, evening]),
        (date(2024, 6, 11), [next_morning]),
    ]


def test_group_by_local_day_of_no_meetings_is_empty():
    assert group_by_local_day([], SYDNEY) == []


# --- mark_clock_changes ------------------------------------------------------------------


def test_new_york_viewer_of_a_utc_series_is_told_the_meeting_after_the_us_change_moved():
    series = make_series(anchor_timezone="UTC")
    meetings = [
        make_meeting(utc(2024, 3, 4, 14, 0), series=series),
        make_meeting(utc(2024, 3, 11, 14, 0), series=series),
        make_meeting(utc(2024, 3, 18, 14, 0), series=series),
    ]

    marked = mark_clock_changes(meetings, NEW_YORK)

    assert [item.meeting for item in marked] == meetings
    assert [(item.time_range, item.zone_label) for item in marked] == [
        ("09:00–10:30", "EST"),
        ("10:00–11:30", "EDT"),
        ("10:00–11:30", "EDT"),
    ]
    assert [item.previous_local_time for item in marked] == ["", "09:00 EST", ""]
    assert [item.local_time_changed for item in marked] == [False, True, False]


def test_mark_clock_changes_compares_the_first_meeting_with_the_previous_one():
    series = make_series(anchor_timezone="UTC")
    previous = make_meeting(utc(2024, 10, 28, 14, 0), series=series)
    meetings = [make_meeting(utc(2024, 11, 4, 14, 0), series=series)]

    marked = mark_clock_changes(meetings, NEW_YORK, previous=previous)

    assert [item.previous_local_time for item in marked] == ["10:00 EDT"]
    assert marked[0].time_range == "09:00–10:30"


def test_mark_clock_changes_marks_nothing_when_no_clock_changed():
    series = make_series(anchor_timezone="UTC")
    meetings = [
        make_meeting(utc(2024, 1, 8, 14, 0), series=series),
        make_meeting(utc(2024, 1, 15, 14, 0), series=series),
        make_meeting(utc(2024, 1, 22, 14, 0), series=series),
    ]

    marked = mark_clock_changes(meetings, NEW_YORK)

    assert [item.previous_local_time for item in marked] == ["", "", ""]


def test_mark_clock_changes_does_not_mark_a_meeting_moved_by_hand():
    series = make_series(anchor_timezone="UTC")
    meetings = [
        make_meeting(utc(2024, 1, 8, 14, 0), series=series),
        make_meeting(utc(2024, 1, 15, 15, 0), series=series),
    ]

    marked = mark_clock_changes(meetings, NEW_YORK)

    assert [item.time_range for item in marked] == ["09:00–10:30", "10:00–11:30"]
    assert [item.previous_local_time for item in marked] == ["", ""]


def test_mark_clock_changes_does_not_mark_a_new_york_viewer_whose_time_stayed_the_same():
    # A New York-anchored series keeps 10:00 there: the viewer's clock change moves nothing.
    series = make_series(anchor_timezone="America/New_York", start_time=time(10, 0))
    meetings = [
        make_meeting(utc(2024, 3, 4, 15, 0), series=series),
        make_meeting(utc(2024, 3, 11, 14, 0), series=series),
    ]

    marked = mark_clock_changes(meetings, NEW_YORK)

    assert [item.time_range for item in marked] == ["10:00–11:30", "10:00–11:30"]
    assert [item.previous_local_time for item in marked] == ["", ""]


def test_utc_viewer_of_a_berlin_series_is_told_when_berlin_clocks_moved_it():
    series = make_series(anchor_timezone="Europe/Berlin", start_time=time(10, 0))
    meetings = [
        make_meeting(utc(2024, 3, 25, 9, 0), series=series),
        make_meeting(utc(2024, 4, 1, 8, 0), series=series),
    ]

    marked = mark_clock_changes(meetings, UTC_ZONE)

    assert [item.time_range for item in marked] == ["09:00–10:30", "08:00–09:30"]
    assert [item.previous_local_time for item in marked] == ["", "09:00 UTC"]


def test_new_york_viewer_of_a_berlin_series_is_told_about_both_clock_changes():
    series = make_series(anchor_timezone="Europe/Berlin", start_time=time(10, 0))
    meetings = [
        make_meeting(utc(2024, 3, 4, 9, 0), series=series),  # 04:00 EST
        make_meeting(utc(2024, 3, 11, 9, 0), series=series),  # 05:00 EDT: New York changed
        make_meeting(utc(2024, 3, 25, 9, 0), series=series),  # 05:00 EDT
        make_meeting(utc(2024, 4, 1, 8, 0), series=series),  # 04:00 EDT: Berlin changed
    ]

    marked = mark_clock_changes(meetings, NEW_YORK)

    assert [item.time_range for item in marked] == [
        "04:00–05:30",
        "05:00–06:30",
        "05:00–06:30",
        "04:00–05:30",
    ]
    assert [item.previous_local_time for item in marked] == ["", "04:00 EST", "", "05:00 EDT"]


def test_mark_clock_changes_of_no_meetings_is_empty():
    assert mark_clock_changes([], NEW_YORK) == []


# --- anchor_explanation and has_clock_changes --------------------------------------------


def test_anchor_explanation_for_utc():
    text = anchor_explanation(UTC_ZONE, around=utc(2024, 1, 1))

    assert text == "Fixed in UTC: your local time moves when your clocks change."


def test_anchor_explanation_for_a_zone_with_summer_time():
    text = anchor_explanation(BERLIN, around=utc(2024, 1, 1))

    assert text == (
        "Fixed to the wall clock in Europe/Berlin: it stays at the same local time there, so "
        "its UTC time moves when clocks change in that zone (and yours may move too)."
    )


def test_anchor_explanation_for_a_zone_without_clock_changes():
    text = anchor_explanation(KOLKATA, around=utc(2024, 1, 1))

    assert text == (
        "Fixed to the clock in Asia/Kolkata, which does not change its clocks: the time is "
        "the same in UTC all year, and your local time moves only if your clocks change."
    )


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", False),
        ("Asia/Kolkata", False),
        ("Asia/Tokyo", False),
        ("Europe/Berlin", True),
        ("America/New_York", True),
        ("Australia/Sydney", True),
        ("Pacific/Auckland", True),
    ],
)
def test_has_clock_changes_within_a_year(zone, expected):
    assert has_clock_changes(ZoneInfo(zone), around=utc(2024, 6, 15)) is expected


# --- world_times -------------------------------------------------------------------------


def test_world_times_shows_a_1400_utc_winter_meeting_in_twelve_zones():
    meeting = make_meeting(utc(2024, 1, 15, 14, 0))

    rows = world_times(meeting)

    assert [(row.city, row.zone, row.label) for row in rows] == [
        ("Honolulu", "Pacific/Honolulu", "Mon 15 Jan 2024, 04:00–05:30 HST"),
        ("Los Angeles", "America/Los_Angeles", "Mon 15 Jan 2024, 06:00–07:30 PST"),
        ("New York", "America/New_York", "Mon 15 Jan 2024, 09:00–10:30 EST"),
        ("São Paulo", "America/Sao_Paulo", "Mon 15 Jan 2024, 11:00–12:30 UTC−03"),
        ("London", "Europe/London", "Mon 15 Jan 2024, 14:00–15:30 GMT"),
        ("Berlin", "Europe/Berlin", "Mon 15 Jan 2024, 15:00–16:30 CET"),
        ("Nairobi", "Africa/Nairobi", "Mon 15 Jan 2024, 17:00–18:30 EAT"),
        ("Kolkata", "Asia/Kolkata", "Mon 15 Jan 2024, 19:30–21:00 IST"),
        ("Singapore", "Asia/Singapore", "Mon 15 Jan 2024, 22:00–23:30 UTC+08"),
        ("Tokyo", "Asia/Tokyo", "Mon 15 Jan 2024, 23:00–00:30 (+1 day) JST"),
        ("Sydney", "Australia/Sydney", "Tue 16 Jan 2024, 01:00–02:30 AEDT"),
        ("Auckland", "Pacific/Auckland", "Tue 16 Jan 2024, 03:00–04:30 NZDT"),
    ]


def test_world_times_has_kolkata_at_1930_for_a_1400_utc_meeting_in_summer_too():
    meeting = make_meeting(utc(2024, 7, 15, 14, 0))

    rows = world_times(meeting)

    assert len(rows) == 12
    kolkata = next(row for row in rows if row.city == "Kolkata")
    assert kolkata.start == datetime(2024, 7, 15, 19, 30, tzinfo=KOLKATA)
    assert kolkata.end == datetime(2024, 7, 15, 21, 0, tzinfo=KOLKATA)
    assert kolkata.label == "Mon 15 Jul 2024, 19:30–21:00 IST"
    assert [row.label for row in rows if row.city in {"New York", "Berlin", "Sydney"}] == [
        "Mon 15 Jul 2024, 10:00–11:30 EDT",
        "Mon 15 Jul 2024, 16:00–17:30 CEST",
        "Tue 16 Jul 2024, 00:00–01:30 AEST",
    ]


# --- series_schedule ---------------------------------------------------------------------


def test_series_schedule_of_a_utc_series():
    series = make_series(
        rrule="FREQ=MONTHLY;BYDAY=2MO", anchor_timezone="UTC", start_date=date(2024, 1, 8)
    )

    assert series_schedule(series) == "Every month on the second Monday, 14:00–15:30 UTC"


def test_series_schedule_of_a_berlin_series_names_the_zone():
    series = make_series(
        rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
        anchor_timezone="Europe/Berlin",
        start_time=time(10, 0),
        duration=timedelta(hours=1),
    )

    assert series_schedule(series) == (
        "Every 2 weeks on Monday and Thursday, 10:00–11:00 Europe/Berlin time"
    )


def test_series_schedule_notes_a_meeting_that_ends_the_next_day():
    series = make_series(
        rrule="FREQ=MONTHLY;BYDAY=-1FR", start_time=time(23, 0), duration=timedelta(hours=2)
    )

    assert series_schedule(series) == "Every month on the last Friday, 23:00–01:00 (+1 day) UTC"


def test_local_meeting_is_a_plain_value():
    meeting = make_meeting(utc(2024, 6, 10, 14, 0))

    local = LocalMeeting(
        meeting=meeting,
        zone=KOLKATA,
        start=meeting.local_start(KOLKATA),
        end=meeting.local_end(KOLKATA),
    )

    assert local == localize(meeting, KOLKATA)


# --- how soon, and at what hour of someone's day ----------------------------------------


@pytest.mark.parametrize(
    ("start", "now", "expected"),
    [
        pytest.param(utc(2026, 12, 14, 14), utc(2026, 12, 14, 13, 35), "in 25 minutes", id="25m"),
        pytest.param(utc(2026, 12, 14, 14), utc(2026, 12, 14, 13, 59, 30), "in 1 minute", id="1m"),
        pytest.param(utc(2026, 12, 14, 14), utc(2026, 12, 14, 12), "in 2 hours", id="2h"),
        pytest.param(utc(2026, 12, 15, 1), utc(2026, 12, 14, 20), "in 5 hours", id="past-midnight"),
        pytest.param(utc(2026, 12, 15, 14), utc(2026, 12, 14, 9), "tomorrow", id="tomorrow"),
        pytest.param(utc(2026, 12, 17, 14), utc(2026, 12, 14, 20), "in 3 days", id="3d"),
        pytest.param(utc(2027, 1, 11, 14), utc(2026, 12, 14, 14), "in 4 weeks", id="4w"),
        pytest.param(utc(2026, 12, 14, 14), utc(2026, 12, 14, 14, 30), "happening now", id="now"),
        pytest.param(utc(2026, 12, 14, 14), utc(2026, 12, 14, 16), "ended", id="ended"),
    ],
)
def test_relative_start_counts_minutes_hours_then_calendar_days(start, now, expected):
    assert relative_start(start=start, end=start + timedelta(minutes=90), now=now) == expected


def test_relative_start_counts_days_on_the_viewers_calendar():
    # 23:00 on Monday in Tokyo; the meeting is at 09:00 there on Wednesday, 34 hours on.
    now = datetime(2026, 12, 14, 23, 0, tzinfo=TOKYO)
    start = datetime(2026, 12, 16, 9, 0, tzinfo=TOKYO)

    assert relative_start(start=start, end=start + timedelta(hours=1), now=now) == "in 2 days"


@pytest.mark.parametrize(
    ("hour", "expected"),
    [
        (0, DayPart.NIGHT),
        (5, DayPart.NIGHT),
        (6, DayPart.EARLY),
        (8, DayPart.DAY),
        (20, DayPart.DAY),
        (21, DayPart.LATE),
        (23, DayPart.LATE),
    ],
)
def test_day_part_of_an_hour(hour, expected):
    assert day_part(datetime(2026, 12, 14, hour, 59, tzinfo=TOKYO)) == expected


def test_next_sessions_in_tokyo_points_from_west_in_the_night_to_east():
    east = make_series(slug="east", name="CoP-F East", start_time=time(14, 0))
    west = make_series(slug="west", name="CoP-F West", start_time=time(18, 30))
    meetings = [make_meeting(utc(2026, 12, 14, 14), series=east)]
    meetings.append(make_meeting(utc(2026, 12, 14, 18, 30), series=west))

    east_card, west_card = next_sessions(meetings, TOKYO, now=utc(2026, 12, 11, 9))

    assert (east_card.day_part, east_card.better, east_card.relative) == ("late", None, "in 3 days")
    assert (west_card.local.start.hour, west_card.local.start.minute) == (3, 30)
    assert (west_card.day_part, west_card.better) == ("night", east_card)


def test_next_sessions_suggest_nothing_when_every_track_is_in_the_night():
    west = make_series(slug="west", name="CoP-F West", start_time=time(18, 30))

    (card,) = next_sessions(
        [make_meeting(utc(2026, 12, 14, 18, 30), series=west)], TOKYO, now=utc(2026, 12, 11, 9)
    )

    assert (card.day_part, card.better) == ("night", None)


# --- a series' rule in the viewer's terms ---------------------------------------------


def weekly(series: Series, first: datetime, count: int = 4) -> list[Meeting]:
    return [make_meeting(first + timedelta(weeks=n), series=series) for n in range(count)]


def test_series_for_viewer_names_the_local_weekday_of_a_weekly_series():
    series = make_series(rrule="FREQ=WEEKLY;BYDAY=MO", start_time=time(18, 30))

    text = series_for_viewer(series, weekly(series, utc(2026, 12, 14, 18, 30)), TOKYO)

    assert text == "For you: Tuesdays at 03:30 JST"


def test_series_for_viewer_of_a_monthly_series_says_the_day_after_the_utc_date():
    series = make_series(rrule="FREQ=MONTHLY;BYDAY=2MO", start_time=time(18, 30))
    meetings = [make_meeting(utc(2026, 12, 14, 18, 30), series=series)]
    meetings.append(make_meeting(utc(2027, 1, 11, 18, 30), series=series))

    text = series_for_viewer(series, meetings, TOKYO)

    assert text == "For you: at 03:30 JST, on the Tuesday after the date in UTC"


def test_series_for_viewer_lists_both_times_when_clocks_change_between_meetings():
    series = make_series(rrule="FREQ=WEEKLY;BYDAY=MO", start_time=time(14, 0))
    meetings = weekly(series, utc(2027, 3, 8, 14), count=3)

    text = series_for_viewer(series, meetings, NEW_YORK)

    assert text == "For you: 09:00 EST or 10:00 EDT, as clocks change"


def test_series_for_viewer_says_nothing_in_the_anchor_zone_or_without_meetings():
    series = make_series()

    assert series_for_viewer(series, weekly(series, utc(2026, 12, 14, 14)), UTC_ZONE) == ""
    assert series_for_viewer(series, [], TOKYO) == ""
