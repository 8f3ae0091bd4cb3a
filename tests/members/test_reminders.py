"""Messages to members: planned as rows, claimed once, rendered in the member's zone.

The domain functions in `members.reminders` are called directly, without Celery; mail goes
to `django.core.mail.outbox`, ids handed to the broker land in `published_deliveries`.
"""

import re
import smtplib
from datetime import UTC, datetime, timedelta
from io import StringIO
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
import vobject
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from meetings import services as meeting_services
from meetings.models import Meeting, Series
from members import links, messages, reminders, services
from members.models import Delivery, Follow, Rsvp, User
from tests.factories import MeetingFactory, SeriesFactory, UserFactory

pytestmark = pytest.mark.django_db

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


@pytest.fixture(autouse=True)
def mail_settings(settings):
    settings.SITE_URL = SITE
    settings.DEFAULT_FROM_EMAIL = FROM
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def smtp_fails(settings, monkeypatch):
    """Call with the exception the SMTP server should raise from now on."""
    settings.EMAIL_BACKEND = "tests.members.test_reminders.FailingBackend"

    def fail_with(error: Exception) -> None:
        monkeypatch.setattr(FailingBackend, "error", error)

    return fail_with


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
    return reminders.deliver(delivery.pk)


def sent_invite(user: User, meeting: Meeting, response: str = "yes"):
    """Answer, send the invite it plans, and return the e-mail."""
    answer(user, meeting, response)
    send(the(Delivery.Kind.INVITE, user))
    return mail.outbox[-1]


def reminder_mail(user: User, meeting: Meeting, clock, kind: str = Delivery.Kind.REMINDER_DAY):
    """Answer yes now, sweep when the reminder falls due, send it, return the e-mail."""
    answer(user, meeting, "yes")
    clock.move_to(meeting.starts_at - reminders.REMINDER_OFFSETS[kind])
    reminders.plan_deliveries()
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


# --- rendering in the member's zone ----------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "starts_at", "subject", "when"),
    [
        (
            "Asia/Kolkata",
            START,
            "Tomorrow 19:30 IST (14:00 UTC): CoP-F East",
            ["Monday 11 January 2027, 19:30–21:00 IST (Asia/Kolkata)", "In UTC: 14:00–15:30 UTC"],
        ),
        (
            "America/New_York",
            START,
            "Tomorrow 09:00 EST (14:00 UTC): CoP-F East",
            [
                "Monday 11 January 2027, 09:00–10:30 EST (America/New_York)",
                "In UTC: 14:00–15:30 UTC",
            ],
        ),
        (
            "America/New_York",
            JULY_START,
            "Tomorrow 10:00 EDT (14:00 UTC): CoP-F East",
            ["Monday 12 July 2027, 10:00–11:30 EDT (America/New_York)", "In UTC: 14:00–15:30 UTC"],
        ),
        (
            "Australia/Sydney",
            WEST_START,
            "Tomorrow 05:30 AEDT (18:30 UTC): CoP-F East",
            [
                "Tuesday 12 January 2027, 05:30–07:00 AEDT (Australia/Sydney)",
                "In UTC: Mon 11 Jan 2027, 18:30–20:00 UTC",
            ],
        ),
    ],
    ids=["kolkata", "new-york-winter", "new-york-summer", "sydney-next-local-day"],
)
def test_day_before_reminder_shows_the_members_local_time_with_zone_and_utc(
    clock, zone, starts_at, subject, when
):
    user = member(zone=zone)
    meeting = east(starts_at)

    message = reminder_mail(user, meeting, clock)

    assert message.subject == subject
    assert lines_after(message.body, "CoP-F East", 2) == when


def test_reminder_html_part_shows_the_local_time_zone_name_and_utc(clock):
    user = member(zone="Asia/Kolkata")
    meeting = east()

    message = reminder_mail(user, meeting, clock)

    assert html_when(message) == (
        "Monday 11 January 2027, 19:30–21:00 IST",
        "Asia/Kolkata",
        "14:00–15:30 UTC",
    )


def test_hour_before_reminder_says_today_in_the_members_zone(clock):
    user = member(zone="Australia/Sydney")
    meeting = east(WEST_START)

    message = reminder_mail(user, meeting, clock, kind=Delivery.Kind.REMINDER_HOUR)

    assert message.subject == "Today 05:30 AEDT (18:30 UTC): CoP-F East"


@pytest.mark.parametrize(
    ("zone", "answered_at", "subject"),
    [
        # 23:00 on Sunday in Sydney: the meeting is on Tuesday there, though "tomorrow" in UTC.
        (
            "Australia/Sydney",
            datetime(2027, 1, 10, 12, 0, tzinfo=UTC),
            "Invitation: CoP-F East, Tue 12 Jan 2027 05:30 AEDT (18:30 UTC)",
        ),
        # 01:00 on Monday in Sydney: now it is tomorrow there.
        (
            "Australia/Sydney",
            datetime(2027, 1, 10, 14, 0, tzinfo=UTC),
            "Invitation: CoP-F East, Tomorrow 05:30 AEDT (18:30 UTC)",
        ),
        (
            "UTC",
            datetime(2027, 1, 10, 12, 0, tzinfo=UTC),
            "Invitation: CoP-F East, Tomorrow 18:30 UTC (18:30 UTC)",
        ),
    ],
)
def test_today_and_tomorrow_are_counted_from_the_members_local_date(
    clock, zone, answered_at, subject
):
    user = member(zone=zone)
    meeting = east(WEST_START)
    clock.move_to(answered_at)

    message = sent_invite(user, meeting)

    assert message.subject == subject


@pytest.mark.parametrize(
    ("zone", "subject", "block"),
    [
        (
            "America/New_York",
            "Tomorrow 10:00 EDT (14:00 UTC): CoP-F East",
            [
                "Monday 12 April 2027, 10:00–11:30 EDT (America/New_York)",
                "In UTC: 14:00–15:30 UTC",
                "",
                "Clocks have changed since the last meeting: this one starts at 10:00 EDT your "
                "time, not 09:00 EST.",
            ],
        ),
        (
            "Europe/London",
            "Tomorrow 15:00 BST (14:00 UTC): CoP-F East",
            [
                "Monday 12 April 2027, 15:00–16:30 BST (Europe/London)",
                "In UTC: 14:00–15:30 UTC",
                "",
                "Clocks have changed since the last meeting: this one starts at 15:00 BST your "
                "time, not 14:00 GMT.",
            ],
        ),
        (
            "Australia/Sydney",
            "Tomorrow 00:00 AEST (14:00 UTC): CoP-F East",
            [
                "Tuesday 13 April 2027, 00:00–01:30 AEST (Australia/Sydney)",
                "In UTC: Mon 12 Apr 2027, 14:00–15:30 UTC",
                "",
                "Clocks have changed since the last meeting: this one starts at 00:00 AEST your "
                "time, not 01:00 AEDT.",
            ],
        ),
        (
            "Asia/Kolkata",
            "Tomorrow 19:30 IST (14:00 UTC): CoP-F East",
            [
                "Monday 12 April 2027, 19:30–21:00 IST (Asia/Kolkata)",
                "In UTC: 14:00–15:30 UTC",
                "",
                JOIN_LINE,
            ],
        ),
    ],
    ids=["new-york", "london", "sydney", "kolkata-no-change"],
)
def test_reminder_notes_a_clock_change_since_the_previous_meeting_of_a_utc_series(
    clock, zone, subject, block
):
    series = SeriesFactory(name="CoP-F East", anchor_timezone="UTC")
    MeetingFactory(series=series, starts_at=MARCH_START)
    april = MeetingFactory(series=series, starts_at=APRIL_START)
    user = member(zone=zone)

    message = reminder_mail(user, april, clock)

    assert message.subject == subject
    assert lines_after(message.body, "CoP-F East", 4) == block


def test_clock_note_text_names_both_local_times():
    series = SeriesFactory(anchor_timezone="UTC")
    march = MeetingFactory(series=series, starts_at=MARCH_START)
    april = MeetingFactory(series=series, starts_at=APRIL_START)

    note = messages.clock_note(april, march, ZoneInfo("America/New_York"))

    assert note == (
        "Clocks have changed since the last meeting: this one starts at 10:00 EDT your time, "
        "not 09:00 EST."
    )


# --- who gets what ---------------------------------------------------------------------


@pytest.mark.parametrize(("response", "partstat"), [("yes", "ACCEPTED"), ("maybe", "TENTATIVE")])
def test_a_yes_or_maybe_plans_an_invite_enqueued_after_commit(
    django_capture_on_commit_callbacks, published_deliveries, response, partstat
):
    user = member()
    meeting = east()

    with django_capture_on_commit_callbacks(execute=True):
        answer(user, meeting, response)

    invite = the(Delivery.Kind.INVITE, user)
    assert (invite.state, invite.due_at, invite.sequence) == ("pending", NOW, 0)
    assert published_deliveries == [invite.pk]
    assert send(invite) == "sent"
    _, event = event_of(mail.outbox[0])
    assert event["ATTENDEE"].params["PARTSTAT"] == partstat


def test_a_waitlisted_yes_gets_no_invite():
    seated, waiting = member("Asha"), member("Ben")
    meeting = east(capacity=1)
    answer(seated, meeting, "yes")

    rsvp = answer(waiting, meeting, "yes")

    assert rsvp.is_waitlisted is True
    assert planned() == [("Asha", "invite")]


def test_a_member_promoted_from_the_waitlist_is_sent_their_seat(
    clock, django_capture_on_commit_callbacks, published_deliveries
):
    seated, waiting = member("Asha"), member("Ben")
    meeting = east(capacity=1)
    answer(seated, meeting, "yes")
    answer(waiting, meeting, "yes")
    clock.shift(timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        answer(seated, meeting, "no")

    promotion = the(Delivery.Kind.PROMOTION, waiting)
    assert published_deliveries == [the(Delivery.Kind.CANCELLATION, seated).pk, promotion.pk]
    assert send(promotion) == "sent"
    [message] = mail.outbox
    calendar, event = event_of(message)
    assert message.subject == "You have a seat: CoP-F East, Mon 11 Jan 2027 14:00 UTC (14:00 UTC)"
    assert message.to == ["ben@example.org"]
    assert calendar["METHOD"] == "REQUEST"
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"


def test_answering_no_after_the_invite_was_sent_sends_a_cancellation(clock):
    user = member()
    meeting = east()
    invite_mail = sent_invite(user, meeting)
    clock.shift(timedelta(hours=2))

    answer(user, meeting, "no")

    cancellation = the(Delivery.Kind.CANCELLATION, user)
    assert (cancellation.state, cancellation.sequence) == ("pending", 1)
    assert send(cancellation) == "sent"
    message = mail.outbox[1]
    calendar, event = event_of(message)
    _, invite_event = event_of(invite_mail)
    assert message.subject == (
        "Removed from your calendar: CoP-F East, Mon 11 Jan 2027 14:00 UTC (14:00 UTC)"
    )
    assert calendar["METHOD"] == "CANCEL"
    assert (event["STATUS"], event["SEQUENCE"]) == ("CANCELLED", 1)
    assert event["UID"] == invite_event["UID"]
    assert event["ATTENDEE"].params["PARTSTAT"] == "DECLINED"


def test_answering_no_without_an_invite_plans_nothing():
    user = member()
    meeting = east()

    answer(user, meeting, "no")

    assert planned() == []


def test_yes_then_no_before_the_invite_went_out_sends_nothing(clock):
    user = member()
    meeting = east()
    answer(user, meeting, "yes")
    clock.shift(timedelta(minutes=1))
    answer(user, meeting, "no")

    states = [send(delivery) for delivery in Delivery.objects.order_by("pk")]

    assert states == ["skipped", "skipped"]
    assert list(Delivery.objects.order_by("pk").values_list("kind", "last_error")) == [
        ("invite", "The member answered no."),
        ("cancellation", "The member was never sent an invitation to cancel."),
    ]
    assert mail.outbox == []


def test_followers_are_invited_to_meetings_in_the_next_30_days_only():
    series = SeriesFactory(name="CoP-F East")
    soon = MeetingFactory(series=series, starts_at=START)
    MeetingFactory(series=series, starts_at=FEBRUARY_START)
    follow(member("Asha"), series)

    count = reminders.plan_deliveries()

    assert count == 1
    assert list(Delivery.objects.values_list("user__display_name", "kind", "meeting")) == [
        ("Asha", "invite", soon.pk)
    ]


def test_followers_are_invited_to_a_meeting_once_it_enters_the_30_days(clock):
    series = SeriesFactory(name="CoP-F East")
    february = MeetingFactory(series=series, starts_at=FEBRUARY_START)
    follow(member("Asha"), series)
    clock.move_to(FEBRUARY_START - reminders.FOLLOW_INVITE_WINDOW)

    count = reminders.plan_deliveries()

    assert count == 1
    assert list(Delivery.objects.values_list("kind", "meeting", "due_at")) == [
        ("invite", february.pk, FEBRUARY_START - timedelta(days=30))
    ]


def test_a_follower_who_answered_no_is_not_invited():
    meeting = east()
    user = member()
    follow(user, meeting.series)
    answer(user, meeting, "no")

    count = reminders.plan_deliveries()

    assert count == 0
    assert planned() == []


def test_an_extra_meeting_invites_its_series_followers_and_members_who_asked():
    series = SeriesFactory(name="CoP-F East")
    follow(member("Asha"), series)
    member("Ben", notify_extra_meetings=True)
    member("Chen")
    meeting_services.schedule_extra_meeting(
        title="Harvest circle", starts_at=datetime(2027, 3, 1, 14, 0, tzinfo=UTC), series=series
    )

    count = reminders.plan_deliveries()

    assert count == 2
    assert planned() == [("Asha", "invite"), ("Ben", "invite")]


def test_an_extra_meeting_without_a_series_invites_only_members_who_asked():
    follow(member("Asha"), SeriesFactory())
    member("Ben", notify_extra_meetings=True)
    meeting_services.schedule_extra_meeting(
        title="Open space", starts_at=datetime(2027, 3, 1, 14, 0, tzinfo=UTC)
    )

    reminders.plan_deliveries()

    assert planned() == [("Ben", "invite")]


def test_reminders_go_a_day_and_an_hour_before_to_yes_maybe_and_followers(clock):
    meeting = east()
    series = meeting.series
    answer(member("Asha"), meeting, "yes")
    answer(member("Ben"), meeting, "maybe")
    follow(member("Chen"), series)
    declined = member("Dana")
    follow(declined, series)
    answer(declined, meeting, "no")
    follow(member("Eli", remind_followed_series=False), series)
    only_answered = member("Fay", remind_followed_series=False)
    follow(only_answered, series)
    answer(only_answered, meeting, "yes")

    clock.move_to(DAY_BEFORE)
    reminders.plan_deliveries()
    clock.move_to(HOUR_BEFORE)
    reminders.plan_deliveries()

    assert planned(kind__in=REMINDER_KINDS) == [
        ("Asha", "reminder_day"),
        ("Asha", "reminder_hour"),
        ("Ben", "reminder_day"),
        ("Ben", "reminder_hour"),
        ("Chen", "reminder_day"),
        ("Chen", "reminder_hour"),
        ("Fay", "reminder_day"),
        ("Fay", "reminder_hour"),
    ]
    assert set(Delivery.objects.filter(kind__in=REMINDER_KINDS).values_list("kind", "due_at")) == {
        ("reminder_day", DAY_BEFORE),
        ("reminder_hour", HOUR_BEFORE),
    }


@pytest.mark.parametrize(
    ("preferences", "kinds"),
    [
        ({}, ["reminder_day", "reminder_hour"]),
        ({"reminders_enabled": False}, []),
        ({"remind_day_before": False}, ["reminder_hour"]),
        ({"remind_hour_before": False}, ["reminder_day"]),
        ({"email_enabled": False}, []),
    ],
    ids=["default", "reminders-off", "day-before-off", "hour-before-off", "email-off"],
)
def test_reminder_preferences_decide_which_reminders_are_planned(clock, preferences, kinds):
    user = member(**preferences)
    meeting = east()
    answer(user, meeting, "yes")

    clock.move_to(DAY_BEFORE)
    reminders.plan_deliveries()
    clock.move_to(HOUR_BEFORE)
    reminders.plan_deliveries()

    assert [kind for _, kind in planned(kind__in=REMINDER_KINDS)] == kinds


def test_email_off_plans_no_invite_either():
    user = member(email_enabled=False)
    meeting = east()
    follow(user, meeting.series)

    answer(user, meeting, "yes")
    reminders.plan_deliveries()

    assert planned() == []


def test_a_late_joiner_gets_the_hour_before_reminder_but_not_the_day_before(clock):
    user = member()
    meeting = east()
    clock.move_to(DAY_BEFORE + timedelta(hours=4))
    answer(user, meeting, "yes")
    reminders.plan_deliveries()

    clock.move_to(HOUR_BEFORE)
    reminders.plan_deliveries()

    assert planned(kind__in=REMINDER_KINDS) == [("Asha", "reminder_hour")]


# --- changes: updates, cancellations, stale reminders ----------------------------------


def test_moving_a_meeting_after_the_invite_sends_an_update_with_old_and_new_time(clock):
    user = member(zone="Asia/Kolkata")
    meeting = east()
    sent_invite(user, meeting)
    clock.shift(timedelta(days=1))
    meeting_services.move_meeting(meeting=meeting, starts_at=START + timedelta(hours=2))

    count = reminders.plan_deliveries()

    update = the(Delivery.Kind.UPDATE, user)
    assert count == 1
    assert (update.state, update.sequence, update.due_at) == ("pending", 1, NOW + timedelta(days=1))
    assert send(update) == "sent"
    message = mail.outbox[1]
    assert message.subject == "Changed: CoP-F East, Mon 11 Jan 2027 21:30 IST (16:00 UTC)"
    assert lines_after(message.body, "Time:", 2) == [
        "  was: Mon 11 Jan 2027, 19:30–21:00 IST (14:00 UTC)",
        "  now: Mon 11 Jan 2027, 21:30–23:00 IST (16:00 UTC)",
    ]


def test_an_update_keeps_the_uid_with_a_higher_sequence_and_newer_dtstamp(clock):
    user = member()
    meeting = east()
    invite_mail = sent_invite(user, meeting)
    clock.shift(timedelta(days=1))
    meeting_services.move_meeting(meeting=meeting, starts_at=START + timedelta(hours=2))
    reminders.plan_deliveries()

    send(the(Delivery.Kind.UPDATE, user))

    _, invite_event = event_of(invite_mail)
    calendar, event = event_of(mail.outbox[1])
    assert calendar["METHOD"] == "REQUEST"
    assert event["UID"] == invite_event["UID"] == f"copf-meeting-{meeting.pk}@copf.example.org"
    assert (invite_event["SEQUENCE"], event["SEQUENCE"]) == (0, 1)
    assert invite_event.decoded("DTSTAMP") == NOW
    assert event.decoded("DTSTAMP") == NOW + timedelta(days=1)
    assert event.decoded("DTSTART") == START + timedelta(hours=2)


def test_an_update_is_planned_once_however_often_the_sweep_runs(clock):
    user = member()
    meeting = east()
    sent_invite(user, meeting)
    meeting_services.move_meeting(meeting=meeting, starts_at=START + timedelta(hours=2))

    counts = [reminders.plan_deliveries(), reminders.plan_deliveries()]

    assert counts == [1, 0]
    assert planned() == [("Asha", "invite"), ("Asha", "update")]


def test_cancelling_a_meeting_after_the_invite_sends_a_calendar_cancellation(clock):
    user = member(zone="Asia/Kolkata")
    meeting = east()
    invite_mail = sent_invite(user, meeting)
    clock.shift(timedelta(days=1))
    meeting_services.cancel_meeting(meeting=meeting)

    count = reminders.plan_deliveries()

    cancellation = the(Delivery.Kind.CANCELLATION, user)
    assert count == 1
    assert send(cancellation) == "sent"
    message = mail.outbox[1]
    calendar, event = event_of(message)
    _, invite_event = event_of(invite_mail)
    assert message.subject == "Cancelled: CoP-F East, Mon 11 Jan 2027 19:30 IST (14:00 UTC)"
    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["UID"] == invite_event["UID"]
    assert (invite_event["SEQUENCE"], event["SEQUENCE"]) == (0, 1)
    assert event.decoded("DTSTAMP") > invite_event.decoded("DTSTAMP")
    parsed = vobject.readOne(ics_of(message), validate=True)
    assert (parsed.method.value, parsed.vevent.status.value) == ("CANCEL", "CANCELLED")
    assert (parsed.vevent.uid.value, parsed.vevent.sequence.value) == (
        str(invite_event["UID"]),
        "1",
    )
    assert [part.get_content_type() for part in message.message().walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "application/ics",
    ]


def test_a_reminder_planned_before_a_move_is_skipped_and_one_for_the_new_time_planned(clock):
    user = member()
    meeting = east()
    answer(user, meeting, "yes")
    clock.move_to(DAY_BEFORE)
    reminders.plan_deliveries()
    old = the(Delivery.Kind.REMINDER_DAY, user)
    meeting_services.move_meeting(meeting=meeting, starts_at=START + timedelta(hours=2))

    state = send(old)
    clock.move_to(DAY_BEFORE + timedelta(hours=2))
    reminders.plan_deliveries()

    old.refresh_from_db()
    new = the(Delivery.Kind.REMINDER_DAY, user, state="pending")
    assert (state, old.state, old.last_error) == ("skipped", "skipped", MOVED)
    assert (new.due_at, new.sequence) == (DAY_BEFORE + timedelta(hours=2), 1)
    assert send(new) == "sent"
    assert [message.subject for message in mail.outbox] == [
        "Tomorrow 16:00 UTC (16:00 UTC): CoP-F East"
    ]


def test_a_follower_invited_by_following_is_sent_the_update_too(clock):
    meeting = east()
    user = member(zone="America/New_York")
    follow(user, meeting.series)
    reminders.plan_deliveries()
    send(the(Delivery.Kind.INVITE, user))
    meeting_services.move_meeting(meeting=meeting, starts_at=START + timedelta(days=1))

    reminders.plan_deliveries()

    assert send(the(Delivery.Kind.UPDATE, user)) == "sent"
    message = mail.outbox[1]
    _, event = event_of(message)
    assert lines_after(message.body, "Time:", 2) == [
        "  was: Mon 11 Jan 2027, 09:00–10:30 EST (14:00 UTC)",
        "  now: Tue 12 Jan 2027, 09:00–10:30 EST (14:00 UTC)",
    ]
    assert (event["SEQUENCE"], event["ATTENDEE"].params["PARTSTAT"]) == (1, "NEEDS-ACTION")


def test_renaming_a_meeting_sends_an_update_naming_the_old_and_new_title(clock):
    user = member()
    meeting = east()
    sent_invite(user, meeting)
    meeting_services.update_meeting(meeting=meeting, title="CoP-F East: harvest")

    reminders.plan_deliveries()

    send(the(Delivery.Kind.UPDATE, user))
    message = mail.outbox[1]
    assert message.subject == "Changed: CoP-F East: harvest, Mon 11 Jan 2027 14:00 UTC (14:00 UTC)"
    assert lines_after(message.body, "Title:", 2) == [
        "  was: CoP-F East",
        "  now: CoP-F East: harvest",
    ]


def test_a_reminder_planned_while_the_member_held_a_seat_is_skipped_once_they_wait(clock):
    meeting = east(capacity=1)
    seated, waiting = member("Asha"), member("Ben")
    answer(seated, meeting, "yes")
    answer(waiting, meeting, "yes")
    clock.move_to(DAY_BEFORE)
    reminders.plan_deliveries()
    reminder = the(Delivery.Kind.REMINDER_DAY, seated)
    answer(seated, meeting, "no")  # Ben takes the seat,
    answer(seated, meeting, "yes")  # so Asha's yes now waits in line.

    state = send(reminder)

    reminder.refresh_from_db()
    assert Rsvp.objects.get(user=seated).is_waitlisted is True
    assert (state, reminder.state) == ("skipped", "skipped")
    assert mail.outbox == []


def test_a_reminder_for_a_cancelled_meeting_is_skipped(clock):
    user = member()
    meeting = east()
    answer(user, meeting, "yes")
    clock.move_to(DAY_BEFORE)
    reminders.plan_deliveries()
    reminder = the(Delivery.Kind.REMINDER_DAY, user)
    meeting_services.cancel_meeting(meeting=meeting)

    state = send(reminder)

    reminder.refresh_from_db()
    assert (state, reminder.state, reminder.last_error) == (
        "skipped",
        "skipped",
        "The meeting was cancelled.",
    )
    assert mail.outbox == []


def test_planning_twice_plans_nothing_new(clock):
    meeting = east()
    answer(member("Asha"), meeting, "yes")
    follow(member("Ben"), meeting.series)
    clock.move_to(DAY_BEFORE)

    first = reminders.plan_deliveries()
    rows = planned()
    second = reminders.plan_deliveries()

    assert (first, second) == (3, 0)
    assert (
        planned()
        == rows
        == [
            ("Asha", "invite"),
            ("Asha", "reminder_day"),
            ("Ben", "invite"),
            ("Ben", "reminder_day"),
        ]
    )


# --- claim -----------------------------------------------------------------------------


def test_a_row_is_claimed_only_once():
    user = member()
    answer(user, east(), "yes")
    invite = the(Delivery.Kind.INVITE, user)

    first = reminders.claim(invite.pk)
    second = reminders.claim(invite.pk)

    assert (first.pk, first.state, first.claimed_at, first.attempts) == (
        invite.pk,
        "sending",
        NOW,
        1,
    )
    assert second is None


def test_delivering_a_sent_row_again_sends_nothing():
    user = member()
    answer(user, east(), "yes")
    invite = the(Delivery.Kind.INVITE, user)
    send(invite)

    state = send(invite)

    assert state == "not claimed"
    assert len(mail.outbox) == 1


def test_a_claim_abandoned_by_a_killed_worker_is_resent_with_the_same_message_id(clock, settings):
    user = member()
    answer(user, east(), "yes")
    invite = the(Delivery.Kind.INVITE, user)
    settings.EMAIL_BACKEND = "tests.members.test_reminders.WorkerDiesAfterSendingBackend"
    with pytest.raises(SystemExit):
        send(invite)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.shift(reminders.CLAIM_TIMEOUT + timedelta(seconds=1))

    due = reminders.sweep().due
    state = send(invite)

    invite.refresh_from_db()
    assert due == [invite.pk]
    assert (state, invite.state, invite.attempts) == ("sent", "sent", 2)
    assert [message.message()["Message-ID"] for message in mail.outbox] == [
        invite.message_id,
        invite.message_id,
    ]


def test_a_fresh_claim_is_not_taken_again(clock):
    user = member()
    answer(user, east(), "yes")
    invite = the(Delivery.Kind.INVITE, user)
    reminders.claim(invite.pk)
    clock.shift(reminders.CLAIM_TIMEOUT - timedelta(seconds=1))

    state = send(invite)

    invite.refresh_from_db()
    assert (state, invite.state, invite.attempts) == ("not claimed", "sending", 1)
    assert reminders.sweep().due == []
    assert mail.outbox == []


# --- failures --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "description"),
    [
        (
            smtplib.SMTPResponseException(421, b"4.3.2 Service not available"),
            "SMTP 421: 4.3.2 Service not available",
        ),
        (
            smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
            "SMTPServerDisconnected: Connection unexpectedly closed",
        ),
        (
            smtplib.SMTPRecipientsRefused({"asha@example.org": (450, b"4.2.1 Mailbox busy")}),
            "Recipient refused: asha@example.org: 450 4.2.1 Mailbox busy",
        ),
    ],
    ids=["421", "disconnected", "recipient-450"],
)
def test_a_transient_failure_puts_the_row_back_with_backoff(smtp_fails, error, description):
    user = member()
    answer(user, east(), "yes")
    invite = the(Delivery.Kind.INVITE, user)
    smtp_fails(error)

    with pytest.raises(reminders.TransientFailure) as failure:
        send(invite)

    invite.refresh_from_db()
    assert (str(failure.value), failure.value.retry_in) == (description, timedelta(seconds=30))
    assert (invite.state, invite.due_at, invite.attempts, invite.last_error) == (
        "pending",
        NOW + timedelta(seconds=30),
        1,
        description,
    )
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("error", "description"),
    [
        (
            smtplib.SMTPRecipientsRefused({"asha@example.org": (550, b"no such user")}),
            "Recipient refused: asha@example.org: 550 no such user",
        ),
        (
            smtplib.SMTPResponseException(554, b"5.7.1 Message rejected"),
            "SMTP 554: 5.7.1 Message rejected",
        ),
    ],
    ids=["recipient-550", "554"],
)
def test_a_permanent_failure_is_recorded_with_its_reason_and_not_retried(
    smtp_fails, error, description
):
    user = member()
    answer(user, east(), "yes")
    invite = the(Delivery.Kind.INVITE, user)
    smtp_fails(error)

    state = send(invite)

    invite.refresh_from_db()
    assert state == "failed"
    assert (invite.state, invite.attempts, invite.last_error) == ("failed", 1, description)
    assert reminders.sweep().due == []


def test_backoff_doubles_from_30_seconds_up_to_30_minutes():
    waits = [reminders.backoff(attempts).total_seconds() for attempts in range(1, 11)]

    assert waits == [30, 60, 120, 240, 480, 960, 1800, 1800, 1800, 1800]


def test_transient_failures_give_up_after_max_attempts(clock, smtp_fails):
    user = member()
    answer(user, east(), "yes")
    invite = the(Delivery.Kind.INVITE, user)
    smtp_fails(smtplib.SMTPResponseException(421, b"4.3.2 Service not available"))
    waits = []

    for _ in range(reminders.MAX_ATTEMPTS - 1):
        with pytest.raises(reminders.TransientFailure) as failure:
            send(invite)
        waits.append(failure.value.retry_in.total_seconds())
        clock.move_to(Delivery.objects.get(pk=invite.pk).due_at)
    state = send(invite)

    invite.refresh_from_db()
    assert waits == [30, 60, 120, 240, 480, 960, 1800]
    assert (state, invite.state, invite.attempts, invite.last_error) == (
        "failed",
        "failed",
        8,
        "Gave up after 8 attempts: SMTP 421: 4.3.2 Service not available",
    )


# --- the invite e-mail -----------------------------------------------------------------


def test_an_invite_is_text_html_and_calendar_alternatives_plus_an_ics_attachment():
    message = sent_invite(member(), east())

    mime = message.message()

    alternative, attachment = mime.get_payload()
    assert mime.get_content_type() == "multipart/mixed"
    assert alternative.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in alternative.get_payload()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True).decode() == ics_of(message)


def test_the_invite_calendar_part_is_declared_as_a_request_in_utf_8():
    message = sent_invite(member(), east())

    calendar_part = message.message().get_payload()[0].get_payload()[2]

    assert calendar_part.get_params() == [
        ("text/calendar", ""),
        ("method", "REQUEST"),
        ("charset", "utf-8"),
    ]


def test_the_invite_calendar_is_a_request_from_the_organizer_to_the_member():
    user = member()
    meeting = east()

    message = sent_invite(user, meeting)

    calendar, event = event_of(message)
    assert calendar["METHOD"] == "REQUEST"
    assert (str(event["ORGANIZER"]), event["ORGANIZER"].params["CN"]) == (ORGANIZER, "CoP-F")
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:asha@example.org"
    assert (attendee.params["PARTSTAT"], attendee.params["RSVP"]) == ("ACCEPTED", "TRUE")
    assert event["UID"] == f"copf-meeting-{meeting.pk}@copf.example.org"
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (
        START,
        START + timedelta(minutes=90),
    )
    assert (event["SEQUENCE"], event["STATUS"]) == (0, "CONFIRMED")


def test_the_invite_calendar_reads_the_same_in_vobject():
    user = member()
    meeting = east()

    message = sent_invite(user, meeting, "maybe")

    parsed = vobject.readOne(ics_of(message), validate=True)
    event = parsed.vevent
    assert parsed.method.value == "REQUEST"
    assert event.uid.value == f"copf-meeting-{meeting.pk}@copf.example.org"
    assert (event.dtstart.value, event.dtend.value) == (START, START + timedelta(minutes=90))
    assert event.organizer.value == ORGANIZER
    assert event.attendee.value == "mailto:asha@example.org"
    assert (event.attendee.params["PARTSTAT"], event.attendee.params["RSVP"]) == (
        ["TENTATIVE"],
        ["TRUE"],
    )


def test_the_invite_headers_carry_one_click_unsubscribe_and_the_rows_message_id():
    user = member()

    message = sent_invite(user, east())

    headers = message.message()
    invite = the(Delivery.Kind.INVITE, user)
    unsubscribe = headers["List-Unsubscribe"]
    assert headers["From"] == FROM
    assert headers["To"] == "asha@example.org"
    assert re.fullmatch(r"<https://copf\.example\.org/unsubscribe/[^/<>]+/>", unsubscribe)
    assert unsubscribe == f"<{links.unsubscribe_url(user_id=user.pk)}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["Message-ID"] == invite.message_id


# --- links in the e-mail ---------------------------------------------------------------


def test_opening_an_rsvp_link_asks_first_and_changes_nothing(client):
    user = member()
    meeting = east()
    url = links.rsvp_url(user_id=user.pk, meeting_id=meeting.pk, response="yes")

    response = client.get(link_path(url))

    assert response.status_code == 200
    assert response["Referrer-Policy"] == "same-origin"
    assert (response.context["response"], response.context["done"]) == ("yes", False)
    assert "Answer <strong>yes</strong> for Asha?" in response.content.decode()
    assert Rsvp.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_posting_an_rsvp_link_answers_without_signing_in(client):
    user = member()
    meeting = east()
    url = links.rsvp_url(user_id=user.pk, meeting_id=meeting.pk, response="maybe")

    response = client.post(link_path(url))

    assert response.status_code == 200
    assert (response.context["done"], response.context["message"]) == (
        True,
        "You answered maybe.",
    )
    assert list(Rsvp.objects.values_list("user", "meeting", "response")) == [
        (user.pk, meeting.pk, "maybe")
    ]
    assert planned() == [("Asha", "invite")]


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_rsvp_link_is_a_400_and_changes_nothing(client, method):
    user = member()
    meeting = east()
    yes = links.rsvp_url(user_id=user.pk, meeting_id=meeting.pk, response="yes")
    no = links.rsvp_url(user_id=user.pk, meeting_id=meeting.pk, response="no")
    # The "no" payload under the "yes" signature.
    yes_token, no_token = yes.split("/")[-2], no.split("/")[-2]
    forged = no_token.split(":")[0] + ":" + yes_token.split(":", 1)[1]

    response = getattr(client, method)(reverse("members:rsvp_link", args=[forged]))

    assert response.status_code == 400
    assert "<h1>This link does not work</h1>" in response.content.decode()
    assert Rsvp.objects.count() == 0


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_rsvp_link_is_a_400_and_changes_nothing(client, clock, method):
    user = member()
    meeting = east(APRIL_START)
    url = links.rsvp_url(user_id=user.pk, meeting_id=meeting.pk, response="yes")
    clock.shift(links.RSVP_LINK_LIFETIME + timedelta(seconds=1))

    response = getattr(client, method)(link_path(url))

    assert response.status_code == 400
    assert "<h1>This link does not work</h1>" in response.content.decode()
    assert Rsvp.objects.count() == 0


def test_opening_the_unsubscribe_link_asks_first(client):
    user = member()

    response = client.get(link_path(links.unsubscribe_url(user_id=user.pk)))

    user.refresh_from_db()
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "same-origin"
    assert "<h1>Stop meeting e-mail</h1>" in response.content.decode()
    assert user.email_enabled is True


def test_one_click_unsubscribe_turns_email_off_without_a_csrf_token_and_skips_pending_mail():
    user = member()
    meeting = east()
    sent_invite(user, meeting)
    answer(user, east(FEBRUARY_START), "yes")
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(
        link_path(links.unsubscribe_url(user_id=user.pk)),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    user.refresh_from_db()
    assert response.status_code == 200
    assert user.email_enabled is False
    assert list(Delivery.objects.order_by("pk").values_list("kind", "state", "last_error")) == [
        ("invite", "sent", ""),
        ("invite", "skipped", "The member unsubscribed."),
    ]
    assert reminders.plan_deliveries() == 0


def test_a_forged_unsubscribe_link_is_a_400_and_changes_nothing():
    user = member()
    token = links.unsubscribe_url(user_id=user.pk).split("/")[-2]
    forged = f"{user.pk + 1}:{token.split(':', 1)[1]}"

    response = Client(enforce_csrf_checks=True).post(
        reverse("members:unsubscribe", args=[forged]),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    user.refresh_from_db()
    assert response.status_code == 400
    assert user.email_enabled is True


# --- the sweep command -----------------------------------------------------------------


def test_send_due_reminders_dry_run_says_what_it_would_do_and_changes_nothing(
    django_capture_on_commit_callbacks, published_deliveries
):
    meeting = east()
    answer(member("Asha"), meeting, "yes")
    follow(member("Ben"), meeting.series)
    before = list(Delivery.objects.values_list("pk", "state", "enqueued_at"))
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_due_reminders", "--dry-run", stdout=out)

    assert out.getvalue() == "Would plan 1 and send 2 deliveries (dry run: nothing changed).\n"
    assert list(Delivery.objects.values_list("pk", "state", "enqueued_at")) == before
    assert published_deliveries == []
    assert mail.outbox == []


def test_send_due_reminders_plans_and_enqueues_due_rows(
    django_capture_on_commit_callbacks, published_deliveries
):
    meeting = east()
    answer(member("Asha"), meeting, "yes")
    follow(member("Ben"), meeting.series)
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_due_reminders", stdout=out)

    ids = list(Delivery.objects.order_by("pk").values_list("pk", flat=True))
    assert out.getvalue() == "Planned 1 and enqueued 2 deliveries.\n"
    assert published_deliveries == ids
    assert list(Delivery.objects.order_by("pk").values_list("state", "enqueued_at")) == [
        ("pending", NOW),
        ("pending", NOW),
    ]


def test_a_row_just_enqueued_is_not_enqueued_again_by_the_next_sweep(
    clock, django_capture_on_commit_callbacks, published_deliveries
):
    answer(member(), east(), "yes")
    with django_capture_on_commit_callbacks(execute=True):
        reminders.sweep(enqueue=published_deliveries.extend)
    clock.shift(timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=True):
        result = reminders.sweep(enqueue=published_deliveries.extend)

    assert result.due == []
    assert published_deliveries == list(Delivery.objects.values_list("pk", flat=True))


# --- admin -----------------------------------------------------------------------------


DELIVERY_LIST_URL = "admin:members_delivery_changelist"
REFUSED = "Recipient refused: asha@example.org: 550 no such user"


def failed_invite(smtp_fails) -> Delivery:
    user = member()
    answer(user, east(), "yes")
    invite = the(Delivery.Kind.INVITE, user)
    smtp_fails(smtplib.SMTPRecipientsRefused({"asha@example.org": (550, b"no such user")}))
    send(invite)
    invite.refresh_from_db()
    return invite


def test_the_delivery_list_shows_state_and_reason(client, staff, smtp_fails):
    failed_invite(smtp_fails)
    client.force_login(staff)

    response = client.get(reverse(DELIVERY_LIST_URL))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<td class="field-state">Failed</td>' in html
    assert f'<td class="field-reason">{REFUSED}</td>' in html


def test_the_resend_action_puts_a_failed_row_back_and_enqueues_it(
    client, clock, staff, smtp_fails, django_capture_on_commit_callbacks, published_deliveries
):
    invite = failed_invite(smtp_fails)
    client.force_login(staff)
    clock.shift(timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(DELIVERY_LIST_URL),
            {"action": "resend", "_selected_action": [invite.pk]},
            follow=True,
        )

    invite.refresh_from_db()
    assert response.status_code == 200
    assert [str(message) for message in response.context["messages"]] == [
        "1 message(s) will be sent again."
    ]
    assert (invite.state, invite.due_at, invite.attempts, invite.last_error) == (
        "pending",
        NOW + timedelta(hours=1),
        0,
        "",
    )
    assert published_deliveries == [invite.pk]


def test_yes_then_maybe_before_the_invite_went_out_sends_one_tentative_invite(clock):
    user = member()
    meeting = east()
    answer(user, meeting, "yes")
    clock.shift(timedelta(minutes=1))
    answer(user, meeting, "maybe")

    states = [send(delivery) for delivery in Delivery.objects.order_by("pk")]

    assert states == ["skipped", "sent"]
    assert Delivery.objects.order_by("pk").first().last_error == (
        "A newer message about this meeting replaces this one."
    )
    [message] = mail.outbox
    assert event_of(message)[1]["ATTENDEE"].params["PARTSTAT"] == "TENTATIVE"
