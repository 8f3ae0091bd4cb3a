"""Sending: a row is claimed once, checked, sent; failures retried, recorded or paused."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail

from members.deliveries import send as sender
from members.deliveries import sweep
from members.models import Delivery
from tests.members.deliveries.support import (
    NOW,
    answer,
    east,
    event_of,
    member,
    send,
    the,
)

pytestmark = pytest.mark.django_db

# --- claim -----------------------------------------------------------------------------


def test_a_row_is_claimed_only_once():
    user = member()
    answer(user, east(), "yes")
    invite = the(Delivery.Kind.INVITE, user)

    first = sender.claim(invite.pk)
    second = sender.claim(invite.pk)

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
    settings.EMAIL_BACKEND = "tests.members.deliveries.support.WorkerDiesAfterSendingBackend"
    with pytest.raises(SystemExit):
        send(invite)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.shift(sender.CLAIM_TIMEOUT + timedelta(seconds=1))

    due = sweep.sweep().due
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
    sender.claim(invite.pk)
    clock.shift(sender.CLAIM_TIMEOUT - timedelta(seconds=1))

    state = send(invite)

    invite.refresh_from_db()
    assert (state, invite.state, invite.attempts) == ("not claimed", "sending", 1)
    assert sweep.sweep().due == []
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

    with pytest.raises(sender.TransientFailure) as failure:
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
            smtplib.SMTPDataError(554, b"5.7.1 Message rejected"),
            "Message refused: 554 5.7.1 Message rejected",
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
    assert sweep.sweep().due == []


def test_backoff_doubles_from_30_seconds_up_to_30_minutes():
    waits = [sender.backoff(attempts).total_seconds() for attempts in range(1, 11)]

    assert waits == [30, 60, 120, 240, 480, 960, 1800, 1800, 1800, 1800]


def test_transient_failures_give_up_after_max_attempts(clock, smtp_fails):
    user = member()
    answer(user, east(), "yes")
    invite = the(Delivery.Kind.INVITE, user)
    smtp_fails(smtplib.SMTPResponseException(421, b"4.3.2 Service not available"))
    waits = []

    for _ in range(sender.MAX_ATTEMPTS - 1):
        with pytest.raises(sender.TransientFailure) as failure:
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
