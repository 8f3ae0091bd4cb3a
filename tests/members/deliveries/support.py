"""What the delivery tests share: a fixed calendar, members, meetings and shortcuts."""

import re
import smtplib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from meetings.models import Meeting, Series
from members import services
from members.deliveries import plan
from members.deliveries import send as sender
from members.models import Delivery, Follow, Rsvp, User
from tests.factories import MeetingFactory, SeriesFactory, UserFactory

SITE = "https://copf.example.org"
FROM = "CoP-F <meetings@copf.example.org>"
ORGANIZER = "mailto:meetings@copf.example.org"
# CoP-F East on its second Monday in January; a week before it, answers are open.
START = datetime(2027, 1, 11, 14, 0, tzinfo=UTC)
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
DAY_BEFORE = START - timedelta(days=1)
HOUR_BEFORE = START - timedelta(hours=1)
WEST_START = datetime(2027, 1, 11, 18, 30, tzinfo=UTC)
JULY_START = datetime(2027, 7, 12, 14, 0, tzinfo=UTC)
# Around the US change to summer time on Sunday 14 March 2027 (and Europe's on 28 March,
# and Sydney's end of summer time on 4 April).
MARCH_START = datetime(2027, 3, 8, 14, 0, tzinfo=UTC)
APRIL_START = datetime(2027, 4, 12, 14, 0, tzinfo=UTC)
FEBRUARY_START = datetime(2027, 2, 8, 14, 0, tzinfo=UTC)
JOIN_LINE = "Join: https://meet.example.org/copf"
MOVED = "The meeting changed after this reminder was planned; a new one is planned."
REMINDER_KINDS = [Delivery.Kind.REMINDER_DAY, Delivery.Kind.REMINDER_HOUR]


class FailingBackend(BaseEmailBackend):
    """An SMTP server that refuses every message with `error`."""

    error: Exception = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    def send_messages(self, email_messages):
        raise type(self).error


class WorkerDiesAfterSendingBackend(LocmemBackend):
    """The message leaves, then the worker is killed before it can record that."""

    def send_messages(self, email_messages):
        super().send_messages(email_messages)
        raise SystemExit("worker killed")


# --- helpers ---------------------------------------------------------------------------


def member(name: str = "Asha", zone: str = "UTC", **fields) -> User:
    return UserFactory(
        display_name=name, email=f"{name.lower()}@example.org", timezone=zone, **fields
    )


def east(starts_at: datetime = START, **fields) -> Meeting:
    """A CoP-F East meeting in its own series (so it has no meeting before it)."""
    return MeetingFactory(series=SeriesFactory(name="CoP-F East"), starts_at=starts_at, **fields)


def follow(user: User, series: Series) -> Follow:
    return services.follow_series(user=user, series=series)


def answer(user: User, meeting: Meeting, response: str) -> Rsvp:
    return services.set_rsvp(user=user, meeting=meeting, response=response).rsvp


def planned(**filters) -> list[tuple[str, str]]:
    """(member name, kind) of the matching deliveries, by name and then kind."""
    return list(
        Delivery.objects.filter(**filters)
        .order_by("user__display_name", "kind", "pk")
        .values_list("user__display_name", "kind")
    )


def the(kind: str, user: User | None = None, **filters) -> Delivery:
    if user is not None:
        filters["user"] = user
    return Delivery.objects.get(kind=kind, **filters)


def send(delivery: Delivery) -> str:
    return sender.deliver(delivery.pk)


def sent_invite(user: User, meeting: Meeting, response: str = "yes"):
    """Answer, send the invite it plans, and return the e-mail."""
    answer(user, meeting, response)
    send(the(Delivery.Kind.INVITE, user))
    return mail.outbox[-1]


def reminder_mail(user: User, meeting: Meeting, clock, kind: str = Delivery.Kind.REMINDER_DAY):
    """Answer yes now, sweep when the reminder falls due, send it, return the e-mail."""
    answer(user, meeting, "yes")
    clock.move_to(meeting.starts_at - plan.REMINDER_OFFSETS[kind])
    plan.plan_deliveries()
    assert send(the(kind, user)) == Delivery.State.SENT
    return mail.outbox[-1]


def lines_after(body: str, heading: str, count: int) -> list[str]:
    """The `count` lines after the first line that is exactly `heading`."""
    lines = body.splitlines()
    start = lines.index(heading)
    return lines[start + 1 : start + 1 + count]


def html_of(message) -> str:
    [html] = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    return html


def html_when(message) -> tuple[str, str, str]:
    """(local time, zone name, UTC line) from the meeting block of the HTML part."""
    found = re.search(
        r"<strong>([^<]*)</strong> \(([^)]*)\)<br>In UTC: ([^<]*)</p>", html_of(message)
    )
    return found.groups()


def ics_of(message) -> str:
    [ics] = [
        content
        for content, mimetype in message.alternatives
        if mimetype.startswith("text/calendar")
    ]
    return ics


def event_of(message) -> tuple[icalendar.Calendar, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(ics_of(message))
    [event] = calendar.walk("VEVENT")
    return calendar, event


def link_path(url: str) -> str:
    return urlsplit(url).path
