"""A month as a calendar grid in the viewer's zone: weeks from Monday, each day with the
meetings that start on it there."""

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from copf.lib.dates import EARLIEST_YEAR, LATEST_YEAR

from .display import LocalMeeting, localize
from .models import Meeting

WEEKS = calendar.Calendar(firstweekday=calendar.MONDAY)


@dataclass(frozen=True)
class GridDay:
    date: date
    in_month: bool
    is_today: bool
    meetings: list[LocalMeeting]


@dataclass(frozen=True)
class Month:
    first: date
    weeks: list[list[GridDay]]

    @property
    def previous(self) -> date | None:
        before = (self.first - timedelta(days=1)).replace(day=1)
        return before if before.year >= EARLIEST_YEAR else None

    @property
    def next(self) -> date | None:
        after = (self.first + timedelta(days=31)).replace(day=1)
        return after if after.year <= LATEST_YEAR else None


def is_shown_month(year: int, month: int) -> bool:
    return EARLIEST_YEAR <= year <= LATEST_YEAR and 1 <= month <= 12


def grid_span(first: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants from the grid's first local midnight to the one after its last day."""
    days = [day for week in WEEKS.monthdatescalendar(first.year, first.month) for day in week]
    start = datetime.combine(days[0], time(0), tzinfo=zone)
    end = datetime.combine(days[-1] + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


def month_grid(*, first: date, meetings: list[Meeting], zone: ZoneInfo, today: date) -> Month:
    """`meetings` placed on the local days of the month starting at `first`, with the
    days of the weeks it shares with the months before and after."""
    by_day: dict[date, list[LocalMeeting]] = defaultdict(list)
    for meeting in meetings:
        local = localize(meeting, zone)
        by_day[local.day].append(local)
    weeks = [
        [
            GridDay(
                date=day,
                in_month=day.month == first.month,
                is_today=day == today,
                meetings=by_day.get(day, []),
            )
            for day in week
        ]
        for week in WEEKS.monthdatescalendar(first.year, first.month)
    ]
    return Month(first=first, weeks=weeks)
