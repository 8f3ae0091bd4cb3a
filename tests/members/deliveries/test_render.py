"""Rendering: each message in the member's own zone, with its calendar attached."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from django.core import mail

from meetings import ical
from meetings import services as meeting_services
from members import links
from members.deliveries import plan, render
from members.deliveries import send as sender
from members.models import Attendance, Delivery
from tests.factories import MeetingFactory, SeriesFactory
from tests.members.deliveries.support import (
    APRIL_START,
    DAY_BEFORE,
    FEBRUARY_START,
    FROM,
    JOIN_LABEL,
    JULY_START,
    MARCH_START,
    ORGANIZER,
    START,
    WEST_START,
    answer,
    east,
    event_of,
    html_buttons,
    html_lines,
    html_of,
    ics_of,
    join_lines,
    lines_after,
    mail_viewer,
    member,
    read_html,
    reminder_mail,
    send,
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
            "Reminder: tomorrow — CoP-F East, 19:30 IST (14:00 UTC)",
            ["Monday 11 January 2027, 19:30–21:00 IST (Asia/Kolkata)", "In UTC: 14:00–15:30 UTC"],
        ),
        (
            "America/New_York",
            START,
            "Reminder: tomorrow — CoP-F East, 09:00 EST (14:00 UTC)",
            [
                "Monday 11 January 2027, 09:00–10:30 EST (America/New_York)",
                "In UTC: 14:00–15:30 UTC",
            ],
        ),
        (
            "America/New_York",
            JULY_START,
            "Reminder: tomorrow — CoP-F East, 10:00 EDT (14:00 UTC)",
            ["Monday 12 July 2027, 10:00–11:30 EDT (America/New_York)", "In UTC: 14:00–15:30 UTC"],
        ),
        (
            "Australia/Sydney",
            WEST_START,
            "Reminder: tomorrow — CoP-F East, 05:30 AEDT (18:30 UTC)",
            [
                "Tuesday 12 January 2027, 05:30–07:00 AEDT (Australia/Sydney)",
                "In UTC: Mon 11 Jan 2027, 18:30–20:00 UTC",
            ],
        ),
        (
            "UTC",
            START,
            "Reminder: tomorrow — CoP-F East, 14:00 UTC",
            ["Monday 11 January 2027, 14:00–15:30 UTC", ""],
        ),
    ],
    ids=["kolkata", "new-york-winter", "new-york-summer", "sydney-next-local-day", "utc"],
)
def test_day_before_reminder_shows_the_members_local_time_with_zone_and_utc(
    clock, zone, starts_at, subject, when
):
    user = member(zone=zone)
    meeting = east(starts_at)

    message = reminder_mail(user, meeting, clock)

    assert message.subject == subject
    assert lines_after(message.body, "CoP-F East", 2) == when


def test_reminder_html_part_shows_what_then_when_in_the_members_zone_with_utc(clock):
    user = member(zone="Asia/Kolkata")
    meeting = east()

    message = reminder_mail(user, meeting, clock)

    assert html_lines(message)[:6] == [
        "CoP-F",
        "Reminder: tomorrow",
        "CoP-F East",
        "Monday 11 January 2027",
        "19:30–21:00 IST (Asia/Kolkata)",
        "In UTC: 14:00–15:30 UTC",
    ]


@pytest.mark.parametrize(
    ("minutes_before", "subject"),
    [
        (60, "Reminder: starts in 1 hour — CoP-F East, 05:30 AEDT (18:30 UTC)"),
        (40, "Reminder: starts in 40 minutes — CoP-F East, 05:30 AEDT (18:30 UTC)"),
    ],
)
def test_hour_before_reminder_subject_says_how_soon_in_the_members_zone(
    clock, minutes_before, subject
):
    user = member(zone="Australia/Sydney")
    meeting = east(WEST_START)
    sent_invite(user, meeting)
    clock.move_to(WEST_START - timedelta(minutes=minutes_before))
    plan.plan_deliveries()

    assert send(the(Delivery.Kind.REMINDER_HOUR, user)) == "sent"

    assert mail.outbox[-1].subject == subject


@pytest.mark.parametrize(
    ("zone", "now", "day"),
    [
        # 23:00 on Sunday in Sydney: the meeting is on Tuesday there, though "tomorrow" in UTC.
        ("Australia/Sydney", datetime(2027, 1, 10, 12, 0, tzinfo=UTC), "Tue 12 Jan"),
        # 01:00 on Monday in Sydney: now it is tomorrow there.
        ("Australia/Sydney", datetime(2027, 1, 10, 14, 0, tzinfo=UTC), "tomorrow"),
        ("UTC", datetime(2027, 1, 10, 12, 0, tzinfo=UTC), "tomorrow"),
        ("UTC", datetime(2027, 1, 11, 0, 0, tzinfo=UTC), "today"),
    ],
)
def test_today_and_tomorrow_are_counted_from_the_members_local_date(zone, now, day):
    start = WEST_START.astimezone(ZoneInfo(zone))

    assert render.relative_day(start, now=now) == day


@pytest.mark.parametrize(
    ("starts_at", "subject"),
    [
        (START, "Invitation: CoP-F East, Mon 11 Jan, 19:30 IST (14:00 UTC)"),
        (
            datetime(2028, 1, 10, 14, 0, tzinfo=UTC),
            "Invitation: CoP-F East, Mon 10 Jan 2028, 19:30 IST (14:00 UTC)",
        ),
    ],
    ids=["this-year", "next-year"],
)
def test_an_invitation_subject_names_the_day_with_the_year_only_when_not_this_year(
    starts_at, subject
):
    message = sent_invite(member(zone="Asia/Kolkata"), east(starts_at))

    assert message.subject == subject


@pytest.mark.parametrize(
    ("zone", "subject", "block"),
    [
        (
            "America/New_York",
            "Reminder: tomorrow — CoP-F East, 10:00 EDT (14:00 UTC)",
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
            "Reminder: tomorrow — CoP-F East, 15:00 BST (14:00 UTC)",
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
            "Reminder: tomorrow — CoP-F East, 00:00 AEST (14:00 UTC)",
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
            "Reminder: tomorrow — CoP-F East, 19:30 IST (14:00 UTC)",
            [
                "Monday 12 April 2027, 19:30–21:00 IST (Asia/Kolkata)",
                "In UTC: 14:00–15:30 UTC",
                "",
                JOIN_LABEL,
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


def test_the_invite_calendar_joins_through_the_members_own_link_where_the_feed_has_the_call():
    user = member()
    meeting = east()

    message = sent_invite(user, meeting)

    _calendar, event = event_of(message)
    own = links.join_url(user_id=user.pk, meeting_id=meeting.pk)
    assert str(event["LOCATION"]) == own
    assert f"Join: {own}" in str(event["DESCRIPTION"]).split("\n\n")
    feed_event = ics_event_of(meeting)
    assert str(feed_event["LOCATION"]) == "https://meet.example.org/copf"


def ics_event_of(meeting):
    calendar = icalendar.Calendar.from_ical(
        ical.render(ical.build_calendar(meetings=[meeting], name="CoP-F"))
    )
    [event] = calendar.walk("VEVENT")
    return event


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


# --- what each message says it is --------------------------------------------------------


def every_message(clock, *, zone: str = "Asia/Kolkata") -> dict[str, object]:
    """One member sent each kind of message, in the order a meeting's life brings them."""
    series = SeriesFactory(name="CoP-F East")
    meeting = MeetingFactory(series=series, starts_at=START)
    MeetingFactory(series=series, starts_at=FEBRUARY_START)
    full = MeetingFactory(series=SeriesFactory(name="CoP-F West"), starts_at=WEST_START, capacity=1)
    user, seated = member("Asha", zone=zone), member("Ben")
    answer(seated, full, "yes")
    answer(user, full, "yes")  # waits for a seat
    answer(seated, full, "no")
    messages = {"promotion": delivered(Delivery.Kind.PROMOTION, user)}
    messages["invite"] = sent_invite(user, meeting)
    meeting_services.move_meeting(meeting=meeting, starts_at=START + timedelta(hours=2))
    plan.plan_deliveries()
    messages["update"] = delivered(Delivery.Kind.UPDATE, user)
    for kind, offset in plan.REMINDER_OFFSETS.items():
        clock.move_to(START + timedelta(hours=2) - offset)
        plan.plan_deliveries()
        messages[kind] = delivered(kind, user)
    meeting_services.cancel_meeting(
        meeting=meeting, message="A holiday: we rest.\n\nSee you in February & after!"
    )
    plan.plan_deliveries()
    messages["cancellation"] = delivered(Delivery.Kind.CANCELLATION, user)
    return messages


def delivered(kind: str, user):
    delivery = Delivery.objects.get(kind=kind, user=user, state=Delivery.State.PENDING)
    assert send(delivery) == "sent"
    return mail.outbox[-1]


def test_each_kind_of_message_says_what_it_is_in_its_subject_in_the_members_zone(clock):
    messages = every_message(clock)

    assert {kind: message.subject for kind, message in messages.items()} == {
        "promotion": "You have a seat: CoP-F West, Tue 12 Jan, 00:00 IST (18:30 UTC)",
        "invite": "Invitation: CoP-F East, Mon 11 Jan, 19:30 IST (14:00 UTC)",
        "update": "Moved: CoP-F East, now Mon 11 Jan, 21:30 IST (16:00 UTC)",
        "reminder_day": "Reminder: tomorrow — CoP-F East, 21:30 IST (16:00 UTC)",
        "reminder_hour": "Reminder: starts in 1 hour — CoP-F East, 21:30 IST (16:00 UTC)",
        "cancellation": "Cancelled: CoP-F East, Mon 11 Jan, 21:30 IST (16:00 UTC)",
    }


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "UTC"])
def test_every_plain_text_part_is_clean_with_each_link_on_its_own_line(clock, zone):
    messages = every_message(clock, zone=zone)

    for kind, message in messages.items():
        body = message.body
        assert re.search(r"<[a-zA-Z/!]|&[a-z]+;|&#", body) is None, kind
        assert "\n\n\n" not in body, kind
        assert body == body.strip() + "\n", kind
        assert [line for line in body.splitlines() if line != line.rstrip()] == [], kind
        linked = [line for line in body.splitlines() if "://" in line]
        assert linked, kind
        assert [line for line in linked if not re.fullmatch(r"https://\S+", line)] == [], kind


def test_an_invitation_reads_what_when_actions_details_in_the_plain_text(clock):
    user = member(zone="Asia/Kolkata")
    meeting = east()

    message = sent_invite(user, meeting)

    rsvp = {
        response: links.rsvp_url(user_id=user.pk, meeting_id=meeting.pk, response=response)
        for response in ("yes", "maybe", "no")
    }
    assert message.body.splitlines()[:25] == [
        "Hello Asha,",
        "",
        "Here is CoP-F East for your calendar.",
        "",
        "CoP-F East",
        "Monday 11 January 2027, 19:30–21:00 IST (Asia/Kolkata)",
        "In UTC: 14:00–15:30 UTC",
        "",
        "Your answer: yes. Change it in one click:",
        "Yes (your answer):",
        rsvp["yes"],
        "Maybe:",
        rsvp["maybe"],
        "No:",
        rsvp["no"],
        "",
        *join_lines(user, meeting),
        "",
        "Details on the site:",
        f"https://copf.example.org/meetings/{meeting.pk}/",
        "The invitation for your calendar is attached (invite.ics).",
        "",
        "--",
        "CoP-F, the Community of Practice for Facilitators. Times are in your time zone, "
        "Asia/Kolkata.",
    ]


# --- the HTML part -------------------------------------------------------------------------


def test_an_invitation_has_answer_buttons_with_the_answer_marked_then_a_join_button(clock):
    user = member(zone="Asia/Kolkata")
    meeting = east()

    message = sent_invite(user, meeting, "maybe")

    rsvp = {
        response: links.rsvp_url(user_id=user.pk, meeting_id=meeting.pk, response=response)
        for response in ("yes", "maybe", "no")
    }
    assert html_buttons(message) == [
        ("Yes", rsvp["yes"]),
        ("✓ Maybe", rsvp["maybe"]),
        ("No", rsvp["no"]),
        ("Join the meeting", links.join_url(user_id=user.pk, meeting_id=meeting.pk)),
    ]
    assert html_lines(message)[:9] == [
        "CoP-F",
        "Invitation",
        "CoP-F East",
        "Monday 11 January 2027",
        "19:30–21:00 IST (Asia/Kolkata)",
        "In UTC: 14:00–15:30 UTC",
        "Hello Asha,",
        "Here is CoP-F East for your calendar.",
        "Your answer: maybe. Change it in one click:",
    ]


def test_an_invitation_to_a_follower_who_has_not_answered_asks_if_they_are_coming(clock):
    meeting = east()
    user = member()
    meeting.series.follows.create(user=user)
    plan.plan_deliveries()

    send(the(Delivery.Kind.INVITE, user))

    message = mail.outbox[-1]
    assert [label for label, _ in html_buttons(message)] == [
        "Yes",
        "Maybe",
        "No",
        "Join the meeting",
    ]
    assert "Are you coming? Answer in one click:" in html_lines(message)
    assert lines_after(message.body, "Are you coming? Answer in one click:", 2) == [
        "Yes:",
        links.rsvp_url(user_id=user.pk, meeting_id=meeting.pk, response="yes"),
    ]


def test_a_reminder_puts_the_join_button_before_the_answer_buttons(clock):
    message = reminder_mail(member(), east(), clock, kind=Delivery.Kind.REMINDER_HOUR)

    assert [label for label, _ in html_buttons(message)] == [
        "Join the meeting",
        "✓ Yes",
        "Maybe",
        "No",
    ]


def test_each_member_gets_their_own_join_link_that_records_them(clock, client):
    asha, bo = member(), member("Bo")
    meeting = east()
    sent_invite(asha, meeting)
    message = sent_invite(bo, meeting)
    [link] = lines_after(message.body, JOIN_LABEL, 1)
    assert link == links.join_url(user_id=bo.pk, meeting_id=meeting.pk)
    clock.move_to(START + timedelta(minutes=5))

    response = client.get(link.removeprefix("https://copf.example.org"))

    assert (response.status_code, response["Location"]) == (302, "https://meet.example.org/copf")
    assert Attendance.objects.get().user == bo


def test_a_meeting_without_a_join_link_has_no_join_button_or_line(clock):
    meeting = MeetingFactory(series=SeriesFactory(name="CoP-F East", join_url=""), starts_at=START)

    message = sent_invite(member(), meeting)

    assert [label for label, _ in html_buttons(message)] == ["✓ Yes", "Maybe", "No"]
    assert "Join the meeting:" not in message.body.splitlines()


def test_every_button_is_an_inline_styled_link_at_least_44_px_tall(clock):
    messages = every_message(clock)

    for kind, message in messages.items():
        for label, _, style in read_html(message).buttons:
            declarations = dict(part.split(":", 1) for part in style.split(";"))
            assert {
                name: declarations[name]
                for name in ("display", "min-height", "padding", "border", "line-height")
            } == {
                "display": "inline-block",
                "min-height": "44px",
                "padding": "12px 16px",
                "border": "2px solid #0b5cab",
                "line-height": "20px",
            }, (kind, label)


# One `@media (prefers-color-scheme: dark) { ... }` block of class rules, and nothing else.
DARK_MODE_ONLY = (
    r"@media \(prefers-color-scheme: dark\) \{(\s*\.[a-z-]+(, \.[a-z-]+)* \{[^{}]+\})+\s*\}"
)


def test_the_html_part_is_styled_inline_with_only_a_dark_mode_block_in_its_head(clock):
    messages = every_message(clock)

    for kind, message in messages.items():
        html = html_of(message)
        head, body = html.split("</head>")
        [css] = re.findall(r"<style>(.*?)</style>", html, flags=re.DOTALL)
        assert "<style" not in body, kind
        assert re.fullmatch(DARK_MODE_ONLY, css.strip()), kind
        assert '<meta name="color-scheme" content="light dark">' in head, kind
        assert re.search(r"<(script|link)\b", html) is None, kind
        classed = re.findall(r"<[a-z0-9]+ [^>]*class=\"[^\"]*\"[^>]*>", body)
        assert classed, kind
        assert [tag for tag in classed if not re.search(r'\sstyle="', tag)] == [], kind


def test_user_text_is_escaped_in_the_html_part_and_left_as_is_in_the_text_part(clock):
    meeting = east(title="Circles & <b>practice</b>")
    user = member()
    sent_invite(user, meeting)
    meeting_services.cancel_meeting(meeting=meeting, message="Rest <i>well</i> & see you")
    plan.plan_deliveries()

    message = delivered(Delivery.Kind.CANCELLATION, user)

    html = html_of(message)
    assert "<b>" not in html
    assert "<i>" not in html
    assert "Circles &amp; &lt;b&gt;practice&lt;/b&gt;" in html
    assert "Rest &lt;i&gt;well&lt;/i&gt; &amp; see you" in html
    assert message.subject == "Cancelled: Circles & <b>practice</b>, Mon 11 Jan, 14:00 UTC"
    assert lines_after(message.body, "The organizers' message:", 1) == [
        "> Rest <i>well</i> & see you"
    ]


# --- one rendering for many members ----------------------------------------------------


def day_before_reminders(clock, members: dict[str, tuple[str, str]]) -> list[Delivery]:
    """{name: (zone, answer)}: each answers and is sent the invite, then the day-before
    reminders fall due, in the order given."""
    meeting = east()
    for name, (zone, response) in members.items():
        sent_invite(member(name, zone=zone), meeting, response)
    clock.move_to(DAY_BEFORE)
    plan.plan_deliveries()
    return list(Delivery.objects.filter(kind=Delivery.Kind.REMINDER_DAY).order_by("pk"))


def test_members_in_one_chunk_get_their_own_name_links_and_answer_from_one_rendering_a_variant(
    clock, monkeypatch
):
    reminders = day_before_reminders(
        clock,
        {
            "Asha": ("UTC", "yes"),
            "Ben & <Bo>": ("UTC", "maybe"),
            "Chen": ("UTC", "yes"),
            "Dev": ("Asia/Kolkata", "yes"),
        },
    )
    renders = []
    real = render.render_email_parts

    def counted(name, context):
        renders.append((name, context["local"].zone.key, context["answer"].response))
        return real(name, context)

    monkeypatch.setattr(render, "render_email_parts", counted)
    sent = len(mail.outbox)

    send_chunk(reminders)

    messages = mail.outbox[sent:]
    assert renders == [
        ("reminder_day", "UTC", "yes"),
        ("reminder_day", "UTC", "maybe"),
        ("reminder_day", "Asia/Kolkata", "yes"),
    ]
    assert [message.body.splitlines()[0] for message in messages] == [
        "Hello Asha,",
        "Hello Ben & <Bo>,",
        "Hello Chen,",
        "Hello Dev,",
    ]
    assert [greeting(html_lines(message)) for message in messages] == [
        "Hello Asha,",
        "Hello Ben & <Bo>,",
        "Hello Chen,",
        "Hello Dev,",
    ]
    for reminder, message in zip(reminders, messages, strict=True):
        own = {
            response: links.rsvp_url(
                user_id=reminder.user_id, meeting_id=reminder.meeting_id, response=response
            )
            for response in ("yes", "maybe", "no")
        }
        chosen = reminder.user.rsvps.get().response
        assert html_buttons(message)[1:] == [
            (f"✓ {label}" if response == chosen else label, own[response])
            for response, label in [("yes", "Yes"), ("maybe", "Maybe"), ("no", "No")]
        ]
        assert message.extra_headers["List-Unsubscribe"] == (
            f"<{links.unsubscribe_url(user_id=reminder.user_id)}>"
        )


def test_a_message_from_the_chunks_rendering_reads_as_one_rendered_alone(clock):
    asha, ben = day_before_reminders(
        clock, {"Asha": ("Australia/Sydney", "yes"), "Ben": ("Australia/Sydney", "yes")}
    )
    parts = render.SharedParts()
    answers = {reminder.pk: reminder.user.rsvps.get() for reminder in [asha, ben]}
    render.build_message(
        asha, now=DAY_BEFORE, answer=answers[asha.pk], parts=parts.of(asha.meeting)
    )

    shared, _ = render.build_message(
        ben, now=DAY_BEFORE, answer=answers[ben.pk], parts=parts.of(ben.meeting)
    )
    alone, _ = render.build_message(ben, now=DAY_BEFORE, answer=answers[ben.pk])

    assert (shared.subject, shared.body, html_of(shared)) == (
        alone.subject,
        alone.body,
        html_of(alone),
    )
    assert shared.wire is not None


def test_a_member_without_a_name_is_greeted_as_there(clock):
    [reminder] = day_before_reminders(clock, {"Asha": ("UTC", "yes")})
    reminder.user.display_name = ""
    reminder.user.save()

    send_chunk([reminder])

    assert mail.outbox[-1].body.splitlines()[0] == "Hello there,"


def greeting(lines: list[str]) -> str:
    [hello] = [line for line in lines if line.startswith("Hello")]
    return hello


def send_chunk(deliveries: list[Delivery]) -> None:
    result = sender.deliver_chunk([delivery.pk for delivery in deliveries])
    assert set(result.outcomes.values()) == {Delivery.State.SENT}


# --- a cancellation says why, and when the next session is -----------------------------


def test_a_cancellation_quotes_the_organizers_message_and_names_the_next_session(clock):
    series = SeriesFactory(name="CoP-F East")
    meeting = MeetingFactory(series=series, starts_at=START)
    MeetingFactory(series=series, starts_at=START + timedelta(days=14), status="cancelled")
    MeetingFactory(series=SeriesFactory(), starts_at=START + timedelta(days=7))
    following = MeetingFactory(series=series, starts_at=FEBRUARY_START)
    MeetingFactory(series=series, starts_at=FEBRUARY_START + timedelta(days=28))
    user = member(zone="Asia/Kolkata")
    sent_invite(user, meeting)
    meeting_services.cancel_meeting(
        meeting=meeting, message="A holiday: we rest.\n\nSee you in February!"
    )
    plan.plan_deliveries()

    message = delivered(Delivery.Kind.CANCELLATION, user)

    next_url = f"https://copf.example.org/meetings/{following.pk}/"
    assert lines_after(message.body, "The organizers' message:", 3) == [
        "> A holiday: we rest.",
        ">",
        "> See you in February!",
    ]
    assert lines_after(message.body, "The next session of CoP-F East:", 3) == [
        "Monday 8 February 2027, 19:30–21:00 IST",
        "In UTC: 14:00–15:30 UTC",
        next_url,
    ]
    lines = html_lines(message)
    start = lines.index("The organizers' message:")
    assert lines[start : start + 7] == [
        "The organizers' message:",
        "A holiday: we rest.",
        "See you in February!",
        "The next session of CoP-F East:",
        "Monday 8 February 2027, 19:30–21:00 IST",
        "In UTC: 14:00–15:30 UTC",
        "See the next session",
    ]
    assert html_buttons(message) == [("See the next session", next_url)]


def test_a_cancellation_without_a_message_or_a_next_session_says_neither(clock):
    meeting = east()
    user = member()
    sent_invite(user, meeting)
    meeting_services.cancel_meeting(meeting=meeting)
    plan.plan_deliveries()

    message = delivered(Delivery.Kind.CANCELLATION, user)

    assert message.body.splitlines()[:8] == [
        "Hello Asha,",
        "",
        "CoP-F East is cancelled. It will not take place.",
        "",
        "CoP-F East",
        "Monday 11 January 2027, 14:00–15:30 UTC",
        "",
        "Details on the site:",
    ]
    assert html_buttons(message) == []
    assert [line for line in html_lines(message) if "message" in line or "next" in line] == []


def test_the_next_session_of_a_meeting_without_a_series_is_none():
    extra = MeetingFactory(series=None, is_extra=True, starts_at=START)
    MeetingFactory(series=None, is_extra=True, starts_at=FEBRUARY_START)

    assert render.next_session(extra) is None


def test_answering_no_removes_the_meeting_without_an_organizers_message(clock):
    meeting = east()
    user = member()
    sent_invite(user, meeting)
    answer(user, meeting, "no")

    message = delivered(Delivery.Kind.CANCELLATION, user)

    assert message.body.splitlines()[2] == (
        "You answered no, so we have taken CoP-F East out of your calendar. You can still "
        "change your mind on the site."
    )
    assert "The organizers' message:" not in message.body
    assert "The next session" not in message.body


# --- on a phone, in light and dark -----------------------------------------------------------

# For each element with text of its own: its text, colour and the background behind it.
TEXT_COLOURS = """() => [...document.body.querySelectorAll('*')]
  .filter(el => el.offsetParent !== null
    && [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
  .map(el => {
    let back = el;
    while (back && getComputedStyle(back).backgroundColor === 'rgba(0, 0, 0, 0)') {
      back = back.parentElement;
    }
    return [el.textContent.trim().slice(0, 30), getComputedStyle(el).color,
            back ? getComputedStyle(back).backgroundColor : 'rgb(255, 255, 255)'];
  })"""
BUTTON_BOXES = """() => [...document.querySelectorAll('a[class^="copf-button"]')]
  .map(a => [a.textContent, a.getBoundingClientRect().right, a.getBoundingClientRect().height])"""


def luminance(css_colour: str) -> float:
    """WCAG relative luminance of an `rgb(r, g, b)` colour."""
    channels = [int(value) / 255 for value in re.findall(r"\d+", css_colour)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted([luminance(foreground), luminance(background)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_message_fits_a_360_px_phone_with_readable_text_and_44_px_buttons(clock, scheme):
    htmls = {kind: html_of(message) for kind, message in every_message(clock).items()}

    with mail_viewer() as open_mail:
        for kind, html in htmls.items():
            check_on_a_phone(open_mail(html, width=360, scheme=scheme), kind=kind, scheme=scheme)


def check_on_a_phone(page, *, kind: str, scheme: str) -> None:
    """No sideways scrolling, the page in the scheme's colours, buttons 44 px tall or more
    and inside the screen, and every text at a contrast of 4.5:1 or more (WCAG AA)."""
    page_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert page.evaluate("document.documentElement.scrollWidth") == 360, kind
    assert (luminance(page_background) < 0.05) == (scheme == "dark"), kind
    boxes = page.evaluate(BUTTON_BOXES)
    assert boxes, kind
    assert [label for label, right, height in boxes if right > 360 or height < 44] == [], kind
    faint = [
        (text, round(contrast(colour, background), 2))
        for text, colour, background in page.evaluate(TEXT_COLOURS)
        if contrast(colour, background) < 4.5
    ]
    assert faint == [], (kind, faint)


def test_the_answer_buttons_share_one_row_on_a_360_px_phone(clock):
    html = html_of(sent_invite(member(), east()))

    with mail_viewer() as open_mail:
        tops = open_mail(html, width=360, scheme="light").evaluate(
            """() => [...document.querySelectorAll('a[class^="copf-button"]')]
            .map(a => [a.textContent, Math.round(a.getBoundingClientRect().top)])"""
        )
    [yes, maybe, no, join] = tops
    assert yes[1] == maybe[1] == no[1] < join[1]
