"""Candidate slots: entered as wall-clock times in the organizer's zone, kept in UTC.

A wall-clock time the zone skips (the hour the clocks go forward) is refused, since no
one could meet then; one that happens twice (the hour they go back) is the first of the
two, as for series (`meetings.recurrence.to_utc`).
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from ..models import MAX_SLOTS
from ..practice import BadInput

# What the "around the clock" helper offers: the hours that divide a day.
CLOCK_STEPS = (1, 2, 3, 4, 6, 8, 12)
# Slots this close together would be the same meeting for everyone.
MIN_GAP = timedelta(minutes=15)
# How far ahead a slot may be: a recurring slot is then shown for a year after it.
MAX_AHEAD = timedelta(days=2 * 366)


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`at` on `day` in `zone`, as a UTC instant; BadInput if the zone skips that time."""
    local = datetime.combine(day, at).replace(tzinfo=zone)
    try:
        instant = local.astimezone(UTC)
    except OverflowError:  # 0001-01-01 east of Greenwich, 9999-12-31 west of it
        raise _off_the_calendar(day) from None
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise BadInput(
            _(
                "%(time)s on %(day)s does not exist in %(zone)s: the clocks skip it. "
                "Choose another time."
            )
            % {"time": at.strftime("%H:%M"), "day": day.isoformat(), "zone": zone.key}
        )
    return instant


def _off_the_calendar(day: date) -> BadInput:
    return BadInput(_("%(day)s is too far away to meet on.") % {"day": day.isoformat()})


def on_each_day(days: Iterable[date], at: time, zone: ZoneInfo) -> list[datetime]:
    """This time on each of these days."""
    return [local_to_utc(day, at, zone) for day in sorted(set(days))]


def around_the_clock(day: date, every_hours: int, zone: ZoneInfo) -> list[datetime]:
    """From midnight on `day` in `zone`, a slot every `every_hours` hours of elapsed time
    until the next midnight: a day of 23 or 25 hours, when the clocks change, gets one
    slot fewer or more rather than two at one instant."""
    if every_hours not in CLOCK_STEPS:
        raise BadInput(
            _("Choose a step that divides the day: %(steps)s hours.")
            % {"steps": ", ".join(str(step) for step in CLOCK_STEPS)}
        )
    start = local_to_utc(day, time(0), zone)
    try:
        end = datetime.combine(day + timedelta(days=1), time(0)).replace(tzinfo=zone)
        end = end.astimezone(UTC)
    except OverflowError:
        raise _off_the_calendar(day) from None
    step = timedelta(hours=every_hours)
    count = int((end - start) / step) + (1 if (end - start) % step else 0)
    return [start + step * n for n in range(count)]


def parse_lines(text: str, zone: ZoneInfo) -> list[datetime]:
    """One slot a line, `YYYY-MM-DD HH:MM` in `zone`; blank lines are skipped."""
    slots = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            # A wall-clock time in `zone`, made aware by local_to_utc.
            local = datetime.strptime(line, "%Y-%m-%d %H:%M")  # noqa: DTZ007
        except ValueError:
            raise BadInput(
                _('Line %(number)s, "%(line)s", is not a date and time like 2027-03-29 14:00.')
                % {"number": number, "line": line[:40]}
            ) from None
        slots.append(local_to_utc(local.date(), local.time(), zone))
    return slots


def check_slots(slots: list[datetime], *, deadline: datetime, now: datetime) -> list[datetime]:
    """The slots in order, or BadInput saying what is wrong with them: none, more than
    MAX_SLOTS, one in the past or more than MAX_AHEAD away, two the same (or within
    MIN_GAP), or a deadline that is
    past or comes after the first slot."""
    if not slots:
        raise BadInput(_("Add at least one slot."))
    if len(slots) > MAX_SLOTS:
        raise BadInput(
            _("A poll can offer at most %(limit)s slots; this one has %(count)s.")
            % {"limit": MAX_SLOTS, "count": len(slots)}
        )
    ordered = sorted(slots)
    if ordered[0] <= now:
        raise BadInput(
            _("The slot at %(slot)s UTC is in the past.")
            % {"slot": ordered[0].strftime("%Y-%m-%d %H:%M")}
        )
    for earlier, later in pairwise(ordered):
        if later - earlier < MIN_GAP:
            raise BadInput(
                _("Two slots are at %(slot)s UTC: each slot must be a different time.")
                % {"slot": later.strftime("%Y-%m-%d %H:%M")}
                if later == earlier
                else _("The slots at %(first)s and %(second)s UTC are too close to tell apart.")
                % {
                    "first": earlier.strftime("%Y-%m-%d %H:%M"),
                    "second": later.strftime("%H:%M"),
                }
            )
    if ordered[-1] - now > MAX_AHEAD:
        raise BadInput(
            _("The slot at %(slot)s UTC is more than two years away.")
            % {"slot": ordered[-1].strftime("%Y-%m-%d %H:%M")}
        )
    if deadline <= now:
        raise BadInput(_("The deadline is in the past."))
    if deadline > ordered[0]:
        raise BadInput(
            _("The deadline must come before the first slot (%(slot)s UTC).")
            % {"slot": ordered[0].strftime("%Y-%m-%d %H:%M")}
        )
    return ordered
