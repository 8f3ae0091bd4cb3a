"""Rendering: each message in the member's own zone, with its calendar attached."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import vobject

from members import links
from members.deliveries import render
from members.models import Delivery
from tests.factories import MeetingFactory, SeriesFactory
from tests.members.deliveries.support import (
    APRIL_START,
    FROM,
    JOIN_LINE,
    JULY_START,
    MARCH_START,
    ORGANIZER,
    START,
    WEST_START,
    east,
    event_of,
    html_when,
    ics_of,
    lines_after,
    member,
    reminder_mail,
    sent_invite,
    the,
)

pytestmark = pytest.mark.django_db

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

    note = render.clock_note(april, march, ZoneInfo("America/New_York"))

    assert note == (
        "Clocks have changed since the last meeting: this one starts at 10:00 EDT your time, "
        "not 09:00 EST."
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
