"""What the delivery tests share: a fixed calendar, members, meetings and shortcuts."""

import os
import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.utils import timezone

from meetings.models import Meeting, Series
from meetings.permissions import ensure_organizers_group
from members import links, services
from members.deliveries import plan, sweep
from members.deliveries import send as sender
from members.models import Delivery, Follow, Poll, PollVote, PollVoter, Rsvp, User
from members.polls import services as poll_services
from members.polls.services import PollDraft, create_poll
from members.practice.roles import give_default_roles
from tests.factories import MeetingFactory, SeriesFactory, UserFactory
from tests.services import require

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
SETTLE = plan.ANSWER_SETTLE_DELAY
JOIN_LABEL = "Join the meeting:"
MOVED = "The meeting changed after this reminder was planned; a new one is planned."
REMINDER_KINDS = [Delivery.Kind.REMINDER_DAY, Delivery.Kind.REMINDER_HOUR]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def join_lines(user: User, meeting) -> list[str]:
    """A message's join link: the member's own, which records that they came."""
    return [JOIN_LABEL, links.join_url(user_id=user.pk, meeting_id=meeting.pk)]


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


def confirmed(user: User) -> User:
    """The member with their address confirmed, as taking a role needs."""
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def with_roles(meeting: Meeting) -> Meeting:
    """CoP-F's five roles, one place each, on the meeting's series; the facilitator and
    the harvester ask members to take them when open."""
    give_default_roles(series=meeting.series)
    return meeting


def east(starts_at: datetime = START, **fields) -> Meeting:
    """A CoP-F East meeting in its own series (so it has no meeting before it)."""
    return MeetingFactory(series=SeriesFactory(name="CoP-F East"), starts_at=starts_at, **fields)


def follow(user: User, series: Series) -> Follow:
    return services.follow_series(user=user, series=series)


def answer(user: User, meeting: Meeting, response: str) -> Rsvp:
    """Answer as if ANSWER_SETTLE_DELAY ago, so the message the answer plans is due now.
    For tests about what follows an answer; `answer_now` is for those about the settling."""
    settled = timezone.now() - plan.ANSWER_SETTLE_DELAY
    return services.set_rsvp(user=user, meeting=meeting, response=response, now=settled).rsvp


def answer_now(user: User, meeting: Meeting, response: str) -> Rsvp:
    """Answer at the clock's time: the message it plans waits ANSWER_SETTLE_DELAY."""
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
    """Answer yes now and send the invite, sweep when the reminder falls due, send it,
    return the e-mail."""
    sent_invite(user, meeting)
    clock.move_to(meeting.starts_at - plan.REMINDER_OFFSETS[kind])
    plan.plan_deliveries()
    assert send(the(kind, user)) == Delivery.State.SENT
    return mail.outbox[-1]


def minute_by_minute(clock, minutes: int) -> list[tuple[str, str]]:
    """The beat and a worker for `minutes` minutes: each minute the clock moves on, a sweep
    runs and every row it enqueues is delivered. (kind, what became of it) for each, "retry"
    for a transient failure (the worker's own retry is left to the sweep)."""
    results = []
    for _ in range(minutes):
        clock.shift(timedelta(minutes=1))
        for delivery_id in sweep.sweep().due:
            kind = Delivery.objects.values_list("kind", flat=True).get(pk=delivery_id)
            try:
                results.append((kind, sender.deliver(delivery_id)))
            except sender.TransientFailure:
                results.append((kind, "retry"))
    return results


def lines_after(body: str, heading: str, count: int) -> list[str]:
    """The `count` lines after the first line that is exactly `heading`."""
    lines = body.splitlines()
    start = lines.index(heading)
    return lines[start + 1 : start + 1 + count]


def html_of(message) -> str:
    [html] = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    return html


class VisibleText(HTMLParser):
    """The lines a reader sees in an HTML part, and its buttons: (label, link, style)."""

    BREAKS = frozenset(
        {"p", "h1", "h2", "br", "tr", "th", "td", "blockquote", "hr", "div", "ul", "ol", "li"}
    )
    UNSEEN = frozenset({"head", "style", "title"})

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = [""]
        self.buttons: list[tuple[str, str, str]] = []
        self.hidden = 0  # depth inside <head> or a display:none element
        self.stack: list[tuple[str, bool]] = []
        self.button: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        unseen = tag in self.UNSEEN or "display:none" in (attributes.get("style") or "")
        if tag not in {"br", "hr", "meta"}:
            self.stack.append((tag, unseen))
            self.hidden += unseen
        if tag in self.BREAKS:
            self.lines.append("")
        if tag == "a" and (attributes.get("class") or "").startswith("copf-button"):
            self.button = {"href": attributes["href"], "style": attributes["style"], "text": ""}

    def handle_endtag(self, tag):
        if tag == "a" and self.button is not None:
            button = self.button
            self.buttons.append((button["text"].strip(), button["href"], button["style"]))
            self.button = None
        while self.stack:
            opened, unseen = self.stack.pop()
            self.hidden -= unseen
            if opened == tag:
                break
        if tag in self.BREAKS:
            self.lines.append("")

    def handle_data(self, data):
        if self.hidden:
            return
        self.lines[-1] += data
        if self.button is not None:
            self.button["text"] += data

    def text(self) -> list[str]:
        lines = [" ".join(line.split()) for line in self.lines]
        return [line for line in lines if line]


def read_html(message) -> VisibleText:
    reader = VisibleText()
    reader.feed(html_of(message))
    reader.close()
    return reader


def html_lines(message) -> list[str]:
    """The visible lines of the HTML part, each with its spaces collapsed."""
    return read_html(message).text()


def html_buttons(message) -> list[tuple[str, str]]:
    """(label, link) of each button in the HTML part."""
    return [(label, href) for label, href, _ in read_html(message).buttons]


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


@contextmanager
def mail_viewer() -> Iterator[Callable[..., object]]:
    """Debian's Chromium, to look at an HTML part as a mail app shows it: call with the HTML,
    a width in px and "light" or "dark". Open it after the database work of a test: while
    Playwright's event loop runs, Django would hand the test another connection."""
    require(CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "The playwright package is missing")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)

        def open_html(html: str, *, width: int, scheme: str):
            page = browser.new_page(viewport={"width": width, "height": 800}, color_scheme=scheme)
            # Offline: a mail app shows no remote content unless asked; nothing here needs any.
            page.route("**/*", lambda route: route.abort())
            page.set_content(html)
            return page

        try:
            yield open_html
        finally:
            browser.close()


# --- polls -----------------------------------------------------------------------------

# Three candidate times a week after NOW, 90 minutes each, and a deadline before them. In
# Asia/Kolkata (+05:30) the first is in the evening, the second at night, the third early
# in the morning; in America/Sao_Paulo (-03:00) the third is late in the evening.
POLL_SLOTS = [
    datetime(2027, 1, 12, 14, 0, tzinfo=UTC),
    datetime(2027, 1, 12, 20, 0, tzinfo=UTC),
    datetime(2027, 1, 13, 1, 0, tzinfo=UTC),
]
POLL_DEADLINE = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


def organizer(name: str = "Olu", zone: str = "UTC") -> User:
    """A member of the Organizers group, with a confirmed address."""
    user = confirmed(member(name, zone))
    user.groups.add(ensure_organizers_group())
    return user


def make_poll(*, by: User | None = None, audience: str = Poll.Audience.MEMBERS, **fields) -> Poll:
    """A one-off poll made now by an organizer over POLL_SLOTS, as the form hands it over."""
    draft = PollDraft(
        **{
            "title": "CoP-F South",
            "description": "A new slot for the southern hemisphere.",
            "length": timedelta(minutes=90),
            "kind": Poll.Kind.ONE_OFF,
            "frequency": "",
            "audience": audience,
            "series": None,
            "zone": ZoneInfo("UTC"),
            "join_url": "https://call.example.org/south",
            "deadline": POLL_DEADLINE,
            "slots": POLL_SLOTS,
            **fields,
        }
    )
    return create_poll(by=by or organizer(), draft=draft)


def slot_ids(poll: Poll) -> list[int]:
    return list(poll.slots.order_by("starts_at").values_list("pk", flat=True))


def guest_votes(poll: Poll, *, name: str = "Bia", zone: str = "America/Sao_Paulo") -> PollVoter:
    """A guest's votes (yes to every slot), kept until they confirm their address."""
    choices = dict.fromkeys(slot_ids(poll), PollVote.Choice.YES)
    return poll_services.vote_as_guest(
        poll=poll,
        name=name,
        email=f"{name.lower()}@guest.example.net",
        zone_name=zone,
        choices=choices,
    ).voter


def poll_mail(kind: str, **filters) -> Delivery:
    return Delivery.objects.get(kind=kind, **filters)
