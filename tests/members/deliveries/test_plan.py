"""Planning: who is owed which message, as rows; updates and cancellations after changes."""

import smtplib
from datetime import UTC, date, datetime, timedelta

import pytest
import vobject
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from meetings import services as meeting_services
from members import services
from members.deliveries import plan, sweep
from members.deliveries import send as sender
from members.models import Delivery, Rsvp, User
from tests.factories import MeetingFactory, SeriesFactory
from tests.members.deliveries.support import (
    DAY_BEFORE,
    FEBRUARY_START,
    HOUR_BEFORE,
    MOVED,
    NOW,
    REMINDER_KINDS,
    SETTLE,
    START,
    answer,
    answer_now,
    east,
    event_of,
    follow,
    ics_of,
    lines_after,
    member,
    minute_by_minute,
    planned,
    send,
    sent_invite,
    the,
)

pytestmark = pytest.mark.django_db

# --- who gets what ---------------------------------------------------------------------


@pytest.mark.parametrize(("response", "partstat"), [("yes", "ACCEPTED"), ("maybe", "TENTATIVE")])
def test_a_yes_or_maybe_plans_an_invite_that_the_sweep_enqueues_once_it_has_settled(
    clock, django_capture_on_commit_callbacks, published_deliveries, response, partstat
):
    user = member()
    meeting = east()

    with django_capture_on_commit_callbacks(execute=True):
        answer_now(user, meeting, response)
    invite = the(Delivery.Kind.INVITE, user)
    clock.shift(plan.ANSWER_SETTLE_DELAY - timedelta(seconds=1))
    early = sweep.sweep(enqueue=published_deliveries.extend).due
    clock.shift(timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        settled = sweep.sweep(enqueue=published_deliveries.extend).due

    assert (invite.state, invite.due_at, invite.sequence) == ("pending", NOW + SETTLE, 0)
    assert (early, settled, published_deliveries) == ([], [invite.pk], [invite.pk])
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
    assert (
        the(Delivery.Kind.INVITE, seated).last_error == "The member answered no before it was sent."
    )
    assert published_deliveries == [promotion.pk]
    assert send(promotion) == "sent"
    [message] = mail.outbox
    calendar, event = event_of(message)
    assert message.subject == "You have a seat: CoP-F East, Mon 11 Jan, 14:00 UTC"
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
    assert message.subject == "Removed from your calendar: CoP-F East, Mon 11 Jan, 14:00 UTC"
    assert calendar["METHOD"] == "CANCEL"
    assert (event["STATUS"], event["SEQUENCE"]) == ("CANCELLED", 1)
    assert event["UID"] == invite_event["UID"]
    assert event["ATTENDEE"].params["PARTSTAT"] == "DECLINED"


def test_answering_no_without_an_invite_plans_nothing():
    user = member()
    meeting = east()

    answer(user, meeting, "no")

    assert planned() == []


# --- quick changes of answer: one message for what the member settled on ------------------


def test_yes_maybe_yes_within_the_settle_delay_sends_one_invitation_with_the_last_answer(clock):
    user = member()
    meeting = east()

    answer_now(user, meeting, "yes")
    first = minute_by_minute(clock, 1)
    answer_now(user, meeting, "maybe")
    second = minute_by_minute(clock, 1)
    answer_now(user, meeting, "yes")
    rest = minute_by_minute(clock, 5)

    assert (first, second, rest) == ([], [], [("invite", "sent")])
    invite = the(Delivery.Kind.INVITE, user)
    assert (invite.state, invite.sequence, invite.due_at) == (
        "sent",
        0,
        NOW + 2 * timedelta(minutes=1) + SETTLE,
    )
    [message] = mail.outbox
    assert message.subject == "Invitation: CoP-F East, Mon 11 Jan, 14:00 UTC"
    assert event_of(message)[1]["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"


def test_yes_then_no_within_the_settle_delay_sends_nothing(clock):
    user = member()
    meeting = east()

    answer_now(user, meeting, "yes")
    before = minute_by_minute(clock, 1)
    answer_now(user, meeting, "no")
    after = minute_by_minute(clock, 5)

    assert (before, after) == ([], [])
    assert list(Delivery.objects.values_list("kind", "state", "last_error")) == [
        ("invite", "skipped", "The member answered no before it was sent.")
    ]
    assert mail.outbox == []


def test_yes_then_no_after_the_invite_went_out_sends_the_cancellation_once_settled(clock):
    user = member()
    meeting = east()
    answer_now(user, meeting, "yes")
    invited = minute_by_minute(clock, 2)

    answer_now(user, meeting, "no")
    settling = minute_by_minute(clock, 1)
    settled = minute_by_minute(clock, 1)

    assert (invited, settling, settled) == ([("invite", "sent")], [], [("cancellation", "sent")])
    assert list(
        Delivery.objects.order_by("sequence").values_list("kind", "sequence", "due_at")
    ) == [("invite", 0, NOW + SETTLE), ("cancellation", 1, NOW + 2 * SETTLE)]
    calendar, event = event_of(mail.outbox[1])
    assert (calendar["METHOD"], event["SEQUENCE"]) == ("CANCEL", 1)


@pytest.mark.parametrize("detour", ["no", "maybe"])
def test_changing_an_answer_and_back_within_the_settle_delay_sends_nothing_new(clock, detour):
    user = member()
    meeting = east()
    answer_now(user, meeting, "yes")
    minute_by_minute(clock, 2)

    answer_now(user, meeting, detour)
    during = minute_by_minute(clock, 1)
    answer_now(user, meeting, "yes")
    after = minute_by_minute(clock, 5)

    assert during == []
    assert after == [("invite", "skipped")]
    assert [message.subject for message in mail.outbox] == [
        "Invitation: CoP-F East, Mon 11 Jan, 14:00 UTC"
    ]
    assert the(Delivery.Kind.INVITE, user, state="skipped").last_error == (
        "The member's calendar already holds this meeting with this answer."
    )


def test_a_change_of_answer_after_the_invite_went_out_sends_one_update_of_the_answer(clock):
    user = member()
    meeting = east()
    answer_now(user, meeting, "yes")
    minute_by_minute(clock, 2)

    answer_now(user, meeting, "no")
    minute_by_minute(clock, 1)
    answer_now(user, meeting, "maybe")
    results = minute_by_minute(clock, 5)

    assert results == [("invite", "sent")]
    assert list(Delivery.objects.order_by("sequence").values_list("kind", "sequence", "state")) == [
        ("invite", 0, "sent"),
        ("cancellation", 1, "skipped"),
        ("invite", 2, "sent"),
    ]
    _, event = event_of(mail.outbox[-1])
    assert (event["SEQUENCE"], event["ATTENDEE"].params["PARTSTAT"]) == (2, "TENTATIVE")


def test_a_no_while_a_worker_is_sending_the_invite_plans_the_cancellation(clock):
    user = member()
    meeting = east()
    answer(user, meeting, "yes")
    invite = the(Delivery.Kind.INVITE, user)
    assert sender.claim(invite.pk) is not None

    answer_now(user, meeting, "no")

    assert list(
        Delivery.objects.order_by("sequence").values_list("kind", "sequence", "state", "due_at")
    ) == [("invite", 0, "sending", NOW), ("cancellation", 1, "pending", NOW + SETTLE)]


def test_a_follow_invite_still_waiting_is_taken_over_by_the_answer(clock):
    meeting = east()
    user = member()
    follow(user, meeting.series)
    plan.plan_deliveries()

    answer_now(user, meeting, "maybe")

    invite = the(Delivery.Kind.INVITE, user)
    assert (Delivery.objects.count(), invite.state, invite.due_at) == (1, "pending", NOW + SETTLE)


def test_an_invite_taken_over_after_a_withdrawn_cancellation_carries_a_higher_sequence(clock):
    meeting = east()
    user = member()
    follow(user, meeting.series)
    plan.plan_deliveries()  # the follow invite, not sent yet
    services.unfollow_series(user=user, series=meeting.series)

    answer_now(user, meeting, "yes")
    clock.shift(SETTLE)
    state = send(the(Delivery.Kind.INVITE, user))

    assert list(
        Delivery.objects.order_by("pk").values_list("kind", "sequence", "state", "last_error")
    ) == [
        ("invite", 2, "sent", ""),
        ("cancellation", 1, "skipped", "The member answered yes before it was sent."),
    ]
    assert (state, event_of(mail.outbox[0])[1]["SEQUENCE"]) == ("sent", 2)


def test_followers_are_invited_to_meetings_in_the_next_30_days_only():
    series = SeriesFactory(name="CoP-F East")
    soon = MeetingFactory(series=series, starts_at=START)
    MeetingFactory(series=series, starts_at=FEBRUARY_START)
    follow(member("Asha"), series)

    count = plan.plan_deliveries()

    assert count == 1
    assert list(Delivery.objects.values_list("user__display_name", "kind", "meeting")) == [
        ("Asha", "invite", soon.pk)
    ]


def test_followers_are_invited_to_a_meeting_once_it_enters_the_30_days(clock):
    series = SeriesFactory(name="CoP-F East")
    february = MeetingFactory(series=series, starts_at=FEBRUARY_START)
    follow(member("Asha"), series)
    clock.move_to(FEBRUARY_START - plan.FOLLOW_INVITE_WINDOW)

    count = plan.plan_deliveries()

    assert count == 1
    assert list(Delivery.objects.values_list("kind", "meeting", "due_at")) == [
        ("invite", february.pk, FEBRUARY_START - timedelta(days=30))
    ]


def test_a_follower_who_answered_no_is_not_invited():
    meeting = east()
    user = member()
    follow(user, meeting.series)
    answer(user, meeting, "no")

    count = plan.plan_deliveries()

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

    count = plan.plan_deliveries()

    assert count == 2
    assert planned() == [("Asha", "invite"), ("Ben", "invite")]


def test_an_extra_meeting_without_a_series_invites_only_members_who_asked():
    follow(member("Asha"), SeriesFactory())
    member("Ben", notify_extra_meetings=True)
    meeting_services.schedule_extra_meeting(
        title="Open space", starts_at=datetime(2027, 3, 1, 14, 0, tzinfo=UTC)
    )

    plan.plan_deliveries()

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
    plan.plan_deliveries()
    clock.move_to(HOUR_BEFORE)
    plan.plan_deliveries()

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
    plan.plan_deliveries()
    clock.move_to(HOUR_BEFORE)
    plan.plan_deliveries()

    assert [kind for _, kind in planned(kind__in=REMINDER_KINDS)] == kinds


def test_email_off_plans_no_invite_either():
    user = member(email_enabled=False)
    meeting = east()
    follow(user, meeting.series)

    answer(user, meeting, "yes")
    plan.plan_deliveries()

    assert planned() == []


def test_a_late_joiner_gets_the_hour_before_reminder_but_not_the_day_before(clock):
    user = member()
    meeting = east()
    clock.move_to(DAY_BEFORE + timedelta(hours=4))
    answer(user, meeting, "yes")
    plan.plan_deliveries()

    clock.move_to(HOUR_BEFORE)
    plan.plan_deliveries()

    assert planned(kind__in=REMINDER_KINDS) == [("Asha", "reminder_hour")]


# --- changes: updates, cancellations, stale reminders ----------------------------------


def test_moving_a_meeting_after_the_invite_sends_an_update_with_old_and_new_time(clock):
    user = member(zone="Asia/Kolkata")
    meeting = east()
    sent_invite(user, meeting)
    clock.shift(timedelta(days=1))
    meeting_services.move_meeting(meeting=meeting, starts_at=START + timedelta(hours=2))

    count = plan.plan_deliveries()

    update = the(Delivery.Kind.UPDATE, user)
    assert count == 1
    assert (update.state, update.sequence, update.due_at) == ("pending", 1, NOW + timedelta(days=1))
    assert send(update) == "sent"
    message = mail.outbox[1]
    assert message.subject == "Moved: CoP-F East, now Mon 11 Jan, 21:30 IST (16:00 UTC)"
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
    plan.plan_deliveries()

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

    counts = [plan.plan_deliveries(), plan.plan_deliveries()]

    assert counts == [1, 0]
    assert planned() == [("Asha", "invite"), ("Asha", "update")]


def test_cancelling_a_meeting_after_the_invite_sends_a_calendar_cancellation(clock):
    user = member(zone="Asia/Kolkata")
    meeting = east()
    invite_mail = sent_invite(user, meeting)
    clock.shift(timedelta(days=1))
    meeting_services.cancel_meeting(meeting=meeting)

    count = plan.plan_deliveries()

    cancellation = the(Delivery.Kind.CANCELLATION, user)
    assert count == 1
    assert send(cancellation) == "sent"
    message = mail.outbox[1]
    calendar, event = event_of(message)
    _, invite_event = event_of(invite_mail)
    assert message.subject == "Cancelled: CoP-F East, Mon 11 Jan, 19:30 IST (14:00 UTC)"
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
    sent_invite(user, meeting)
    clock.move_to(DAY_BEFORE)
    plan.plan_deliveries()
    old = the(Delivery.Kind.REMINDER_DAY, user)
    meeting_services.move_meeting(meeting=meeting, starts_at=START + timedelta(hours=2))

    state = send(old)
    plan.plan_deliveries()
    send(the(Delivery.Kind.UPDATE, user))
    clock.move_to(DAY_BEFORE + timedelta(hours=2))
    plan.plan_deliveries()

    old.refresh_from_db()
    new = the(Delivery.Kind.REMINDER_DAY, user, state="pending")
    assert (state, old.state, old.last_error) == ("skipped", "skipped", MOVED)
    assert (new.due_at, new.sequence) == (DAY_BEFORE + timedelta(hours=2), 1)
    assert send(new) == "sent"
    assert [message.subject for message in mail.outbox] == [
        "Invitation: CoP-F East, Mon 11 Jan, 14:00 UTC",
        "Moved: CoP-F East, now Mon 11 Jan, 16:00 UTC",
        "Reminder: tomorrow — CoP-F East, 16:00 UTC",
    ]


def test_a_follower_invited_by_following_is_sent_the_update_too(clock):
    meeting = east()
    user = member(zone="America/New_York")
    follow(user, meeting.series)
    plan.plan_deliveries()
    send(the(Delivery.Kind.INVITE, user))
    meeting_services.move_meeting(meeting=meeting, starts_at=START + timedelta(days=1))

    plan.plan_deliveries()

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

    plan.plan_deliveries()

    send(the(Delivery.Kind.UPDATE, user))
    message = mail.outbox[1]
    assert message.subject == "Changed: CoP-F East: harvest, Mon 11 Jan, 14:00 UTC"
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
    plan.plan_deliveries()
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
    plan.plan_deliveries()
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

    first = plan.plan_deliveries()
    rows = planned()
    second = plan.plan_deliveries()

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


# --- one change, at most one message per member (issue 8, faults 1, 2 and 6) ------------


def test_an_update_skipped_because_email_was_turned_off_is_final_for_that_change(clock):
    user = member()
    meeting = east()
    sent_invite(user, meeting)
    meeting_services.move_meeting(meeting=meeting, starts_at=START + timedelta(hours=2))
    plan.plan_deliveries()
    User.objects.filter(pk=user.pk).update(email_enabled=False)
    assert send(the(Delivery.Kind.UPDATE, user)) == Delivery.State.SKIPPED

    counts = []
    for _ in range(3):
        clock.shift(timedelta(minutes=1))
        counts.append(plan.plan_deliveries())

    assert counts == [0, 0, 0]
    assert planned() == [("Asha", "invite"), ("Asha", "update")]


def test_a_member_who_turned_email_off_is_planned_no_update_at_all(clock):
    user = member()
    meeting = east()
    sent_invite(user, meeting)
    User.objects.filter(pk=user.pk).update(email_enabled=False)
    meeting_services.move_meeting(meeting=meeting, starts_at=START + timedelta(hours=2))

    counts = [plan.plan_deliveries() for _ in range(3)]

    assert counts == [0, 0, 0]
    assert planned() == [("Asha", "invite")]


def test_a_member_who_turns_email_back_on_is_sent_the_update_they_missed(clock):
    user = member()
    meeting = east()
    sent_invite(user, meeting)
    User.objects.filter(pk=user.pk).update(email_enabled=False)
    meeting_services.move_meeting(meeting=meeting, starts_at=START + timedelta(hours=2))
    plan.plan_deliveries()

    User.objects.filter(pk=user.pk).update(email_enabled=True)

    assert plan.plan_deliveries() == 1
    assert planned() == [("Asha", "invite"), ("Asha", "update")]


def test_an_update_the_recipient_refused_is_one_attempt_per_change(clock, smtp_fails):
    user = member()
    meeting = east()
    sent_invite(user, meeting)
    meeting_services.move_meeting(meeting=meeting, starts_at=START + timedelta(hours=2))
    plan.plan_deliveries()
    smtp_fails(smtplib.SMTPRecipientsRefused({user.email: (550, b"5.1.1 No such user")}))
    assert send(the(Delivery.Kind.UPDATE, user)) == Delivery.State.FAILED

    again = [plan.plan_deliveries() for _ in range(3)]
    meeting_services.move_meeting(meeting=meeting, starts_at=START + timedelta(hours=3))
    next_change = plan.plan_deliveries()

    assert (again, next_change) == ([0, 0, 0], 1)
    assert list(
        Delivery.objects.filter(kind=Delivery.Kind.UPDATE)
        .order_by("pk")
        .values_list("state", "meeting_sequence")
    ) == [("failed", 1), ("pending", 2)]


def test_a_meeting_the_rule_no_longer_makes_is_cancelled_for_the_members_who_hold_it(clock):
    series = SeriesFactory(name="CoP-F East", start_date=date(2026, 12, 14))
    meeting_services.materialize_series(series=series, until=START + timedelta(days=1))
    meeting = series.meetings.get(starts_at=START)
    invited, bystander = member("Asha"), member("Ben")
    follow(invited, series)  # invited by following, without answering
    plan.plan_deliveries()
    send(the(Delivery.Kind.INVITE, invited))
    series.rrule = "FREQ=MONTHLY;BYDAY=3MO"
    series.save()

    result = meeting_services.materialize_series(series=series, until=START + timedelta(days=1))
    plan.plan_deliveries()
    state = send(the(Delivery.Kind.CANCELLATION, invited))

    meeting.refresh_from_db()
    assert (result.cancelled, meeting.status) == (1, "cancelled")
    assert planned(meeting=meeting) == [("Asha", "cancellation"), ("Asha", "invite")]
    assert planned(user=bystander) == []
    calendar, event = event_of(mail.outbox[-1])
    assert (state, calendar["METHOD"], event["STATUS"]) == ("sent", "CANCEL", "CANCELLED")


def test_a_sweep_with_nothing_to_do_costs_the_same_queries_with_10_or_500_past_deliveries(
    clock,
):
    meeting = east()
    meeting_services.move_meeting(meeting=meeting, starts_at=START + timedelta(hours=2))
    meeting.refresh_from_db()

    counts = []
    for members in (10, 500):
        told_about_the_change(meeting, members - Delivery.objects.count() // 2)
        with CaptureQueriesContext(connection) as queries:
            result = sweep.sweep()
        counts.append((len(queries), result.planned, len(result.due)))

    assert Delivery.objects.count() == 1000
    assert counts[0] == counts[1]
    assert counts[0][1:] == (0, 0)


def told_about_the_change(meeting, members: int) -> None:
    """`members` who were sent the invite, then the update after the meeting moved."""
    users = [member(f"Told{Delivery.objects.count() + n}") for n in range(members)]
    for user in users:
        Rsvp.objects.create(meeting=meeting, user=user, response=Rsvp.Response.YES)
    Delivery.objects.bulk_create(
        Delivery(
            meeting=meeting,
            user=user,
            kind=kind,
            sequence=sequence,
            meeting_sequence=sequence,
            due_at=NOW,
            state=Delivery.State.SENT,
            sent_at=NOW,
        )
        for user in users
        for kind, sequence in ((Delivery.Kind.INVITE, 0), (Delivery.Kind.UPDATE, 1))
    )


def test_two_calendar_messages_to_one_member_about_one_meeting_never_share_a_sequence():
    user = member()
    meeting = east()
    answer(user, meeting, "yes")
    invite = the(Delivery.Kind.INVITE, user)

    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(
            meeting=meeting,
            user=user,
            kind=Delivery.Kind.CANCELLATION,
            sequence=invite.sequence,
            meeting_sequence=invite.meeting_sequence,
            due_at=NOW,
        )
