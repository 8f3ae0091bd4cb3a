"""Render: the e-mail about a poll, in the recipient's zone with UTC beside every time.

A member's zone is their profile's, a guest's the one they gave when they voted. Members'
messages carry the unsubscribe link every other kind carries; a guest has no account, so
theirs carry their own link to the poll instead, signed for them (`links.guest_token`).

Each message is rendered on its own: poll mail goes once per person and poll, not in the
thousands a meeting's reminders do, so the blanks `render` fills in per member are not
worth their keep here.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from copf.lib.email import FilledEmail, compose_email, render_email_parts
from meetings import display, ical

from .. import links
from ..models import Delivery, Poll, PollSlot
from ..polls.fairness import DayPart, part_of_day
from .render import mail_headers, tidy_text

Kind = Delivery.Kind


@dataclass(frozen=True)
class LocalTime:
    """A time, or a span from it, as one recipient reads it: in their zone, with UTC."""

    local: str  # the day, the time (or times) and the zone's abbreviation
    utc: str  # the same in UTC, the day only when it is another; "" in a zone of UTC
    short: str  # for a subject: the day without the year, the start, the zone, UTC beside
    part: str = ""  # where a slot falls in their day, unless in the day: "night", ...

    @property
    def text(self) -> str:
        return f"{self.local} ({self.utc})" if self.utc else self.local


def local_time(start: datetime, zone: ZoneInfo, *, length: timedelta | None = None) -> LocalTime:
    local_start = start.astimezone(zone)
    utc_start = start.astimezone(display.UTC)
    if length is None:
        local = f"{display.format_short_day(local_start)}, {local_start:%H:%M}"
        utc = f"{utc_start:%H:%M} UTC"
    else:
        local = (
            f"{display.format_short_day(local_start)}, "
            f"{display.format_range(local_start, (start + length).astimezone(zone))}"
        )
        utc = f"{display.format_range(utc_start, (start + length).astimezone(display.UTC))} UTC"
    short = f"{display.format_short_day(local_start).removesuffix(f' {local_start.year}')}, "
    if zone.key == "UTC":
        return LocalTime(local=f"{local} UTC", utc="", short=f"{short}{local_start:%H:%M} UTC")
    label = display.zone_label(local_start)
    short = f"{short}{local_start:%H:%M} {label} ({utc_start:%H:%M} UTC)"
    if utc_start.date() != local_start.date():
        utc = f"{display.format_short_day(utc_start)}, {utc}"
    return LocalTime(local=f"{local} {label}", utc=utc, short=short)


def slot_time(slot: PollSlot, poll: Poll, zone: ZoneInfo) -> LocalTime:
    """A candidate slot with its length, marked when it falls outside the recipient's day."""
    part = part_of_day(slot.starts_at, poll.length, zone)
    when = local_time(slot.starts_at, zone, length=poll.length)
    return replace(when, part="" if part == DayPart.DAY else str(part.label))


def build_message(delivery: Delivery, *, now: datetime) -> tuple[FilledEmail, dict[str, object]]:
    """The e-mail for a poll's delivery, and the snapshot of what it says."""
    poll, user, voter = delivery.poll, delivery.user, delivery.voter
    zone = ZoneInfo(str(user.timezone if user is not None else voter.timezone))
    context = poll_context(delivery, zone=zone)
    with timezone.override(zone):
        parts = render_email_parts(delivery.kind, context)
    parts = replace(parts, text=tidy_text(parts.text))
    headers = {"Auto-Submitted": "auto-generated", "Message-ID": delivery.message_id}
    if user is not None:
        headers = {**mail_headers(unsubscribe_url=context["unsubscribe_url"]), **headers}
    to = user.email if user is not None else voter.email
    message = compose_email(parts, to=to, headers=headers)
    snapshot = {
        "title": poll.title,
        "deadline": poll.deadline.isoformat(),
        "closed_at": poll.closed_at.isoformat() if poll.closed_at else "",
        "chosen": poll.chosen_slot.starts_at.isoformat() if poll.chosen_slot else "",
        "meeting_sequence": 0,
    }
    return message, snapshot


def poll_context(delivery: Delivery, *, zone: ZoneInfo) -> dict[str, object]:
    """What the templates are given, for this recipient."""
    poll, user, voter = delivery.poll, delivery.user, delivery.voter
    is_guest = user is None
    name = voter.name if is_guest else user.display_name
    deadline = local_time(poll.deadline, zone)
    context: dict[str, object] = {
        "member": {"display_name": name, "timezone": zone.key},
        "poll": poll,
        "is_guest": is_guest,
        "poll_url": links.poll_guest_url(voter)
        if is_guest
        else ical.absolute_url(poll.get_absolute_url()),
        "deadline": deadline,
        "preheader": gettext("Vote by %(when)s") % {"when": deadline.text},
    }
    if not is_guest:
        context["preferences_url"] = ical.absolute_url(reverse("members:profile"))
        context["unsubscribe_url"] = links.unsubscribe_url(user_id=user.pk)
    if delivery.kind in (Kind.POLL_INVITE, Kind.POLL_REMINDER):
        context["slots"] = [slot_time(slot, poll, zone) for slot in poll.slots.all()]
    if delivery.kind == Kind.POLL_CONFIRM:
        context["confirm_url"] = links.poll_confirm_url(voter)
    if delivery.kind == Kind.POLL_RESULT:
        context.update(result_context(poll, zone=zone))
    return context


def result_context(poll: Poll, *, zone: ZoneInfo) -> dict[str, object]:
    """The chosen slot, and where the meeting (or the new series) is and goes in a calendar."""
    context: dict[str, object] = {"meeting_url": "", "calendar_url": "", "series_url": ""}
    if poll.chosen_slot is not None:
        chosen = local_time(poll.chosen_slot.starts_at, zone, length=poll.length)
        context["chosen"] = chosen
        context["preheader"] = gettext("Decided: %(when)s") % {"when": chosen.text}
    if poll.meeting is not None:
        context["meeting_url"] = ical.absolute_url(poll.meeting.get_absolute_url())
        context["calendar_url"] = ical.absolute_url(
            reverse("meetings:meeting_calendar", kwargs={"pk": poll.meeting_id})
        )
    if poll.new_series is not None:
        series = poll.new_series
        context["series_url"] = ical.absolute_url(series.get_absolute_url())
        context["series_calendar_url"] = ical.absolute_url(
            reverse("meetings:series_calendar_feed", kwargs={"slug": series.slug})
        )
        context["repeats"] = str(Poll.Frequency(poll.frequency).label)
    return context
