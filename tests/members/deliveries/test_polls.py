"""Mail about polls goes through the same rows and claims as every other message, once,
and is skipped with its reason when it no longer stands."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from members.deliveries import polls, sweep
from members.deliveries import send as sender
from members.models import Delivery, PollVote
from members.polls import services as poll_services
from tests.members.deliveries.support import (
    POLL_DEADLINE,
    answer,
    confirmed,
    east,
    guest_votes,
    make_poll,
    member,
    organizer,
    poll_mail,
    slot_ids,
)

pytestmark = pytest.mark.django_db

Kind = Delivery.Kind
State = Delivery.State


def invitations() -> list[int]:
    return list(
        Delivery.objects.filter(kind=Kind.POLL_INVITE).order_by("pk").values_list("pk", flat=True)
    )


def state_and_reason(delivery: Delivery) -> tuple[str, str]:
    delivery.refresh_from_db()
    return delivery.state, delivery.last_error


def test_each_invited_member_is_sent_the_invitation_once_through_a_chunk():
    olu = organizer()
    asha = confirmed(member("Asha", "Asia/Kolkata"))
    make_poll(by=olu)

    first = sender.deliver_chunk(invitations())
    again = sender.deliver_chunk(invitations())

    assert list(first.outcomes.values()) == [State.SENT, State.SENT]
    assert list(again.outcomes.values()) == [sender.NOT_CLAIMED, sender.NOT_CLAIMED]
    assert sorted(message.to[0] for message in mail.outbox) == [asha.email, olu.email]
    assert {message.extra_headers["Message-ID"] for message in mail.outbox} == set(
        Delivery.objects.filter(kind=Kind.POLL_INVITE).values_list("message_id", flat=True)
    )


def test_the_sweep_hands_out_a_poll_reminder_when_it_falls_due(clock):
    make_poll(by=organizer())
    reminder = poll_mail(Kind.POLL_REMINDER)

    clock.move_to(reminder.due_at)
    due = sweep.sweep().due

    assert reminder.pk in due
    assert sender.deliver(reminder.pk) == State.SENT


def test_the_reminder_is_skipped_for_a_member_who_voted(clock):
    olu = organizer()
    asha = confirmed(member("Asha", "Asia/Kolkata"))
    poll = make_poll(by=olu)
    poll_services.vote_as_member(
        poll=poll, user=asha, choices={slot_ids(poll)[0]: PollVote.Choice.NO}
    )
    clock.move_to(POLL_DEADLINE - polls.POLL_REMINDER_BEFORE)

    outcomes = [sender.deliver(poll_mail(Kind.POLL_REMINDER, user=user).pk) for user in (asha, olu)]

    assert outcomes == [State.SKIPPED, State.SENT]
    assert state_and_reason(poll_mail(Kind.POLL_REMINDER, user=asha)) == (
        State.SKIPPED,
        "The member has voted already.",
    )
    assert [message.to for message in mail.outbox] == [[olu.email]]


def test_the_invitation_is_skipped_once_the_poll_is_closed():
    olu = organizer()
    poll = make_poll(by=olu)
    poll_services.close_poll(poll=poll, slot_id=slot_ids(poll)[0], by=olu)
    invitation = poll_mail(Kind.POLL_INVITE, user=olu)

    assert sender.deliver(invitation.pk) == State.SKIPPED
    assert state_and_reason(invitation) == (
        State.SKIPPED,
        "The poll was closed before this could be sent.",
    )
    assert mail.outbox == []


def test_the_invitation_is_skipped_once_the_deadline_passed(clock):
    poll = make_poll(by=organizer())
    clock.move_to(poll.deadline)
    invitation = poll_mail(Kind.POLL_INVITE)

    assert sender.deliver(invitation.pk) == State.SKIPPED
    assert (
        state_and_reason(invitation)[1] == "The poll's deadline passed before this could be sent."
    )


def test_the_invitation_is_skipped_for_a_member_who_turned_email_off():
    olu = organizer()
    make_poll(by=olu)
    olu.email_enabled = False
    olu.save(update_fields=["email_enabled"])
    invitation = poll_mail(Kind.POLL_INVITE, user=olu)

    assert sender.deliver(invitation.pk) == State.SKIPPED
    assert state_and_reason(invitation)[1] == "The member turned e-mail off."


def test_the_confirmation_is_skipped_for_a_guest_who_confirmed_already():
    poll = make_poll(by=organizer(), audience="link")
    bia = guest_votes(poll)
    poll_services.confirm_guest(poll=poll, token=poll_services.guest_token(bia))
    confirmation = poll_mail(Kind.POLL_CONFIRM, voter=bia)

    assert sender.deliver(confirmation.pk) == State.SKIPPED
    assert state_and_reason(confirmation)[1] == "The guest has confirmed their address already."


def test_the_confirmation_is_skipped_once_the_poll_is_closed():
    olu = organizer()
    poll = make_poll(by=olu, audience="link")
    bia = guest_votes(poll)
    poll_services.close_poll(poll=poll, slot_id=slot_ids(poll)[0], by=olu)

    assert sender.deliver(poll_mail(Kind.POLL_CONFIRM, voter=bia).pk) == State.SKIPPED
    assert mail.outbox == []


def test_the_result_goes_to_a_confirmed_guest_once(clock):
    olu = organizer()
    poll = make_poll(by=olu, audience="link")
    bia = guest_votes(poll)
    poll_services.confirm_guest(poll=poll, token=poll_services.guest_token(bia))
    clock.shift(timedelta(days=7))  # after the deadline
    poll_services.close_poll(poll=poll, slot_id=slot_ids(poll)[1], by=olu)
    result = poll_mail(Kind.POLL_RESULT, voter=bia)

    outcomes = [sender.deliver(result.pk), sender.deliver(result.pk)]

    assert outcomes == [State.SENT, sender.NOT_CLAIMED]
    assert [message.to for message in mail.outbox] == [[bia.email]]


def test_a_chunk_of_poll_and_meeting_mail_sends_each_by_its_own_kind():
    olu = organizer()
    answer(olu, east(), "yes")
    make_poll(by=olu)
    due_now = Delivery.objects.filter(due_at__lte=timezone.now()).values_list("pk", flat=True)

    result = sender.deliver_chunk(list(due_now))

    assert set(result.outcomes.values()) == {State.SENT}
    assert sorted(Delivery.objects.filter(state=State.SENT).values_list("kind", flat=True)) == [
        Kind.INVITE,
        Kind.POLL_INVITE,
    ]


def test_a_poll_row_names_its_recipient_and_its_poll():
    poll = make_poll(by=organizer(), audience="link", title="Open to all")
    bia = guest_votes(poll)

    row = poll_mail(Kind.POLL_CONFIRM, voter=bia)

    assert str(row) == "Guest's address confirmation to Bia about Open to all (pending)"
