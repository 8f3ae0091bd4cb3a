"""The sweep: what is due goes out, and a reminder never overtakes the member's invitation."""

from datetime import timedelta

import pytest
from django.core import mail

from members.deliveries import plan
from members.models import Delivery
from tests.members.deliveries.support import (
    DAY_BEFORE,
    HOUR_BEFORE,
    START,
    answer_now,
    east,
    member,
    minute_by_minute,
    planned,
    the,
)

pytestmark = pytest.mark.django_db

REPEAT = (
    "The member was sent this meeting's invitation or an update minutes before; "
    "a reminder would repeat it."
)


def test_a_yes_as_the_hour_reminder_falls_due_sends_the_invitation_first_and_no_repeat(clock):
    user = member()
    meeting = east()
    clock.move_to(HOUR_BEFORE - timedelta(minutes=1))
    answer_now(user, meeting, "yes")  # the invite settles until a minute after the reminder

    results = minute_by_minute(clock, 5)

    assert results == [("invite", "sent"), ("reminder_hour", "skipped")]
    assert the(Delivery.Kind.REMINDER_HOUR, user).last_error == REPEAT
    assert [message.subject for message in mail.outbox] == [
        "Invitation: CoP-F East, Mon 11 Jan, 14:00 UTC"
    ]


def test_a_reminder_due_while_the_invitation_settles_is_held_by_the_sweep(clock):
    user = member()
    meeting = east()
    clock.move_to(HOUR_BEFORE - timedelta(minutes=1))
    answer_now(user, meeting, "yes")

    before = minute_by_minute(clock, 1)

    reminder = the(Delivery.Kind.REMINDER_HOUR, user)
    assert before == []
    assert (reminder.state, reminder.due_at, reminder.enqueued_at) == ("pending", HOUR_BEFORE, None)


def test_a_yes_50_minutes_before_the_start_is_sent_its_invitation_and_no_reminder_before_it(
    clock,
):
    user = member()
    meeting = east()
    clock.move_to(START - timedelta(minutes=50))

    answer_now(user, meeting, "yes")
    results = minute_by_minute(clock, 50)

    assert results == [("invite", "sent")]
    assert planned() == [("Asha", "invite")]


def test_the_day_reminder_waits_for_an_invitation_the_mail_server_delays(
    clock, settings, smtp_fails
):
    user = member()
    meeting = east()
    clock.move_to(DAY_BEFORE - timedelta(minutes=3))
    answer_now(user, meeting, "yes")  # due a minute before the day reminder
    smtp_fails(ConnectionResetError("Connection reset by peer"))

    failing = minute_by_minute(clock, 4)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    recovered = minute_by_minute(clock, 6)

    assert failing == [("invite", "retry")]
    assert recovered == [("invite", "sent"), ("reminder_day", "skipped")]
    assert the(Delivery.Kind.REMINDER_DAY, user).last_error == REPEAT
    assert len(mail.outbox) == 1


def test_a_reminder_well_after_the_invitation_still_goes(clock):
    user = member()
    meeting = east()
    clock.move_to(DAY_BEFORE - timedelta(hours=1))
    answer_now(user, meeting, "yes")

    invited = minute_by_minute(clock, 3)
    clock.move_to(DAY_BEFORE - timedelta(minutes=1))
    reminded = minute_by_minute(clock, 1)

    assert (invited, reminded) == ([("invite", "sent")], [("reminder_day", "sent")])
    assert plan.REMINDER_OFFSETS[Delivery.Kind.REMINDER_DAY] == timedelta(days=1)
    assert mail.outbox[-1].subject == "Reminder: tomorrow — CoP-F East, 14:00 UTC"
