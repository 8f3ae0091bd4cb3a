"""Render: the e-mail for a delivery, in the member's zone, with its calendar attached."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from copf.lib.email import render_email
from meetings import display, ical
from meetings.models import Meeting
from meetings.selectors import previous_meeting

from .. import links
from ..models import CALENDAR_KINDS, REMINDER_PREFERENCES, Delivery, Rsvp, User

Kind = Delivery.Kind
Response = Rsvp.Response
PARTSTAT = {Response.YES: "ACCEPTED", Response.MAYBE: "TENTATIVE", Response.NO: "DECLINED"}


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


def build_message(delivery: Delivery, *, now: datetime, answer: Rsvp | None):
    """The e-mail for a delivery, in the member's zone, and the snapshot of what it says.

    The calendar carries the delivery's own SEQUENCE, given when it was planned or claimed
    with the meeting locked (see `send.claim`).
    """
    meeting, user = delivery.meeting, delivery.user
    zone = _zone(user)
    sequence = delivery.sequence
    snapshot = {**snapshot_of(meeting), "sequence": sequence, "meeting_sequence": meeting.sequence}
    context = message_context(delivery, zone=zone, now=now, answer=answer)
    unsubscribe = links.unsubscribe_url(user_id=user.pk)
    headers = {
        "Message-ID": delivery.message_id,
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }
    with timezone.override(zone):
        message = render_email(delivery.kind, context, to=user.email, headers=headers)
    method = _calendar_method(delivery.kind)
    if method:
        calendar = invite_calendar(
            meeting, user=user, method=method, sequence=sequence, answer=answer
        )
        ics = ical.render(calendar)
        # Django adds the charset itself (utf-8); naming it here would declare it twice.
        message.attach_alternative(ics.decode(), f"text/calendar; method={method}")
        # Bytes, not text: the e-mail package would escape non-ASCII text in a non-text part.
        message.attach("invite.ics", ics, "application/ics")
    return message, snapshot


def _calendar_method(kind: str) -> str:
    if kind in CALENDAR_KINDS:
        return "REQUEST"
    if kind == Kind.CANCELLATION:
        return "CANCEL"
    return ""


def invite_calendar(
    meeting: Meeting, *, user: User, method: str, sequence: int, answer: Rsvp | None
):
    partstat = PARTSTAT.get(answer.response, "NEEDS-ACTION") if answer else "NEEDS-ACTION"
    if method == "CANCEL":
        partstat = "DECLINED" if answer and answer.response == Response.NO else partstat
    attendee = ical.Attendee(email=user.email, name=user.display_name, partstat=partstat)
    options = ical.EventOptions(attendee=attendee, cancelled=method == "CANCEL")
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


def message_context(
    delivery: Delivery, *, zone: ZoneInfo, now: datetime, answer: Rsvp | None
) -> dict[str, object]:
    meeting, user = delivery.meeting, delivery.user
    local = display.localize(meeting, zone)
    # Reminders only: the previous meeting decides the clock-change note.
    previous = previous_meeting(meeting=meeting) if delivery.kind in REMINDER_PREFERENCES else None
    return {
        "member": user,
        "meeting": meeting,
        "kind": delivery.kind,
        "local": local,
        "when": when_text(local, now=now),
        "utc_time": f"{local.utc_start:%H:%M} UTC",
        "clock_note": clock_note(meeting, previous, zone),
        "changes": changes(delivery.previous, meeting, zone)
        if delivery.kind == Kind.UPDATE
        else [],
        "answer": answer,
        "meeting_url": ical.absolute_url(meeting.get_absolute_url()),
        "join_url": meeting.effective_join_url,
        "rsvp_links": {
            response: links.rsvp_url(user_id=user.pk, meeting_id=meeting.pk, response=response)
            for response in Response
        },
        "preferences_url": ical.absolute_url(reverse("members:profile")),
        "unsubscribe_url": links.unsubscribe_url(user_id=user.pk),
        "site_url": settings.SITE_URL,
    }


def when_text(local: display.LocalMeeting, *, now: datetime) -> str:
    """ "Tomorrow 19:30 IST": the day relative to now in the member's zone, then the time."""
    today = now.astimezone(local.zone).date()
    days = (local.start.date() - today).days
    if days == 0:
        day = "Today"
    elif days == 1:
        day = "Tomorrow"
    else:
        day = display.format_short_day(local.start)
    return f"{day} {local.start:%H:%M} {local.zone_label}"


def clock_note(meeting: Meeting, previous: Meeting | None, zone: ZoneInfo) -> str:
    if previous is None:
        return ""
    marked = display.mark_clock_changes([meeting], zone, previous=previous)[0]
    if not marked.local_time_changed:
        return ""
    return (
        f"Clocks have changed since the last meeting: this one starts at "
        f"{marked.start:%H:%M} {marked.zone_label} your time, not {marked.previous_local_time}."
    )


def changes(
    previous: dict[str, object], meeting: Meeting, zone: ZoneInfo
) -> list[tuple[str, str, str]]:
    """(what, before, now) for each thing the member sees that changed."""
    if not previous:
        return []
    result = []
    old_start = datetime.fromisoformat(str(previous["starts_at"]))
    old_end = datetime.fromisoformat(str(previous["ends_at"]))
    if (old_start, old_end) != (meeting.starts_at, meeting.ends_at):
        result.append(
            (
                "Time",
                _time_text(old_start, old_end, zone),
                _time_text(meeting.starts_at, meeting.ends_at, zone),
            )
        )
    if previous.get("title") != meeting.title:
        result.append(("Title", str(previous.get("title", "")), meeting.title))
    if previous.get("join_url", "") != meeting.effective_join_url:
        result.append(
            (
                "Join link",
                str(previous.get("join_url") or "none"),
                meeting.effective_join_url or "none",
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
