"""Send: claim one row, check it still stands, render it and hand it to SMTP.

- **claim**: a worker flips a row from pending to sending with one conditional UPDATE; only
  the worker that changed the row sends, so a duplicate task is a no-op. Every claim counts
  as an attempt. A claim left by a killed worker is taken again after CLAIM_TIMEOUT and
  re-sent with the same Message-ID, until the attempts run out (`sweep.give_up_abandoned`).
- **check**: a message that no longer stands (the member said no, the meeting moved, it is
  too late to be useful, it would only repeat what the member was just sent) is skipped
  with the reason. A reminder never overtakes the member's invitation to the same meeting:
  while one is on its way the reminder is put back, and the sweep holds it (`sweep._due`).
- **send**: whose fault a failure is decides what follows (`copf.lib.smtp.classify`): the
  recipient refused is final for this message; a transient failure, or a message that could
  not be built, is retried with capped backoff and fails with its reason after MAX_ATTEMPTS;
  the server refusing us pauses all sending (`outage`) and keeps the message pending.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from copf.lib import smtp
from meetings.services import lock_meeting

from ..models import (
    ALL_CALENDAR_KINDS,
    CALENDAR_KINDS,
    REMINDER_PREFERENCES,
    Delivery,
    Follow,
    Rsvp,
)
from . import outage, render
from .plan import REMINDER_OFFSETS, next_sequence

logger = logging.getLogger(__name__)

Kind = Delivery.Kind
State = Delivery.State

CLAIM_TIMEOUT = timedelta(minutes=10)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(minutes=30)
MAX_ATTEMPTS = 8
# A reminder this soon after the member's invitation (or update) would only repeat it.
REMINDER_AFTER_INVITE = timedelta(minutes=15)
PAUSED = "paused"
NOT_CLAIMED = "not claimed"
HELD = "held"
# What `skip_reason` says of a reminder that must wait, not be skipped.
WAITING_FOR_INVITATION = "Waiting for the invitation to go first."


class TransientFailure(Exception):
    """Sending failed in a way that may pass; try again after `retry_in`."""

    def __init__(self, reason: str, retry_in: timedelta) -> None:
        super().__init__(reason)
        self.retry_in = retry_in


def deliver(delivery_id: int, *, now: datetime | None = None) -> str:
    """Claim, check, render and send one message. Returns what became of it.

    Raises TransientFailure when sending should be tried again later.
    """
    now = now or timezone.now()
    status = outage.current_status()
    if status.is_paused(now):
        # Leave it pending and unqueued: the first sweep after the pause sends it.
        Delivery.objects.filter(pk=delivery_id, state=State.PENDING).update(enqueued_at=None)
        return PAUSED
    delivery = claim(delivery_id, now=now)
    if delivery is None:
        return NOT_CLAIMED
    try:
        reason, answer = _check(delivery, now=now)
        if reason == WAITING_FOR_INVITATION:
            _hold(delivery, now=now)
            return HELD
        if reason:
            _finish(delivery, state=State.SKIPPED, error=reason)
            return State.SKIPPED
        message, snapshot = render.build_message(delivery, now=now, answer=answer)
        smtp.send(message)
    except Exception as error:
        return _after_failure(delivery, error, now=now)
    _finish(delivery, state=State.SENT, snapshot=snapshot, now=now)
    if status.is_failing:
        outage.record_success()
    return State.SENT


def claim(delivery_id: int, *, now: datetime | None = None) -> Delivery | None:
    """Take the row for sending; None if another worker has it, it is done, or its
    attempts are spent."""
    now = now or timezone.now()
    claimable = (
        Q(state=State.PENDING, due_at__lte=now)
        | Q(state=State.SENDING, claimed_at__lte=now - CLAIM_TIMEOUT)
    ) & Q(attempts__lt=MAX_ATTEMPTS)
    won = Delivery.objects.filter(claimable, pk=delivery_id).update(
        state=State.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
    )
    if won != 1:
        return None
    return Delivery.objects.select_related("meeting", "meeting__series", "user").get(pk=delivery_id)


def _check(delivery: Delivery, *, now: datetime) -> tuple[str, Rsvp | None]:
    """Why the message should no longer go out ("" if it should), and the member's answer.

    A calendar message is checked with the meeting locked, and if the meeting changed since
    it was planned it takes the member's next SEQUENCE then, so whatever is planned after
    it carries a higher one.
    """
    with transaction.atomic():
        if delivery.kind in ALL_CALENDAR_KINDS:
            delivery.meeting = lock_meeting(delivery.meeting)
        answer = Rsvp.objects.filter(meeting_id=delivery.meeting_id, user=delivery.user).first()
        reason = skip_reason(delivery, now=now, answer=answer)
        renumber = (
            not reason
            and delivery.kind in ALL_CALENDAR_KINDS
            and delivery.sequence < delivery.meeting.sequence
        )
        if renumber:
            delivery.sequence = next_sequence(meeting=delivery.meeting, user=delivery.user)
            Delivery.objects.filter(pk=delivery.pk).update(sequence=delivery.sequence)
    return reason, answer


def calendar_messages_on_their_way(*, meeting: object, user: object) -> QuerySet[Delivery]:
    """Invitations, updates and seats for this member and meeting, planned and not sent yet
    (`meeting` and `user`: ids, or `OuterRef`s in a subquery)."""
    return Delivery.objects.filter(
        meeting=meeting,
        user=user,
        kind__in=CALENDAR_KINDS,
        state__in=[State.PENDING, State.SENDING],
    )


def _hold(delivery: Delivery, *, now: datetime) -> None:
    """Back to pending, the attempt given back: the first sweep after the invitation has
    gone enqueues it again."""
    Delivery.objects.filter(pk=delivery.pk, state=State.SENDING).update(
        state=State.PENDING,
        attempts=F("attempts") - 1,
        enqueued_at=None,
        last_error=WAITING_FOR_INVITATION,
        updated_at=now,
    )


def _after_failure(delivery: Delivery, error: Exception, *, now: datetime) -> str:
    failure = smtp.classify(error)
    if failure is not None and failure.blame == smtp.Blame.SERVER:
        status = outage.record_failure(reason=failure.description, now=now)
        outage.put_back(delivery, reason=failure.description, now=now)
        logger.error(
            "The mail server refused us (%s); sending paused until %s",
            failure.description,
            status.paused_until,
        )
        return PAUSED
    if failure is not None and failure.blame == smtp.Blame.RECIPIENT:
        logger.error("Delivery %s failed: %s", delivery.pk, failure.description)
        _finish(delivery, state=State.FAILED, error=failure.description)
        return State.FAILED
    if failure is None:
        description = f"Could not build or send the message: {type(error).__name__}: {error}"
    else:
        description = failure.description
    if delivery.attempts < MAX_ATTEMPTS:
        retry_in = backoff(delivery.attempts)
        Delivery.objects.filter(pk=delivery.pk, state=State.SENDING).update(
            state=State.PENDING,
            due_at=now + retry_in,
            enqueued_at=now,
            last_error=description,
            updated_at=now,
        )
        if failure is None and delivery.attempts == 1:
            # Not a mail error: most likely a bug. Its traceback is logged this once.
            logger.exception("Delivery %s: %s; retry in %s", delivery.pk, description, retry_in)
        else:
            logger.warning(
                "Delivery %s failed for now (%s); retry in %s", delivery.pk, description, retry_in
            )
        raise TransientFailure(description, retry_in) from error
    description = f"Gave up after {delivery.attempts} attempts: {description}"
    logger.error("Delivery %s failed: %s", delivery.pk, description)
    _finish(delivery, state=State.FAILED, error=description)
    return State.FAILED


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def _finish(
    delivery: Delivery,
    *,
    state: str,
    error: str = "",
    snapshot: dict[str, object] | None = None,
    now: datetime | None = None,
) -> None:
    fields: dict[str, object] = {"state": state, "last_error": error, "updated_at": timezone.now()}
    if state == State.SENT:
        fields["sent_at"] = now or timezone.now()
    if snapshot is not None:
        fields["snapshot"] = snapshot
        fields["meeting_sequence"] = snapshot["meeting_sequence"]
    Delivery.objects.filter(pk=delivery.pk).update(**fields)


# --- does the message still stand? ----------------------------------------------------------


def skip_reason(delivery: Delivery, *, now: datetime, answer: Rsvp | None) -> str:
    """Why this message should no longer go out, or "" if it should (for a reminder that
    must wait for the member's invitation: WAITING_FOR_INVITATION)."""
    reason = _stale_reason(delivery, now=now, answer=answer)
    if reason or delivery.kind not in ALL_CALENDAR_KINDS:
        return reason
    newer = Delivery.objects.filter(
        meeting_id=delivery.meeting_id,
        user_id=delivery.user_id,
        kind__in=ALL_CALENDAR_KINDS,
        sequence__gt=delivery.sequence,
    ).exclude(state__in=[State.SKIPPED, State.FAILED])
    if newer.exists():
        return "A newer message about this meeting replaces this one."
    if delivery.kind == Kind.INVITE and _holds_it_already(delivery, answer=answer):
        # Yes, no, yes again within the settle delay: the cancellation was withdrawn, and
        # the calendar still holds the first invitation.
        return "The member's calendar already holds this meeting with this answer."
    return ""


def _holds_it_already(delivery: Delivery, *, answer: Rsvp | None) -> bool:
    last_sent = (
        Delivery.objects.filter(
            meeting_id=delivery.meeting_id,
            user_id=delivery.user_id,
            kind__in=ALL_CALENDAR_KINDS,
            state=State.SENT,
            sequence__lt=delivery.sequence,
        )
        .order_by("-sequence")
        .first()
    )
    return (
        last_sent is not None
        and last_sent.kind != Kind.CANCELLATION
        and last_sent.meeting_sequence == delivery.meeting.sequence
        and answer is not None
        and last_sent.snapshot.get("response") == answer.response
    )


def _stale_reason(delivery: Delivery, *, now: datetime, answer: Rsvp | None) -> str:
    meeting, user = delivery.meeting, delivery.user
    if not user.is_active or not user.email_enabled:
        return "The member turned e-mail off."
    if delivery.kind == Kind.CANCELLATION:
        sent_before = Delivery.objects.filter(
            meeting=meeting, user=user, kind__in=CALENDAR_KINDS, state=State.SENT
        ).exists()
        if not sent_before:
            return "The member was never sent an invitation to cancel."
        return ""
    if meeting.is_cancelled:
        return "The meeting was cancelled."
    if meeting.starts_at <= now:
        return "The meeting started before this could be sent."
    if answer is not None and answer.response == Rsvp.Response.NO:
        return "The member answered no."
    if answer is not None and answer.is_waitlisted:
        return "The member is on the waitlist; they hear from us when a seat frees up."
    if delivery.kind in REMINDER_OFFSETS:
        return _reminder_reason(delivery, now=now, answer=answer)
    if delivery.kind == Kind.PROMOTION and (answer is None or not answer.holds_seat):
        return "The member no longer holds a seat."
    return ""


def _reminder_reason(delivery: Delivery, *, now: datetime, answer: Rsvp | None) -> str:
    meeting, user = delivery.meeting, delivery.user
    if meeting.sequence != delivery.meeting_sequence:
        return "The meeting changed after this reminder was planned; a new one is planned."
    preference = REMINDER_PREFERENCES[delivery.kind]
    if not user.reminders_enabled or not getattr(user, preference):
        return "The member turned this reminder off."
    if answer is None and not _follows(delivery):
        return "The member no longer follows this series."
    offset = REMINDER_OFFSETS[delivery.kind]
    # One query: the member's invitations and updates still on their way, or just sent.
    invitations = set(
        Delivery.objects.filter(meeting=meeting, user=user, kind__in=CALENDAR_KINDS)
        .filter(
            Q(state__in=[State.PENDING, State.SENDING])
            | Q(state=State.SENT, sent_at__gte=delivery.due_at - REMINDER_AFTER_INVITE)
        )
        .values_list("state", flat=True)
    )
    if State.SENT in invitations:
        return (
            "The member was sent this meeting's invitation or an update minutes before; "
            "a reminder would repeat it."
        )
    if meeting.starts_at - now < offset / 2:
        # After an outage, a day-before reminder minutes before the meeting only confuses;
        # the hour-before one still goes.
        return (
            f"Too late to be useful: the meeting starts in {_minutes(meeting.starts_at - now)}, "
            f"less than half of the {_minutes(offset)} this reminder gives."
        )
    if invitations:
        return WAITING_FOR_INVITATION
    return ""


def _follows(delivery: Delivery) -> bool:
    series_id = delivery.meeting.series_id
    return (
        bool(series_id) and Follow.objects.filter(user=delivery.user, series_id=series_id).exists()
    )


def _minutes(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
