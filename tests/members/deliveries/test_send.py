"""Sending: a row is claimed once, checked, sent; failures retried, recorded or paused."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from meetings import services as meeting_services
from members.deliveries import outage, plan, render, sweep
from members.deliveries import send as sender
from members.models import Delivery, Rsvp
from tests.members.deliveries.support import (
    DAY_BEFORE,
    HOUR_BEFORE,
    NOW,
    SETTLE,
    START,
    answer,
    answer_now,
    east,
    event_of,
    follow,
    member,
    send,
    sent_invite,
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
    answer_now(user, meeting, "yes")
    clock.shift(timedelta(minutes=1))
    answer_now(user, meeting, "maybe")
    clock.shift(SETTLE)

    states = [send(delivery) for delivery in Delivery.objects.order_by("pk")]

    assert states == ["sent"]
    [message] = mail.outbox
    assert event_of(message)[1]["ATTENDEE"].params["PARTSTAT"] == "TENTATIVE"


def test_an_update_still_waiting_gives_way_to_the_invite_a_new_answer_plans(clock):
    user = member()
    meeting = east()
    sent_invite(user, meeting)
    meeting_services.move_meeting(meeting=meeting, starts_at=START + timedelta(hours=2))
    plan.plan_deliveries()
    answer_now(user, meeting, "maybe")

    update_state = send(the(Delivery.Kind.UPDATE, user))
    clock.shift(SETTLE)
    invite_state = send(the(Delivery.Kind.INVITE, user, state="pending"))

    assert (update_state, invite_state) == ("skipped", "sent")
    assert the(Delivery.Kind.UPDATE, user).last_error == (
        "A newer message about this meeting replaces this one."
    )
    _, event = event_of(mail.outbox[-1])
    assert (event["SEQUENCE"], event["ATTENDEE"].params["PARTSTAT"]) == (2, "TENTATIVE")
    assert event.decoded("DTSTART") == START + timedelta(hours=2)


# --- an invitation always goes before a reminder ---------------------------------------


def test_a_reminder_claimed_while_the_invitation_waits_is_held_with_its_attempt_given_back(
    clock,
):
    user = member()
    meeting = east()
    follow(user, meeting.series)
    clock.move_to(HOUR_BEFORE)
    plan.plan_deliveries()
    reminder = the(Delivery.Kind.REMINDER_HOUR, user)
    answer_now(user, meeting, "yes")  # takes over the follow invite, which now settles

    state = send(reminder)

    reminder.refresh_from_db()
    assert state == "held"
    assert (reminder.state, reminder.attempts, reminder.enqueued_at, reminder.last_error) == (
        "pending",
        0,
        None,
        "Waiting for the invitation to go first.",
    )
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("invited_before", "state", "reason"),
    [
        (timedelta(minutes=16), "sent", ""),
        (
            timedelta(minutes=14),
            "skipped",
            "The member was sent this meeting's invitation or an update minutes before; "
            "a reminder would repeat it.",
        ),
    ],
    ids=["16-minutes-before", "14-minutes-before"],
)
def test_a_reminder_right_after_the_invitation_is_skipped_as_a_repeat(
    clock, invited_before, state, reason
):
    user = member()
    meeting = east()
    clock.move_to(HOUR_BEFORE - invited_before - SETTLE)
    answer_now(user, meeting, "yes")
    clock.shift(SETTLE)
    send(the(Delivery.Kind.INVITE, user))
    clock.move_to(HOUR_BEFORE)
    plan.plan_deliveries()

    reminder_state = send(the(Delivery.Kind.REMINDER_HOUR, user))

    assert (reminder_state, the(Delivery.Kind.REMINDER_HOUR, user).last_error) == (state, reason)
    assert len(mail.outbox) == (2 if state == "sent" else 1)


# --- a message that cannot be built (issue 8, fault 3) -----------------------------------


def test_a_message_that_cannot_be_built_is_retried_then_failed_with_the_reason(
    clock, monkeypatch, caplog
):
    user = member()
    answer(user, east(), "yes")
    invite = the(Delivery.Kind.INVITE, user)

    def broken(*args, **kwargs):
        raise RuntimeError("the template broke")

    monkeypatch.setattr("members.deliveries.render.build_message", broken)
    for _ in range(sender.MAX_ATTEMPTS - 1):
        with pytest.raises(sender.TransientFailure):
            send(invite)
        clock.move_to(Delivery.objects.get(pk=invite.pk).due_at)
    state = send(invite)

    invite.refresh_from_db()
    assert (state, invite.state, invite.attempts, invite.last_error) == (
        "failed",
        "failed",
        8,
        "Gave up after 8 attempts: Could not build or send the message: "
        "RuntimeError: the template broke",
    )
    tracebacks = [str(record.exc_info[1]) for record in caplog.records if record.exc_info]
    assert tracebacks == ["the template broke"]
    assert sweep.sweep().due == []
    assert mail.outbox == []


def test_a_claim_that_never_finishes_counts_as_an_attempt_until_the_row_fails(clock):
    user = member()
    answer(user, east(), "yes")
    invite = the(Delivery.Kind.INVITE, user)

    claims = []
    for _ in range(sender.MAX_ATTEMPTS + 2):
        claims.append(sender.claim(invite.pk) is not None)  # the worker dies after claiming
        clock.shift(sender.CLAIM_TIMEOUT + timedelta(minutes=1))
    result = sweep.sweep()

    invite.refresh_from_db()
    assert claims == [True] * sender.MAX_ATTEMPTS + [False, False]
    assert (result.abandoned, result.due) == (1, [])
    assert (invite.state, invite.attempts, invite.last_error) == (
        "failed",
        8,
        "Gave up after 8 attempts: the last one never finished "
        "(its worker stopped, or building the message hung).",
    )


# --- a mail server that refuses us (issue 8, fault 4) ------------------------------------


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (
            smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication credentials invalid"),
            "SMTP 535: 5.7.8 Authentication credentials invalid",
        ),
        (
            ConnectionRefusedError(111, "Connection refused"),
            "ConnectionRefusedError: [Errno 111] Connection refused",
        ),
        (
            smtplib.SMTPSenderRefused(553, b"5.7.1 Sender not allowed", "noreply@copf.example"),
            "SMTP 553: 5.7.1 Sender not allowed",
        ),
    ],
    ids=["auth-535", "connection-refused", "mail-from-553"],
)
def test_a_server_side_failure_pauses_sending_and_fails_no_message(
    clock, settings, smtp_fails, error, reason
):
    asha, ben = member("Asha"), member("Ben")
    meeting = east()
    answer(asha, meeting, "yes")
    answer(ben, meeting, "yes")
    first, second = the(Delivery.Kind.INVITE, asha), the(Delivery.Kind.INVITE, ben)
    smtp_fails(error)

    states = [send(first), send(second)]
    while_paused = sweep.sweep()

    first.refresh_from_db()
    assert states == ["paused", "paused"]
    assert (first.state, first.attempts, first.last_error) == (
        "pending",
        0,
        f"Waiting for the mail server: {reason}",
    )
    assert the(Delivery.Kind.INVITE, ben).attempts == 0
    assert while_paused.due == []
    health = outage.health()
    assert (health["state"], health["reason"], health["waiting"]) == ("failing", reason, 2)
    assert health["since"] == NOW.isoformat()


def test_sending_resumes_after_the_pause_once_the_server_answers_again(clock, settings, smtp_fails):
    user = member()
    answer(user, east(), "yes")
    invite = the(Delivery.Kind.INVITE, user)
    smtp_fails(smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication credentials invalid"))
    send(invite)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    clock.shift(outage.PAUSE_BASE + timedelta(seconds=1))
    due = sweep.sweep().due
    state = send(invite)

    assert (due, state) == ([invite.pk], "sent")
    assert outage.health() == {"state": "ok"}
    assert len(mail.outbox) == 1


def test_the_pause_doubles_while_the_server_keeps_refusing_up_to_a_cap(clock):
    pauses = []
    for _ in range(8):
        status = outage.record_failure(reason="SMTP 535", now=NOW)
        pauses.append((status.paused_until - NOW).total_seconds())

    assert pauses == [30, 60, 120, 240, 480, 900, 900, 900]


def test_a_recipient_refused_with_550_fails_that_message_only(clock, smtp_fails):
    user = member()
    answer(user, east(), "yes")
    invite = the(Delivery.Kind.INVITE, user)
    smtp_fails(smtplib.SMTPRecipientsRefused({user.email: (550, b"5.1.1 No such user")}))

    state = send(invite)

    assert state == "failed"
    assert outage.health() == {"state": "ok"}


# --- reminders that come too late (issue 8, fault 5) -------------------------------------


def test_after_an_outage_a_late_day_before_reminder_is_skipped_and_the_hour_one_still_goes(
    clock,
):
    user = member()
    sent_invite(user, east())

    clock.move_to(START - timedelta(hours=2))  # beat and workers were down for 22 hours
    plan.plan_deliveries()
    day_state = send(the(Delivery.Kind.REMINDER_DAY, user))
    clock.move_to(START - timedelta(minutes=40))
    plan.plan_deliveries()
    hour_state = send(the(Delivery.Kind.REMINDER_HOUR, user))

    assert (day_state, hour_state) == ("skipped", "sent")
    assert the(Delivery.Kind.REMINDER_DAY, user).last_error == (
        "Too late to be useful: the meeting starts in 2 h 00 min, "
        "less than half of the 24 h 00 min this reminder gives."
    )
    assert mail.outbox[-1].subject == "Reminder: starts in 40 minutes — CoP-F East, 14:00 UTC"


def test_a_day_before_reminder_a_few_hours_late_still_goes(clock):
    user = member()
    sent_invite(user, east())

    clock.move_to(DAY_BEFORE + timedelta(hours=6))
    plan.plan_deliveries()

    assert send(the(Delivery.Kind.REMINDER_DAY, user)) == "sent"


def test_an_hour_before_reminder_with_under_half_an_hour_left_is_skipped(clock):
    user = member()
    sent_invite(user, east())

    clock.move_to(START - timedelta(minutes=20))
    plan.plan_deliveries()

    assert send(the(Delivery.Kind.REMINDER_HOUR, user)) == "skipped"


# --- chunks (issue 11) -----------------------------------------------------------------


class RefusesSomeBackend(LocmemBackend):
    """Sends, except to the addresses in `refusals`, which fail with their error."""

    refusals: dict[str, Exception] = {}

    def send_messages(self, email_messages):
        for message in email_messages:
            if message.to[0] in self.refusals:
                raise self.refusals[message.to[0]]
        return super().send_messages(email_messages)


@pytest.fixture
def refuses(settings, monkeypatch):
    """Call with {address: error}: those messages fail, the others go."""

    def refuse(refusals: dict[str, Exception]) -> None:
        settings.EMAIL_BACKEND = f"{__name__}.RefusesSomeBackend"
        monkeypatch.setattr(RefusesSomeBackend, "refusals", refusals)

    return refuse


def invites_for(*names: str, meeting=None) -> list[Delivery]:
    """An answered-yes invite, due now, for each member named, to one meeting."""
    meeting = meeting or east()
    invites = []
    for name in names:
        user = member(name)
        answer(user, meeting, "yes")
        invites.append(the(Delivery.Kind.INVITE, user))
    return invites


def rows(invites: list[Delivery]) -> list[tuple[str, int, str]]:
    return [
        Delivery.objects.values_list("state", "attempts", "last_error").get(pk=invite.pk)
        for invite in invites
    ]


def test_a_chunk_sends_each_due_row_once_and_leaves_the_rows_already_sent_alone(clock):
    asha, ben, chen = invites_for("Asha", "Ben", "Chen")
    send(ben)

    result = sender.deliver_chunk([asha.pk, ben.pk, chen.pk])

    assert result.outcomes == {asha.pk: "sent", ben.pk: "not claimed", chen.pk: "sent"}
    assert result.retries == {}
    assert rows([asha, ben, chen]) == [("sent", 1, ""), ("sent", 1, ""), ("sent", 1, "")]
    assert [message.to for message in mail.outbox] == [
        ["ben@example.org"],
        ["asha@example.org"],
        ["chen@example.org"],
    ]
    assert [message.message()["Message-ID"] for message in mail.outbox[1:]] == [
        asha.message_id,
        chen.message_id,
    ]


def test_two_workers_given_the_same_chunk_each_claim_only_what_the_other_did_not():
    asha, ben, chen = invites_for("Asha", "Ben", "Chen")

    first = sender.claim_chunk([asha.pk, ben.pk])
    second = sender.claim_chunk([asha.pk, ben.pk, chen.pk])

    assert [delivery.pk for delivery, _ in first] == [asha.pk, ben.pk]
    assert [delivery.pk for delivery, _ in second] == [chen.pk]
    assert rows([asha, ben, chen]) == [("sending", 1, "")] * 3


def test_a_chunk_claims_a_row_left_by_a_killed_worker_but_not_a_fresh_claim(clock):
    asha, ben = invites_for("Asha", "Ben")
    sender.claim(asha.pk)
    clock.shift(sender.CLAIM_TIMEOUT)
    sender.claim(ben.pk)
    clock.shift(timedelta(seconds=1))

    result = sender.deliver_chunk([asha.pk, ben.pk])

    assert result.outcomes == {asha.pk: "sent", ben.pk: "not claimed"}
    assert rows([asha, ben]) == [("sent", 2, ""), ("sending", 1, "")]


def test_a_chunk_loads_each_row_with_the_members_answer(clock):
    asha, ben = invites_for("Asha", "Ben")
    Rsvp.objects.filter(user__display_name="Ben").update(response="maybe")

    claimed = sender.claim_chunk([asha.pk, ben.pk])

    assert [(delivery.user.display_name, answer.response) for delivery, answer in claimed] == [
        ("Asha", "yes"),
        ("Ben", "maybe"),
    ]


@pytest.mark.parametrize("size", [1, 50])
def test_claiming_and_loading_a_chunk_costs_three_queries_however_large(
    clock, django_assert_num_queries, size
):
    meeting = east()
    invites = [
        Delivery.objects.create(
            meeting=meeting,
            user=member(f"Member{n}"),
            kind=Delivery.Kind.INVITE,
            sequence=0,
            meeting_sequence=0,
            due_at=NOW,
        )
        for n in range(size)
    ]

    # The UPDATE that claims them, the rows with member, meeting and series, the answers.
    with django_assert_num_queries(3):
        claimed = sender.claim_chunk([invite.pk for invite in invites])
        names = [
            (delivery.user.email, delivery.meeting.title, delivery.meeting.series.name)
            for delivery, _ in claimed
        ]

    assert len(names) == size


def test_one_recipient_refused_for_good_fails_alone_and_the_rest_of_the_chunk_goes(clock, refuses):
    asha, ben, chen = invites_for("Asha", "Ben", "Chen")
    refuses({"ben@example.org": smtplib.SMTPRecipientsRefused({"ben@example.org": (550, b"No")})})

    result = sender.deliver_chunk([asha.pk, ben.pk, chen.pk])

    assert result.outcomes == {asha.pk: "sent", ben.pk: "failed", chen.pk: "sent"}
    assert rows([asha, ben, chen]) == [
        ("sent", 1, ""),
        ("failed", 1, "Recipient refused: ben@example.org: 550 No"),
        ("sent", 1, ""),
    ]
    assert [message.to for message in mail.outbox] == [["asha@example.org"], ["chen@example.org"]]


def test_a_transient_failure_in_a_chunk_puts_that_row_back_with_backoff_and_the_rest_goes(
    clock, refuses
):
    asha, ben, chen = invites_for("Asha", "Ben", "Chen")
    refuses({"ben@example.org": smtplib.SMTPResponseException(451, b"4.3.0 Try later")})

    result = sender.deliver_chunk([asha.pk, ben.pk, chen.pk])

    assert result.outcomes == {asha.pk: "sent", ben.pk: "retry", chen.pk: "sent"}
    assert list(result.retries) == [ben.pk]
    assert result.retry_in == sender.BACKOFF_BASE
    assert rows([asha, ben, chen]) == [
        ("sent", 1, ""),
        ("pending", 1, "SMTP 451: 4.3.0 Try later"),
        ("sent", 1, ""),
    ]
    assert Delivery.objects.get(pk=ben.pk).due_at == NOW + sender.BACKOFF_BASE


def test_the_server_refusing_us_mid_chunk_puts_the_rest_back_with_their_attempts(clock, refuses):
    asha, ben, chen = invites_for("Asha", "Ben", "Chen")
    refuses({"ben@example.org": smtplib.SMTPAuthenticationError(535, b"5.7.8 Bad login")})

    result = sender.deliver_chunk([asha.pk, ben.pk, chen.pk])

    waiting = "Waiting for the mail server: SMTP 535: 5.7.8 Bad login"
    assert result.outcomes == {asha.pk: "sent", ben.pk: "paused", chen.pk: "paused"}
    assert rows([asha, ben, chen]) == [
        ("sent", 1, ""),
        ("pending", 0, waiting),
        ("pending", 0, waiting),
    ]
    assert sender.deliver_chunk([chen.pk]).outcomes == {chen.pk: "paused"}


def test_reminders_in_a_chunk_look_up_the_meeting_before_theirs_once(clock, monkeypatch):
    meeting = east()
    for name in ["Asha", "Ben", "Chen"]:
        sent_invite(member(name), meeting)
    clock.move_to(DAY_BEFORE)
    plan.plan_deliveries()
    reminders = list(Delivery.objects.filter(kind=Delivery.Kind.REMINDER_DAY).order_by("pk"))
    lookups = []
    real = render.previous_meeting

    def counted(*, meeting):
        lookups.append(meeting.pk)
        return real(meeting=meeting)

    monkeypatch.setattr(render, "previous_meeting", counted)

    result = sender.deliver_chunk([reminder.pk for reminder in reminders])

    assert list(result.outcomes.values()) == ["sent", "sent", "sent"]
    assert lookups == [meeting.pk]
    assert [message.to for message in mail.outbox[3:]] == [
        ["asha@example.org"],
        ["ben@example.org"],
        ["chen@example.org"],
    ]


@pytest.mark.parametrize("size", [1, 20])
def test_a_chunk_of_reminders_costs_one_query_a_message_however_large(
    clock, django_assert_num_queries, size
):
    meeting = east()
    for n in range(size):
        sent_invite(member(f"Member{n}"), meeting)
    clock.move_to(DAY_BEFORE)
    plan.plan_deliveries()
    reminders = [
        reminder.pk for reminder in Delivery.objects.filter(kind=Delivery.Kind.REMINDER_DAY)
    ]

    # The mail server's status; the claim, the rows, the answers; the members'
    # invitations; the meeting before this one (for a clock change); its roles, their
    # holders and its agenda; then one UPDATE a message, marking it sent.
    with django_assert_num_queries(9 + size):
        result = sender.deliver_chunk(reminders)

    assert list(result.outcomes.values()) == ["sent"] * size


def test_a_reminder_in_a_chunk_waits_for_an_invitation_the_chunk_found_on_its_way(clock):
    meeting = east()
    asha, ben = member("Asha"), member("Ben")
    sent_invite(asha, meeting)
    sent_invite(ben, meeting)
    clock.move_to(DAY_BEFORE)
    plan.plan_deliveries()
    reminders = {
        reminder.user.display_name: reminder
        for reminder in Delivery.objects.filter(kind=Delivery.Kind.REMINDER_DAY)
    }
    Delivery.objects.create(
        meeting=meeting,
        user=ben,
        kind=Delivery.Kind.UPDATE,
        sequence=1,
        meeting_sequence=0,
        due_at=DAY_BEFORE,
    )

    result = sender.deliver_chunk([reminders["Asha"].pk, reminders["Ben"].pk])

    assert result.outcomes == {reminders["Asha"].pk: "sent", reminders["Ben"].pk: "held"}


def test_a_chunk_out_of_time_gives_the_rest_back_to_the_sweep_with_their_attempts(
    clock, monkeypatch
):
    asha, ben = invites_for("Asha", "Ben")
    monkeypatch.setattr(sender, "CHUNK_BUDGET", timedelta(seconds=-1))

    result = sender.deliver_chunk([asha.pk, ben.pk])

    assert result.outcomes == {asha.pk: "put back", ben.pk: "put back"}
    assert rows([asha, ben]) == [("pending", 0, ""), ("pending", 0, "")]
    assert mail.outbox == []
    assert sweep.sweep().due == [asha.pk, ben.pk]
