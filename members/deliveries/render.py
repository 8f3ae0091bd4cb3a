"""Render: the e-mail for a delivery, in the member's zone, with its calendar attached.

A chunk sends one meeting's message to many members. What differs between them only by
name and signed links is rendered once per variant (kind, zone, language, answer, what
changed, how soon, the roles the member holds) with blanks for those values, and each
message fills in its own, into the bytes on the wire too (`copf.lib.email`).

The practice: invitations and reminders name the role holders and the accepted agenda (as
their calendar's DESCRIPTION does); a nudge offers each open place with a signed link to
take it, a digest lists the open places for organizers, a role holder's reminder shows
their role and the agenda so far, and the harvest comes as Markdown made safe.
"""

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.text import get_text_list
from django.utils.translation import get_language, gettext, ngettext

from copf.lib.email import (
    EmailParts,
    WireTemplate,
    blank,
    compose_email,
    fill_parts,
    render_email_parts,
)
from copf.lib.markdown import render_markdown
from meetings import display, ical
from meetings.models import Meeting
from meetings.selectors import previous_meeting

from .. import links
from ..models import (
    CALENDAR_KINDS,
    REMINDER_PREFERENCES,
    AgendaItem,
    Delivery,
    Harvest,
    Rsvp,
    User,
)
from ..practice.access import FACILITATOR
from ..practice.agenda import Agenda, agenda_of
from ..practice.places import Place, display_name, holder_names, meeting_places

Kind = Delivery.Kind
Response = Rsvp.Response
PARTSTAT = {Response.YES: "ACCEPTED", Response.MAYBE: "TENTATIVE", Response.NO: "DECLINED"}
NUDGE_KINDS = (Kind.NUDGE_WEEK, Kind.NUDGE_DAYS)
# Messages of the practice: no answer buttons, no calendar.
PRACTICE_KINDS = (
    *NUDGE_KINDS,
    Kind.DIGEST_WEEK,
    Kind.DIGEST_DAYS,
    Kind.ROLE_REMINDER,
    Kind.HARVEST,
)
# Messages that name the role holders and the accepted agenda, as the calendar does.
SHOWS_PRACTICE = (Kind.INVITE, *REMINDER_PREFERENCES)


def snapshot_of(meeting: Meeting) -> dict[str, object]:
    """What a message says about a meeting, kept to tell later what changed."""
    return {
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "title": meeting.title,
        "join_url": meeting.effective_join_url,
        "status": meeting.status,
        "sequence": meeting.sequence,
    }


class MeetingParts:
    """What a message says of a meeting that is the same for every member, worked out on
    first use and then kept for the rest of the chunk."""

    def __init__(self, meeting: Meeting) -> None:
        self.meeting = meeting

    @cached_property
    def previous(self) -> Meeting | None:
        return previous_meeting(meeting=self.meeting)

    @cached_property
    def following(self) -> Meeting | None:
        return next_session(self.meeting) if self.meeting.is_cancelled else None

    @cached_property
    def meeting_url(self) -> str:
        return ical.absolute_url(self.meeting.get_absolute_url())

    @cached_property
    def next_session_url(self) -> str:
        following = self.following
        return ical.absolute_url(following.get_absolute_url()) if following else ""

    @cached_property
    def preferences_url(self) -> str:
        return ical.absolute_url(reverse("members:profile"))

    @cached_property
    def rendered(self) -> dict[tuple[object, ...], "SharedMessage"]:
        """Messages rendered with blanks for the member's own values, by variant."""
        return {}

    @cached_property
    def places(self) -> list[Place]:
        return meeting_places(self.meeting)

    @cached_property
    def agenda_items(self) -> list[AgendaItem]:
        return list(self.meeting.agenda_items.select_related("proposer"))

    @cached_property
    def agenda(self) -> Agenda:
        return agenda_of(self.meeting, self.agenda_items)

    @cached_property
    def practice(self) -> ical.Practice:
        """The role holders and the accepted agenda, for the message and its calendar."""
        return ical.Practice(
            holders=tuple(
                (role, tuple(names)) for role, names in holder_names(self.meeting, self.places)
            ),
            agenda=tuple(
                ical.AgendaLine(
                    title=item.title, minutes=item.minutes, proposer=display_name(item.proposer)
                )
                for item in self.agenda.items
            ),
        )

    @cached_property
    def offers(self) -> list[Place]:
        """The open places a nudge asks members to take."""
        return [place for place in self.places if place.open and place.role.nudge]

    @cached_property
    def harvest(self) -> Harvest | None:
        return (
            Harvest.objects.filter(meeting=self.meeting)
            .prefetch_related("decisions__objections")
            .first()
        )


class SharedParts:
    """`MeetingParts` per meeting within one chunk. A meeting re-read under its lock that
    has since moved or been cancelled gets parts of its own."""

    def __init__(self) -> None:
        self._parts: dict[tuple[object, ...], MeetingParts] = {}

    def of(self, meeting: Meeting) -> MeetingParts:
        key = (
            meeting.pk,
            meeting.series_id,
            meeting.starts_at,
            meeting.ends_at,
            meeting.status,
            meeting.sequence,
            meeting.title,
            meeting.join_url,
            meeting.cancellation_message,
        )
        if key not in self._parts:
            self._parts[key] = MeetingParts(meeting)
        return self._parts[key]


def build_message(
    delivery: Delivery,
    *,
    now: datetime,
    answer: Rsvp | None,
    parts: MeetingParts | None = None,
):
    """The e-mail for a delivery, in the member's zone, and the snapshot of what it says.

    The calendar carries the delivery's own SEQUENCE, given when it was planned or claimed
    with the meeting locked (see `send.claim`).
    """
    meeting, user = delivery.meeting, delivery.user
    parts = parts if parts is not None and parts.meeting.pk == meeting.pk else MeetingParts(meeting)
    zone = _zone(user)
    sequence = delivery.sequence
    snapshot = {
        **snapshot_of(meeting),
        "sequence": sequence,
        "meeting_sequence": meeting.sequence,
        # What the member's calendar now says they answered (see `send.skip_reason`).
        "response": answer.response if answer else "",
    }
    values = member_values(user, meeting=meeting, kind=delivery.kind, parts=parts)
    shared = _shared_message(delivery, zone=zone, now=now, answer=answer, parts=parts)
    headers = {
        **mail_headers(unsubscribe_url=values["unsubscribe"]),
        "Message-ID": delivery.message_id,
    }
    message = compose_email(fill_parts(shared.parts, values), to=user.email, headers=headers)
    method = _calendar_method(delivery.kind)
    if method:
        calendar = invite_calendar(
            meeting,
            user=user,
            method=method,
            sequence=sequence,
            answer=answer,
            practice=parts.practice,
            join_url=values.get("join", ""),
        )
        ics = ical.render(calendar)
        # Django adds the charset itself (utf-8); naming it here would declare it twice.
        message.attach_alternative(ics.decode(), f"text/calendar; method={method}")
        # Bytes, not text: the e-mail package would escape non-ASCII text in a non-text part.
        message.attach("invite.ics", ics, "application/ics")
    elif shared.wire is not None:
        message.wire = shared.wire.fill(values, to=user.email, message_id=delivery.message_id)
    return message, snapshot


def mail_headers(*, unsubscribe_url: str) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }


def member_values(
    user: User, *, meeting: Meeting, kind: str, parts: MeetingParts | None = None
) -> dict[str, str]:
    """What a message says that is the member's own, by the name of its blank: their name
    and their signed links (to join the call, to answer, or, in a nudge, to take each open
    place)."""
    values = {
        "name": user.display_name or gettext("there"),
        "unsubscribe": links.unsubscribe_url(user_id=user.pk),
    }
    if has_call(meeting):
        values["join"] = links.join_url(user_id=user.pk, meeting_id=meeting.pk)
    if kind not in PRACTICE_KINDS:
        values.update(
            (response, links.rsvp_url(user_id=user.pk, meeting_id=meeting.pk, response=response))
            for response in Response
        )
    if kind in NUDGE_KINDS:
        parts = parts or MeetingParts(meeting)
        values.update(
            (
                _take_blank(index),
                links.take_role_url(user_id=user.pk, meeting_id=meeting.pk, role=place.role.slug),
            )
            for index, place in enumerate(parts.offers)
        )
    return values


def has_call(meeting: Meeting) -> bool:
    """Whether a message offers the member their join link: a call to join."""
    return not meeting.is_cancelled and bool(meeting.effective_join_url)


def _take_blank(index: int) -> str:
    """The blank for the link to take the index-th open place: take_a, take_b, ... (a
    blank's name has letters only)."""
    letters = ""
    while True:
        index, rest = divmod(index, 26)
        letters = chr(ord("a") + rest) + letters
        if not index:
            return f"take_{letters}"
        index -= 1


def held_roles(user: User, places: list[Place]) -> list[Place]:
    return [place for place in places if place.held_by(user)]


@dataclass(frozen=True)
class SharedMessage:
    """A message as every member of one variant gets it, with blanks for their own values;
    its bytes on the wire too, where no part is the member's own (a calendar is)."""

    parts: EmailParts
    wire: WireTemplate | None


def _shared_message(
    delivery: Delivery, *, zone: ZoneInfo, now: datetime, answer: Rsvp | None, parts: MeetingParts
) -> SharedMessage:
    """Rendered on first use in the chunk, then kept in `parts`."""
    meeting = delivery.meeting
    local_start = meeting.starts_at.astimezone(zone)
    variant = (
        delivery.kind,
        zone.key,
        get_language(),
        answer.response if answer else None,
        # What the message says of "now", to the minute.
        starts_in(meeting.starts_at - now),
        relative_day(local_start, now=now),
        subject_day(local_start, now=now),
        json.dumps(delivery.previous, sort_keys=True) if delivery.kind == Kind.UPDATE else "",
        # A role holder's reminder names their roles.
        tuple(place.role.slug for place in held_roles(delivery.user, parts.places))
        if delivery.kind == Kind.ROLE_REMINDER
        else (),
    )
    shared = parts.rendered.get(variant)
    if shared is None:
        context = message_context(delivery, zone=zone, now=now, answer=answer, parts=parts)
        with timezone.override(zone):
            rendered = render_email_parts(delivery.kind, context)
        rendered = replace(rendered, text=tidy_text(rendered.text))
        wire = None
        if not _calendar_method(delivery.kind):
            wire = WireTemplate.of(
                rendered, headers=mail_headers(unsubscribe_url=blank("unsubscribe"))
            )
        shared = parts.rendered[variant] = SharedMessage(parts=rendered, wire=wire)
    return shared


def tidy_text(body: str) -> str:
    """The plain-text part without trailing spaces or runs of blank lines, which optional
    parts of the templates leave behind."""
    lines = [line.rstrip() for line in body.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _calendar_method(kind: str) -> str:
    if kind in CALENDAR_KINDS:
        return "REQUEST"
    if kind == Kind.CANCELLATION:
        return "CANCEL"
    return ""


def invite_calendar(
    meeting: Meeting,
    *,
    user: User,
    method: str,
    sequence: int,
    answer: Rsvp | None,
    practice: ical.Practice | None = None,
    join_url: str = "",
):
    partstat = PARTSTAT.get(answer.response, "NEEDS-ACTION") if answer else "NEEDS-ACTION"
    if method == "CANCEL":
        partstat = "DECLINED" if answer and answer.response == Response.NO else partstat
    attendee = ical.Attendee(email=user.email, name=user.display_name, partstat=partstat)
    options = ical.EventOptions(
        attendee=attendee, cancelled=method == "CANCEL", practice=practice, join_url=join_url
    )
    calendar = ical.build_calendar(
        meetings=[meeting], name=meeting.title, method=method, default_options=options
    )
    for event in calendar.walk("VEVENT"):
        event["SEQUENCE"] = sequence
        # An update must be newer than what the member holds, even with no database change
        # (their own answer changed): DTSTAMP is when we sent it.
        event.pop("DTSTAMP")
        event.add("dtstamp", timezone.now().astimezone(ZoneInfo("UTC")))
    return calendar


def _zone(user: User) -> ZoneInfo:
    zone = user.timezone
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo(str(zone))


@dataclass(frozen=True)
class AnswerButton:
    response: str
    label: str
    url: str
    chosen: bool


def message_context(
    delivery: Delivery,
    *,
    zone: ZoneInfo,
    now: datetime,
    answer: Rsvp | None,
    parts: MeetingParts,
) -> dict[str, object]:
    """What the templates are given, with blanks for the member's own values
    (`member_values`): the same for every member of one variant (see `_shared_message`)."""
    meeting = delivery.meeting
    local = display.localize(meeting, zone)
    # Reminders only: the previous meeting decides the clock-change note.
    previous = parts.previous if delivery.kind in REMINDER_PREFERENCES else None
    cancelled = meeting.is_cancelled
    following = parts.following
    organizer_message = meeting.cancellation_message.strip() if cancelled else ""
    return {
        "member": {"display_name": blank("name"), "timezone": zone.key},
        "meeting": meeting,
        "calendar_method": _calendar_method(delivery.kind),
        "local": local,
        "time_label": time_label(local.start),
        "subject_when": f"{subject_day(local.start, now=now)}, {time_label(local.start)}",
        "relative_day": relative_day(local.start, now=now),
        "starts_in": starts_in(meeting.starts_at - now),
        "clock_note": clock_note(meeting, previous, zone),
        "changes": changes(delivery.previous, meeting, zone)
        if delivery.kind == Kind.UPDATE
        else [],
        "moved": delivery.kind == Kind.UPDATE and moved(delivery.previous, meeting),
        "answer": answer,
        "answer_buttons": [
            AnswerButton(
                response=response,
                label=str(response.label),
                url=blank(response),
                chosen=answer is not None and answer.response == response,
            )
            for response in Response
        ],
        "meeting_url": parts.meeting_url,
        # The member's own join link, which records that they came (see `member_values`).
        "join_url": blank("join") if has_call(meeting) else "",
        "organizer_message": organizer_message,
        "organizer_quote": "\n".join(
            f"> {line}".rstrip() for line in organizer_message.splitlines()
        ),
        "next_session": display.localize(following, zone) if following else None,
        "next_session_url": parts.next_session_url,
        "preferences_url": parts.preferences_url,
        "unsubscribe_url": blank("unsubscribe"),
        **practice_context(delivery, local=local, now=now, parts=parts),
    }


@dataclass(frozen=True)
class Offer:
    """An open place a nudge asks the member to take, with their link to take it."""

    role: str
    open: int
    url: str


def practice_context(
    delivery: Delivery, *, local: display.LocalMeeting, now: datetime, parts: MeetingParts
) -> dict[str, object]:
    """What the templates are given of the roles, the agenda and the harvest, each kind
    only what it shows (each is read once for the chunk)."""
    kind = delivery.kind
    if kind in SHOWS_PRACTICE:
        practice = parts.practice
        return {"practice": practice, "practice_text": ical.practice_text(practice)}
    if kind in NUDGE_KINDS:
        offers = parts.offers
        return {
            "offers": [
                Offer(role=place.role.name, open=place.open, url=blank(_take_blank(index)))
                for index, place in enumerate(offers)
            ],
            "weekday": dateformat.format(local.start, "l"),
            "needs": needs_text([place.role.name for place in offers]),
        }
    if kind in (Kind.DIGEST_WEEK, Kind.DIGEST_DAYS):
        return {
            "open_places": [place for place in parts.places if place.open],
            "practice": parts.practice,
            "weekday": dateformat.format(local.start, "l"),
        }
    if kind == Kind.ROLE_REMINDER:
        mine = held_roles(delivery.user, parts.places)
        facilitates = any(place.role.slug == FACILITATOR for place in mine)
        waiting = sum(item.status == AgendaItem.Status.PROPOSED for item in parts.agenda_items)
        return {
            "my_roles": get_text_list([place.role.name for place in mine], gettext("and")),
            "practice": parts.practice,
            "agenda": parts.agenda,
            "waiting_proposals": waiting if facilitates else 0,
        }
    if kind == Kind.HARVEST:
        harvest = parts.harvest
        return {
            "harvest": harvest,
            "harvest_sections": harvest_sections(harvest) if harvest else [],
            "subject_day": subject_day(local.start, now=now),
        }
    return {}


def needs_text(roles: list[str]) -> str:
    """ "a facilitator and a harvester / note-taker": the open roles as a nudge's subject
    names them."""
    return get_text_list(
        [gettext("a %(role)s") % {"role": _in_sentence(role)} for role in roles],
        gettext("and"),
    )


def _in_sentence(name: str) -> str:
    """A role's name inside a sentence: "Facilitator" as "facilitator", "DJ" as it is."""
    if len(name) > 1 and name[1].isupper():
        return name
    return name[:1].lower() + name[1:]


@dataclass(frozen=True)
class HarvestSection:
    title: str
    text: str  # Markdown, as written: the plain-text part shows it as it is
    html: str  # the same, rendered and sanitized


def harvest_sections(harvest: Harvest) -> list[HarvestSection]:
    """What was practised, learnt and shared, each that was written."""
    sections = [
        (gettext("What we practised"), harvest.practised),
        (gettext("What we learnt"), harvest.learnt),
        (gettext("Resources shared"), harvest.resources),
    ]
    return [
        HarvestSection(title=title, text=text.strip(), html=render_markdown(text))
        for title, text in sections
        if text.strip()
    ]


def next_session(meeting: Meeting) -> Meeting | None:
    """The next scheduled meeting of the same series after this one, if any."""
    if meeting.series_id is None:
        return None
    return (
        Meeting.objects.filter(
            series_id=meeting.series_id,
            status=Meeting.Status.SCHEDULED,
            starts_at__gt=meeting.starts_at,
        )
        .order_by("starts_at", "pk")
        .first()
    )


def time_label(start: datetime) -> str:
    """ "19:30 IST (14:00 UTC)": the local start with its zone, and UTC beside it unless
    the member's zone is UTC."""
    zone = display.zone_label(start)
    if zone == "UTC":
        return f"{start:%H:%M} UTC"
    return f"{start:%H:%M} {zone} ({start.astimezone(display.UTC):%H:%M} UTC)"


def subject_day(start: datetime, *, now: datetime) -> str:
    """ "Tue 3 Mar", with the year only when it is not this year in the member's zone."""
    day = display.format_short_day(start)
    if start.year == now.astimezone(start.tzinfo).year:
        return day.removesuffix(f" {start.year}")
    return day


def relative_day(start: datetime, *, now: datetime) -> str:
    """ "today", "tomorrow", or the day: counted in the member's zone."""
    days = (start.date() - now.astimezone(start.tzinfo).date()).days
    if days == 0:
        return gettext("today")
    if days == 1:
        return gettext("tomorrow")
    return subject_day(start, now=now)


def starts_in(span: timedelta) -> str:
    """ "1 hour", "40 minutes": how soon, as a reminder says it."""
    minutes = max(round(span.total_seconds() / 60), 0)
    if minutes >= 55:
        hours = max(round(minutes / 60), 1)
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def moved(previous: dict[str, object], meeting: Meeting) -> bool:
    if not previous:
        return False
    return (
        datetime.fromisoformat(str(previous["starts_at"])),
        datetime.fromisoformat(str(previous["ends_at"])),
    ) != (meeting.starts_at, meeting.ends_at)


def clock_note(meeting: Meeting, previous: Meeting | None, zone: ZoneInfo) -> str:
    if previous is None:
        return ""
    marked = display.mark_clock_changes([meeting], zone, previous=previous)[0]
    if not marked.local_time_changed:
        return ""
    return gettext(
        "Clocks have changed since the last meeting: this one starts at %(time)s your time, "
        "not %(before)s."
    ) % {"time": f"{marked.start:%H:%M} {marked.zone_label}", "before": marked.previous_local_time}


def changes(
    previous: dict[str, object], meeting: Meeting, zone: ZoneInfo
) -> list[tuple[str, str, str]]:
    """(what, before, now) for each thing the member sees that changed."""
    if not previous:
        return []
    result = []
    old_start = datetime.fromisoformat(str(previous["starts_at"]))
    old_end = datetime.fromisoformat(str(previous["ends_at"]))
    if moved(previous, meeting):
        result.append(
            (
                gettext("Time"),
                _time_text(old_start, old_end, zone),
                _time_text(meeting.starts_at, meeting.ends_at, zone),
            )
        )
    if previous.get("title") != meeting.title:
        result.append((gettext("Title"), str(previous.get("title", "")), meeting.title))
    if previous.get("join_url", "") != meeting.effective_join_url:
        result.append(
            (
                gettext("Join link"),
                str(previous.get("join_url") or gettext("none")),
                meeting.effective_join_url or gettext("none"),
            )
        )
    return result


def _time_text(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    utc = start.astimezone(ZoneInfo("UTC"))
    return (
        f"{display.format_short_day(local_start)}, {display.format_range(local_start, local_end)} "
        f"{display.zone_label(local_start)} ({utc:%H:%M} UTC)"
    )
