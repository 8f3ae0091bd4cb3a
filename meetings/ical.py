"""iCalendar output: feeds, single-meeting downloads and (with a METHOD) e-mailed invites.

Small pure functions over meetings. Output is deterministic: UIDs come from the meeting's
id, DTSTAMP and LAST-MODIFIED from `updated_at`, so the same database state renders the
same bytes. Times are UTC; there is no TZID and so no VTIMEZONE.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from .models import Meeting

UTC = ZoneInfo("UTC")
PRODID = "-//CoP-F//Meeting scheduler//EN"
REFRESH_INTERVAL = timedelta(hours=1)
REFRESH_TTL = "PT1H"  # X-PUBLISHED-TTL is a plain text property holding the same duration


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str
    partstat: str = "NEEDS-ACTION"  # ACCEPTED, TENTATIVE or DECLINED to match an answer


@dataclass(frozen=True)
class EventOptions:
    """How one meeting appears in one calendar."""

    note: str = ""  # shown after the title, e.g. "maybe"; the time shows as free
    alarm_minutes: int | None = None
    attendee: Attendee | None = None
    cancelled: bool = False
    extra_description: str = ""


def uid(meeting: Meeting) -> str:
    """Stable forever for one meeting, and the same in feeds and e-mailed invites."""
    return f"copf-meeting-{meeting.pk}@{uid_domain()}"


def uid_domain() -> str:
    return getattr(settings, "CALENDAR_UID_DOMAIN", "") or urlsplit(settings.SITE_URL).hostname


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def organizer() -> vCalAddress:
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["CN"] = vText(name or "CoP-F")
    return organizer


def build_event(meeting: Meeting, options: EventOptions | None = None) -> Event:
    options = options or EventOptions()
    event = Event()
    event.add("uid", uid(meeting))
    event.add("dtstamp", meeting.updated_at.astimezone(UTC))
    event.add("dtstart", meeting.starts_at.astimezone(UTC))
    event.add("dtend", meeting.ends_at.astimezone(UTC))
    event.add("summary", f"{meeting.title} ({options.note})" if options.note else meeting.title)
    event.add("description", _description(meeting, options.extra_description))
    event.add("url", absolute_url(meeting.get_absolute_url()))
    join_url = meeting.effective_join_url
    if join_url:
        event.add("location", join_url)
    event.add("sequence", meeting.sequence)
    event.add("created", meeting.created_at.astimezone(UTC))
    event.add("last-modified", meeting.updated_at.astimezone(UTC))
    cancelled = meeting.is_cancelled or options.cancelled
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if options.note or cancelled else "OPAQUE")
    event.add("organizer", organizer())
    if options.attendee is not None:
        event.add("attendee", _attendee(options.attendee))
    if options.alarm_minutes and not cancelled:
        event.add_component(_alarm(meeting, options.alarm_minutes))
    return event


def build_calendar(
    *,
    meetings: Iterable[Meeting],
    name: str,
    method: str = "PUBLISH",
    options_for: dict[int, EventOptions] | None = None,
    default_options: EventOptions | None = None,
) -> Calendar:
    """A calendar with one VEVENT per meeting, in the order given."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add("name", vText(name))
    calendar.add("x-wr-calname", vText(name))
    if method == "PUBLISH":
        calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", REFRESH_TTL)
    options_for = options_for or {}
    for meeting in meetings:
        options = options_for.get(meeting.pk, default_options)
        calendar.add_component(build_event(meeting, options))
    return calendar


def render(calendar: Calendar) -> bytes:
    return calendar.to_ical()


def _description(meeting: Meeting, extra: str) -> str:
    parts = []
    if meeting.description:
        parts.append(meeting.description)
    elif meeting.series_id and meeting.series.description:
        parts.append(meeting.series.description)
    if meeting.effective_join_url and not meeting.is_cancelled:
        parts.append(f"Join: {meeting.effective_join_url}")
    parts.append(f"Details and your answer: {absolute_url(meeting.get_absolute_url())}")
    if extra:
        parts.append(extra)
    return "\n\n".join(parts)


def _attendee(attendee: Attendee) -> vCalAddress:
    address = vCalAddress(f"mailto:{attendee.email}")
    address.params["CN"] = vText(attendee.name or attendee.email)
    address.params["ROLE"] = vText("REQ-PARTICIPANT")
    address.params["PARTSTAT"] = vText(attendee.partstat)
    address.params["RSVP"] = vText("TRUE")
    return address


def _alarm(meeting: Meeting, minutes: int) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", timedelta(minutes=-minutes))
    alarm.add("description", f"{meeting.title} starts in {_minutes_text(minutes)}")
    return alarm


def _minutes_text(minutes: int) -> str:
    if minutes % 1440 == 0:
        days = minutes // 1440
        return "1 day" if days == 1 else f"{days} days"
    if minutes % 60 == 0:
        hours = minutes // 60
        return "1 hour" if hours == 1 else f"{hours} hours"
    return f"{minutes} minutes"


def webcal_url(https_url: str) -> str:
    return "webcal://" + https_url.split("://", 1)[1]


def google_subscribe_url(https_url: str) -> str:
    return "https://calendar.google.com/calendar/render?cid=" + quote(
        webcal_url(https_url), safe=""
    )
