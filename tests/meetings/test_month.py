from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from meetings.models import Meeting
from meetings.month import grid_span, is_shown_month, month_grid

TOKYO = ZoneInfo("Asia/Tokyo")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def meeting_at(starts_at: datetime) -> Meeting:
    return Meeting(
        title="CoP-F West",
        is_extra=True,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=90),
        original_start=starts_at,
    )


def test_a_month_grid_runs_from_monday_to_sunday_with_the_edge_days_of_other_months():
    month = month_grid(first=date(2026, 12, 1), meetings=[], zone=TOKYO, today=date(2026, 12, 3))

    days = [day for week in month.weeks for day in week]
    assert (days[0].date, days[-1].date, len(month.weeks)) == (
        date(2026, 11, 30),
        date(2027, 1, 3),
        5,
    )
    assert [day.date for day in days if not day.in_month] == [
        date(2026, 11, 30),
        date(2027, 1, 1),
        date(2027, 1, 2),
        date(2027, 1, 3),
    ]
    assert [day.date for day in days if day.is_today] == [date(2026, 12, 3)]


def test_a_meeting_sits_on_its_local_day_in_tokyo():
    west = meeting_at(datetime(2026, 12, 14, 18, 30, tzinfo=UTC))

    month = month_grid(
        first=date(2026, 12, 1), meetings=[west], zone=TOKYO, today=date(2026, 12, 1)
    )

    placed = {day.date: day.meetings for week in month.weeks for day in week if day.meetings}
    assert list(placed) == [date(2026, 12, 15)]
    assert f"{placed[date(2026, 12, 15)][0].start:%H:%M}" == "03:30"


def test_the_grid_span_covers_its_local_days_in_utc():
    start, end = grid_span(date(2026, 12, 1), LOS_ANGELES)

    assert start.astimezone(UTC) == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2027, 1, 4, 8, 0, tzinfo=UTC)


def test_months_link_to_their_neighbours_within_the_supported_years():
    assert month_grid(
        first=date(2026, 12, 1), meetings=[], zone=TOKYO, today=date(2026, 1, 1)
    ).next == date(2027, 1, 1)
    assert (
        month_grid(first=date(1970, 1, 1), meetings=[], zone=TOKYO, today=date(2026, 1, 1)).previous
        is None
    )
    assert (
        month_grid(first=date(2200, 12, 1), meetings=[], zone=TOKYO, today=date(2026, 1, 1)).next
        is None
    )


def test_only_months_of_the_supported_years_are_shown():
    assert (is_shown_month(2026, 12), is_shown_month(2026, 13), is_shown_month(2201, 1)) == (
        True,
        False,
        False,
    )
    assert is_shown_month(1969, 12) is False
