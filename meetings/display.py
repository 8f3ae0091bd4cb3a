"""How meetings read in a viewer's zone: formatted local times, day groups, DST notes.

Pure functions over meetings and zones; views and templates show what these return.
"""

import math
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from itertools import groupby
from zoneinfo import ZoneInfo

from django.utils.translation import gettext, gettext_lazy, ngettext

from . import ical
from .models import Meeting, Series
from .recurrence import describe_rule

UTC = ZoneInfo("UTC")

WORLD_ZONES = (
    ("Honolulu", "Pacific/Honolulu"),
    ("Los Angeles", "America/Los_Angeles"),
    ("New York", "America/New_York"),
    ("São Paulo", "America/Sao_Paulo"),
    ("London", "Europe/London"),
    ("Berlin", "Europe/Berlin"),
    ("Nairobi", "Africa/Nairobi"),
    ("Kolkata", "Asia/Kolkata"),
    ("Singapore", "Asia/Singapore"),
    ("Tokyo", "Asia/Tokyo"),
    ("Sydney", "Australia/Sydney"),
    ("Auckland", "Pacific/Auckland"),
)


def zone_label(moment: datetime) -> str:
    """The zone's abbreviation at that moment ("IST", "CEST"), or its offset ("UTC−03")."""
    abbreviation = moment.tzname() or ""
    if abbreviation and abbreviation[0] not in "+-":
        return abbreviation
    return offset_label(moment)


def offset_label(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    if not offset:
        return "UTC"
    sign = "+" if offset > timedelta(0) else "−"
    minutes = abs(int(offset.total_seconds())) // 60
    hours, minutes = divmod(minutes, 60)
    return f"UTC{sign}{hours:02d}" + (f":{minutes:02d}" if minutes else "")


def format_day(moment: datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%B %Y}"


def format_short_day(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b %Y}"


def format_range(start: datetime, end: datetime) -> str:
    text = f"{start:%H:%M}–{end:%H:%M}"
    days = (end.date() - start.date()).days
    if days:
        text += f" (+{days} day)" if days == 1 else f" (+{days} days)"
    return text


@dataclass(frozen=True)
class LocalMeeting:
    """One meeting as one viewer sees it."""

    meeting: Meeting
    zone: ZoneInfo
    start: datetime
    end: datetime
    previous_local_time: str = ""

    @property
    def day(self) -> date:
        return self.start.date()

    @property
    def day_label(self) -> str:
        return format_day(self.start)

    @property
    def short_day_label(self) -> str:
        return format_short_day(self.start)

    @property
    def time_range(self) -> str:
        return format_range(self.start, self.end)

    @property
    def zone_label(self) -> str:
        return zone_label(self.start)

    @property
    def utc_start(self) -> datetime:
        return self.start.astimezone(UTC)

    @property
    def utc_range(self) -> str:
        """The UTC times, with the UTC date when it differs from the local date."""
        start, end = self.utc_start, self.end.astimezone(UTC)
        text = f"{format_range(start, end)} UTC"
        if start.date() != self.start.date():
            text = f"{format_short_day(start)}, {text}"
        return text

    @property
    def local_time_changed(self) -> bool:
        return bool(self.previous_local_time)

    @property
    def is_utc(self) -> bool:
        return self.zone.key == "UTC"


def localize(meeting: Meeting, zone: ZoneInfo) -> LocalMeeting:
    return LocalMeeting(
        meeting=meeting, zone=zone, start=meeting.local_start(zone), end=meeting.local_end(zone)
    )


@dataclass(frozen=True)
class Day:
    date: date
    label: str
    meetings: list[LocalMeeting]


def group_by_local_day(meetings: list[Meeting], zone: ZoneInfo) -> list[Day]:
    """Meetings grouped by the viewer's local calendar day, in order."""
    local = [localize(meeting, zone) for meeting in meetings]
    return [
        Day(date=day, label=items[0].day_label, meetings=items)
        for day, group in groupby(local, key=lambda item: item.day)
        for items in [list(group)]
    ]


def mark_clock_changes(
    meetings: list[Meeting], zone: ZoneInfo, *, previous: Meeting | None = None
) -> list[LocalMeeting]:
    """Localize meetings of one series, noting where the local start time differs from the
    meeting before because a clock changed (the viewer's or the series' anchor zone)."""
    result = []
    before = localize(previous, zone) if previous else None
    for meeting in meetings:
        current = localize(meeting, zone)
        if before is not None and _clock_changed(before, current):
            current = LocalMeeting(
                meeting=meeting,
                zone=zone,
                start=current.start,
                end=current.end,
                previous_local_time=f"{before.start:%H:%M} {before.zone_label}",
            )
        result.append(current)
        before = current
    return result


def _clock_changed(before: LocalMeeting, current: LocalMeeting) -> bool:
    if before.start.time() == current.start.time():
        return False
    viewer_offset_changed = before.start.utcoffset() != current.start.utcoffset()
    series = current.meeting.series
    anchor_offset_changed = False
    if series is not None:
        anchor = series.anchor_zone
        anchor_offset_changed = (
            before.start.astimezone(anchor).utcoffset()
            != current.start.astimezone(anchor).utcoffset()
        )
    return viewer_offset_changed or anchor_offset_changed


@dataclass(frozen=True)
class WorldTime:
    city: str
    zone: str
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        when = format_range(self.start, self.end)
        return f"{format_short_day(self.start)}, {when} {zone_label(self.start)}"


def world_times(meeting: Meeting) -> list[WorldTime]:
    """The same meeting in a handful of major zones around the world."""
    return [
        WorldTime(
            city=city,
            zone=name,
            start=meeting.local_start(ZoneInfo(name)),
            end=meeting.local_end(ZoneInfo(name)),
        )
        for city, name in WORLD_ZONES
    ]


def anchor_explanation(zone: ZoneInfo, *, around: datetime) -> str:
    """What the series' anchor zone means for members whose clocks change."""
    if zone.key == "UTC":
        return "Fixed in UTC: your local time moves when your clocks change."
    if not has_clock_changes(zone, around=around):
        return (
            f"Fixed to the clock in {zone.key}, which does not change its clocks: the time is "
            "the same in UTC all year, and your local time moves only if your clocks change."
        )
    return (
        f"Fixed to the wall clock in {zone.key}: it stays at the same local time there, so "
        "its UTC time moves when clocks change in that zone (and yours may move too)."
    )


def has_clock_changes(zone: ZoneInfo, *, around: datetime) -> bool:
    offsets = {
        (around + timedelta(days=days)).astimezone(zone).utcoffset() for days in range(0, 366, 14)
    }
    return len(offsets) > 1


def series_schedule(series: Series) -> str:
    """The rule in plain words with its wall-clock times: "Every month on the second
    Monday, 14:00–15:30 UTC"."""
    start = datetime.combine(series.start_date, series.start_time)
    end = start + series.duration
    zone = series.anchor_zone
    where = "UTC" if zone.key == "UTC" else f"{zone.key} time"
    rule = describe_rule(series.rrule, start_date=series.start_date)
    return f"{rule}, {format_range(start, end)} {where}"


def feed_links(path: str, *, title: str, feed_id: str) -> dict[str, str]:
    """Template context for subscribing to the feed at `path` in any calendar app."""
    url = ical.absolute_url(path)
    return {
        "feed_url": url,
        "feed_webcal": ical.webcal_url(url),
        "feed_google": ical.google_subscribe_url(url),
        "feed_title": title,
        "feed_id": feed_id,
    }


def relative_start(*, start: datetime, end: datetime, now: datetime) -> str:
    """How soon a meeting starts, counted on the viewer's calendar: "in 25 minutes",
    "in 2 hours", "tomorrow", "in 3 days", "in 2 weeks"."""
    if now >= end:
        return gettext("ended")
    if now >= start:
        return gettext("happening now")
    minutes = math.ceil((start - now).total_seconds() / 60)
    if minutes < 60:
        return ngettext("in %(count)d minute", "in %(count)d minutes", minutes) % {"count": minutes}
    days = (start.date() - now.astimezone(start.tzinfo).date()).days
    if days == 0 or minutes < 12 * 60:
        hours = minutes // 60
        return ngettext("in %(count)d hour", "in %(count)d hours", hours) % {"count": hours}
    if days == 1:
        return gettext("tomorrow")
    if days < 14:
        return ngettext("in %(count)d day", "in %(count)d days", days) % {"count": days}
    weeks = days // 7
    return ngettext("in %(count)d week", "in %(count)d weeks", weeks) % {"count": weeks}


class DayPart(StrEnum):
    """Where a local time falls in someone's day: night from midnight to 06:00, early
    until 08:00, late from 21:00."""

    NIGHT = "night"
    EARLY = "early"
    DAY = "day"
    LATE = "late"


def day_part(moment: datetime) -> DayPart:
    if moment.hour < 6:
        return DayPart.NIGHT
    if moment.hour < 8:
        return DayPart.EARLY
    if moment.hour >= 21:
        return DayPart.LATE
    return DayPart.DAY


WEEKDAYS_PLURAL = (
    gettext_lazy("Mondays"),
    gettext_lazy("Tuesdays"),
    gettext_lazy("Wednesdays"),
    gettext_lazy("Thursdays"),
    gettext_lazy("Fridays"),
    gettext_lazy("Saturdays"),
    gettext_lazy("Sundays"),
)


def series_for_viewer(series: Series, meetings: list[Meeting], zone: ZoneInfo) -> str:
    """The series' rule in the viewer's own terms, from its coming meetings: "For you:
    Tuesdays at 03:30 JST". Empty when there is nothing coming, or in the anchor zone."""
    coming = [localize(meeting, zone) for meeting in meetings if not meeting.is_cancelled]
    if not coming or zone.key == series.anchor_zone.key:
        return ""
    times = list(dict.fromkeys(f"{item.start:%H:%M} {item.zone_label}" for item in coming))
    first = coming[0].start
    if len(times) > 1:
        return gettext("For you: %(times)s, as clocks change") % {
            "times": gettext(" or ").join(times)
        }
    if _is_weekly_on_one_day(series.rrule) and len({item.start.weekday() for item in coming}) == 1:
        return gettext("For you: %(weekdays)s at %(time)s") % {
            "weekdays": WEEKDAYS_PLURAL[first.weekday()],
            "time": times[0],
        }
    shift = (first.date() - first.astimezone(series.anchor_zone).date()).days
    values = {"weekday": f"{first:%A}", "time": times[0], "anchor": _anchor_name(series)}
    if shift > 0:
        return gettext("For you: at %(time)s, on the %(weekday)s after the date in %(anchor)s") % (
            values
        )
    if shift < 0:
        return gettext("For you: at %(time)s, on the %(weekday)s before the date in %(anchor)s") % (
            values
        )
    return gettext("For you: at %(time)s, on the same day") % values


def _is_weekly_on_one_day(rule: str) -> bool:
    parts = dict(part.split("=", 1) for part in rule.split(";") if "=" in part)
    return (
        parts.get("FREQ") == "WEEKLY"
        and parts.get("INTERVAL", "1") == "1"
        and "," not in parts.get("BYDAY", "")
    )


def _anchor_name(series: Series) -> str:
    key = series.anchor_zone.key
    return "UTC" if key == "UTC" else key


@dataclass(frozen=True)
class NextSession:
    """A series' next meeting as a card on the front page, for one viewer."""

    local: LocalMeeting
    relative: str
    day_part: DayPart
    better: "NextSession | None" = None

    @property
    def meeting(self) -> Meeting:
        return self.local.meeting


def next_sessions(meetings: list[Meeting], zone: ZoneInfo, *, now: datetime) -> list[NextSession]:
    """One card per series' next meeting; a card that falls in the viewer's night points
    to another track that does not, the one nearest the middle of their day."""
    cards = []
    for meeting in meetings:
        local = localize(meeting, zone)
        cards.append(
            NextSession(
                local=local,
                relative=relative_start(start=local.start, end=local.end, now=now),
                day_part=day_part(local.start),
            )
        )
    awake = sorted(
        (card for card in cards if card.day_part != DayPart.NIGHT),
        key=lambda card: abs(card.local.start.hour * 60 + card.local.start.minute - 14 * 60),
    )
    return [
        replace(card, better=awake[0]) if card.day_part == DayPart.NIGHT and awake else card
        for card in cards
    ]
