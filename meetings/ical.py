"""iCalendar output: feeds, single-meeting downloads and (with a METHOD) e-mailed invites.

Small pure functions over meetings. Output is deterministic: UIDs come from the meeting's
id, DTSTAMP and LAST-MODIFIED from `updated_at`, so the same database state renders the
same bytes. Times are UTC; there is no TZID and so no VTIMEZONE.

The DESCRIPTION names who holds which role and the accepted agenda. Those change without
touching the meeting: no new SEQUENCE and no calendar update by e-mail, only a new
DESCRIPTION (and ETag) the next time a calendar reads the feed. They are read through the
meeting's reverse relations (this layer knows no members module), loaded for a whole feed
by `selectors.with_practice`.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext
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
class AgendaLine:
    """An accepted agenda item, as the calendar and e-mails list it."""

    title: str
    minutes: int
    proposer: str


@dataclass(frozen=True)
class Practice:
    """Who holds which role, in the roles' order, and the accepted agenda in its order."""

    holders: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (role, names of its holders)
    agenda: tuple[AgendaLine, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.holders or self.agenda)


@dataclass(frozen=True)
class EventOptions:
    """How one meeting appears in one calendar."""

    note: str = ""  # shown after the title, e.g. "maybe"; the time shows as free
    alarm_minutes: int | None = None
    attendee: Attendee | None = None
    cancelled: bool = False
    extra_description: str = ""
    # What the caller read of the roles and agenda already; None: read the meeting's own.
    practice: Practice | None = None
    # Where this calendar's reader joins, if not at the call address itself (a member's
    # own join link, which records that they came).
    join_url: str = ""


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
    practice = options.practice if options.practice is not None else practice_of(meeting)
    join_url = meeting.effective_join_url and (options.join_url or meeting.effective_join_url)
    event.add("description", _description(meeting, options.extra_description, practice, join_url))
    event.add("url", absolute_url(meeting.get_absolute_url()))
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


def practice_of(meeting: Meeting) -> Practice:
    """The meeting's role holders and accepted agenda, through its reverse relations: the
    series' roles with the meeting's own in place of those with the same slug (and where
    they stand), none given no places, as the meeting page shows them."""
    inherited = (
        {role.slug: role for role in meeting.series.roles.all()} if meeting.series_id else {}
    )
    roles = {**inherited, **{role.slug: role for role in meeting.roles.all()}}
    holders = defaultdict(list)
    for assignment in meeting.role_assignments.all():
        holders[assignment.role].append(_name(assignment.user))

    def order(role: object) -> tuple[int, bool, int]:
        stands = inherited.get(role.slug, role)
        return (stands.position, stands.series_id is None, stands.pk)

    ordered = sorted((role for role in roles.values() if role.places), key=order)
    accepted = Meeting.agenda_items.field.model.Status.ACCEPTED
    return Practice(
        holders=tuple(
            (role.name, tuple(holders[role.slug])) for role in ordered if holders[role.slug]
        ),
        agenda=tuple(
            AgendaLine(title=item.title, minutes=item.minutes, proposer=_name(item.proposer))
            for item in meeting.agenda_items.all()
            if item.status == accepted
        ),
    )


def _name(user: object) -> str:
    """The name other people see: never any part of an e-mail address."""
    return user.display_name or gettext("a member")


def practice_text(practice: Practice) -> str:
    """The roles and agenda as plain text, a paragraph each."""
    parts = []
    if practice.holders:
        lines = [gettext("Roles:")]
        lines += [f"{role}: {', '.join(names)}" for role, names in practice.holders]
        parts.append("\n".join(lines))
    if practice.agenda:
        lines = [gettext("Agenda:")]
        lines += [
            gettext("%(number)s. %(title)s (%(minutes)s min, proposed by %(name)s)")
            % {
                "number": number,
                "title": item.title,
                "minutes": item.minutes,
                "name": item.proposer,
            }
            for number, item in enumerate(practice.agenda, start=1)
        ]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _description(meeting: Meeting, extra: str, practice: Practice, join_url: str) -> str:
    parts = []
    if meeting.description:
        parts.append(meeting.description)
    elif meeting.series_id and meeting.series.description:
        parts.append(meeting.series.description)
    if practice:
        parts.append(practice_text(practice))
    if join_url and not meeting.is_cancelled:
        parts.append(f"Join: {join_url}")
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
