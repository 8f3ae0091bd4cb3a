"""Messages to members about meetings: plan them as rows, claim one, deliver it.

The database is the schedule (design.md, reliability invariants):

- **plan**: `plan_deliveries()` compares what members should have been told with what they
  were told and inserts the missing `Delivery` rows (unique per meeting, member, kind and
  sequence, so planning twice plans nothing new). Answers plan their own message at once.
- **sweep**: `sweep()` plans, then hands every due row to the queue; the beat runs it every
  minute and `manage.py send_due_reminders` runs it by hand. No message waits in Redis.
- **claim**: a worker flips a row from pending to sending with one conditional UPDATE; only
  the worker that changed the row sends, so a duplicate task is a no-op. A claim left by a
  killed worker is taken again after CLAIM_TIMEOUT and re-sent with the same Message-ID.
- **deliver**: render in the member's zone and send. Transient SMTP failures (4xx replies,
  disconnects, timeouts) go back to pending with capped exponential backoff; permanent ones
  (5xx) are recorded with the reason and never retried.
"""

import logging
import smtplib
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from meetings.models import Meeting

from . import mailer, messages
from .models import CALENDAR_KINDS, REMINDER_PREFERENCES, Delivery, Follow, Rsvp, User

logger = logging.getLogger(__name__)

Kind = Delivery.Kind
State = Delivery.State

CLAIM_TIMEOUT = timedelta(minutes=10)
REENQUEUE_AFTER = timedelta(minutes=5)
FOLLOW_INVITE_WINDOW = timedelta(days=30)
REMINDER_LOOKAHEAD = timedelta(minutes=1)
REMINDER_OFFSETS = {Kind.REMINDER_DAY: timedelta(days=1), Kind.REMINDER_HOUR: timedelta(hours=1)}
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(minutes=30)
MAX_ATTEMPTS = 8
SWEEP_BATCH = 5000
ALL_CALENDAR_KINDS = (*CALENDAR_KINDS, Kind.CANCELLATION)


class TransientFailure(Exception):
    """Sending failed in a way that may pass; try again after `retry_in`."""

    def __init__(self, reason: str, retry_in: timedelta) -> None:
        super().__init__(reason)
        self.retry_in = retry_in


@dataclass(frozen=True)
class SweepResult:
    planned: int
    due: list[int]


# --- planning --------------------------------------------------------------------------


def next_sequence(*, meeting: Meeting, user: User) -> int:
    """The SEQUENCE of the member's next calendar message: above all they were sent."""
    sent = (
        Delivery.objects.filter(meeting=meeting, user=user, kind__in=ALL_CALENDAR_KINDS)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    return meeting.sequence if sent is None else max(meeting.sequence, sent + 1)


def _plan(
    *, meeting: Meeting, user: User, kind: str, due_at: datetime, **fields: object
) -> Delivery | None:
    delivery = _new_delivery(meeting=meeting, user=user, kind=kind, due_at=due_at, **fields)
    delivery.sequence = next_sequence(meeting=meeting, user=user)
    try:
        with transaction.atomic():
            delivery.save()
            return delivery
    except IntegrityError:
        return None  # planned already, by an earlier sweep or a concurrent one


def _new_delivery(
    *, meeting: Meeting, user: User, kind: str, due_at: datetime, **fields: object
) -> Delivery:
    """An unsaved row telling `user` about `meeting` as it is now."""
    return Delivery(
        meeting=meeting,
        user=user,
        kind=kind,
        sequence=meeting.sequence,
        meeting_sequence=meeting.sequence,
        snapshot=messages.snapshot_of(meeting),
        due_at=due_at,
        **fields,
    )


def plan_answer(*, rsvp: Rsvp, now: datetime | None = None) -> Delivery | None:
    """The message an answer calls for: an invite for yes or maybe, a cancellation for no
    when the member had been invited. Called inside the answer's transaction."""
    now = now or timezone.now()
    meeting, user = rsvp.meeting, rsvp.user
    if not user.email_enabled:
        return None
    last = last_calendar_delivery(meeting=meeting, user=user)
    if rsvp.response == Rsvp.Response.NO:
        if last is None or last.kind == Kind.CANCELLATION:
            return None
        return _plan(meeting=meeting, user=user, kind=Kind.CANCELLATION, due_at=now)
    if rsvp.is_waitlisted:
        return None
    return _plan(meeting=meeting, user=user, kind=Kind.INVITE, due_at=now)


def plan_promotion(*, rsvp: Rsvp, now: datetime | None = None) -> Delivery | None:
    if not rsvp.user.email_enabled:
        return None
    return _plan(
        meeting=rsvp.meeting, user=rsvp.user, kind=Kind.PROMOTION, due_at=now or timezone.now()
    )


def plan_unfollow(*, user: User, series_id: int, now: datetime | None = None) -> list[Delivery]:
    """Take a series' coming meetings out of the calendar of a member who stopped following
    it, unless they answered yes or maybe to them."""
    now = now or timezone.now()
    answered = set(
        Rsvp.objects.filter(
            user=user, meeting__series_id=series_id, response__in=["yes", "maybe"]
        ).values_list("meeting_id", flat=True)
    )
    planned = []
    for meeting in Meeting.objects.filter(series_id=series_id, starts_at__gt=now).exclude(
        pk__in=answered
    ):
        last = last_calendar_delivery(meeting=meeting, user=user)
        if last is not None and last.kind != Kind.CANCELLATION:
            planned.append(_plan(meeting=meeting, user=user, kind=Kind.CANCELLATION, due_at=now))
    return [delivery for delivery in planned if delivery]


def last_calendar_delivery(*, meeting: Meeting, user: User) -> Delivery | None:
    """The newest invite, update, promotion or cancellation that was or will be sent."""
    return (
        Delivery.objects.filter(meeting=meeting, user=user, kind__in=ALL_CALENDAR_KINDS)
        .exclude(state__in=[State.SKIPPED, State.FAILED])
        .order_by("-sequence", "-pk")
        .first()
    )


def plan_deliveries(*, now: datetime | None = None) -> int:
    """Insert every message that is now called for and not yet planned. Idempotent."""
    now = now or timezone.now()
    return (
        _plan_changes(now)
        + _plan_follow_invites(now)
        + _plan_extra_invites(now)
        + sum(_plan_reminders(now, kind, offset) for kind, offset in REMINDER_OFFSETS.items())
    )


def _plan_changes(now: datetime) -> int:
    """Updates and cancellations for meetings changed since members were last told."""
    told = (
        Delivery.objects.filter(
            kind__in=ALL_CALENDAR_KINDS,
            state=State.SENT,
            meeting__ends_at__gt=now,
            meeting__sequence__gt=F("meeting_sequence"),
        )
        .select_related("meeting", "meeting__series", "user")
        .order_by("meeting_id", "user_id", "-sequence")
    )
    planned = 0
    seen: set[tuple[int, int]] = set()
    for delivery in told:
        pair = (delivery.meeting_id, delivery.user_id)
        if pair in seen:
            continue
        seen.add(pair)
        latest = last_calendar_delivery(meeting=delivery.meeting, user=delivery.user)
        if latest is None or latest.pk != delivery.pk or latest.kind == Kind.CANCELLATION:
            continue  # a newer message is on its way, or they were already told it is off
        meeting, user = delivery.meeting, delivery.user
        if meeting.is_cancelled:
            kind = Kind.CANCELLATION
        elif _still_wanted(meeting=meeting, user=user):
            kind = Kind.UPDATE
        else:
            continue
        if _plan(meeting=meeting, user=user, kind=kind, due_at=now, previous=delivery.snapshot):
            planned += 1
    return planned


def _still_wanted(*, meeting: Meeting, user: User) -> bool:
    answer = Rsvp.objects.filter(meeting=meeting, user=user).values_list("response", flat=True)
    response = answer.first()
    if response is not None:
        return response != Rsvp.Response.NO
    return _follows(meeting=meeting, user=user)


def _follows(*, meeting: Meeting, user: User) -> bool:
    return (
        bool(meeting.series_id)
        and Follow.objects.filter(user=user, series_id=meeting.series_id).exists()
    )


def _plan_follow_invites(now: datetime) -> int:
    meetings = Meeting.objects.filter(
        status=Meeting.Status.SCHEDULED,
        is_extra=False,
        starts_at__gt=now,
        starts_at__lte=now + FOLLOW_INVITE_WINDOW,
        series__follows__isnull=False,
    ).distinct()
    planned = 0
    for meeting in meetings:
        followers = User.objects.filter(
            follows__series_id=meeting.series_id, is_active=True, email_enabled=True
        )
        planned += _invite_all(meeting, followers, now)
    return planned


def _plan_extra_invites(now: datetime) -> int:
    planned = 0
    for meeting in Meeting.objects.filter(
        status=Meeting.Status.SCHEDULED, is_extra=True, starts_at__gt=now
    ):
        audience = Q(notify_extra_meetings=True)
        if meeting.series_id:
            audience |= Q(follows__series_id=meeting.series_id)
        recipients = User.objects.filter(audience, is_active=True, email_enabled=True).distinct()
        planned += _invite_all(meeting, recipients, now)
    return planned


def _invite_all(meeting: Meeting, recipients: Iterable[User], now: datetime) -> int:
    """Invite each recipient who has had no calendar message and did not answer no."""
    told = set(
        Delivery.objects.filter(meeting=meeting, kind__in=ALL_CALENDAR_KINDS).values_list(
            "user_id", flat=True
        )
    )
    declined = set(
        Rsvp.objects.filter(meeting=meeting, response=Rsvp.Response.NO).values_list(
            "user_id", flat=True
        )
    )
    new = [
        _new_delivery(meeting=meeting, user=user, kind=Kind.INVITE, due_at=now)
        for user in recipients
        if user.pk not in told and user.pk not in declined
    ]
    return _insert_new(new)


def _plan_reminders(now: datetime, kind: str, offset: timedelta) -> int:
    """Reminders falling due by the next sweep, for members who had a reason before then:
    a yes or maybe, or (unless they opted out) following the series, but never a no."""
    preference = REMINDER_PREFERENCES[kind]
    meetings = Meeting.objects.filter(
        status=Meeting.Status.SCHEDULED,
        starts_at__gt=now,
        starts_at__lte=now + offset + REMINDER_LOOKAHEAD,
    )
    planned = 0
    for meeting in meetings:
        due_at = meeting.starts_at - offset
        wanting = Q(
            is_active=True, email_enabled=True, reminders_enabled=True, **{preference: True}
        )
        answered = Q(
            rsvps__meeting=meeting,
            rsvps__response__in=["yes", "maybe"],
            rsvps__waitlisted_at__isnull=True,
            rsvps__updated_at__lte=due_at,
        )
        reasons = answered
        if meeting.series_id:
            reasons |= Q(
                follows__series_id=meeting.series_id,
                follows__created_at__lte=due_at,
                remind_followed_series=True,
            )
        candidates = User.objects.filter(wanting & reasons).exclude(
            rsvps__meeting=meeting, rsvps__response="no"
        )
        new = [
            _new_delivery(meeting=meeting, user=user, kind=kind, due_at=due_at)
            for user in candidates.distinct()
        ]
        planned += _insert_new(new)
    return planned


def _insert_new(deliveries: list[Delivery]) -> int:
    """Insert the rows not planned yet; how many were new."""
    if not deliveries:
        return 0
    meeting_ids = {delivery.meeting_id for delivery in deliveries}
    before = Delivery.objects.filter(meeting_id__in=meeting_ids).count()
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    return Delivery.objects.filter(meeting_id__in=meeting_ids).count() - before


# --- the sweep -------------------------------------------------------------------------


def sweep(
    *,
    now: datetime | None = None,
    enqueue: Callable[[list[int]], None] | None = None,
    dry_run: bool = False,
) -> SweepResult:
    """Plan what is called for, then enqueue every row that is due (after commit)."""
    now = now or timezone.now()
    if dry_run:
        with transaction.atomic():
            planned = plan_deliveries(now=now)
            due = list(_due(now).values_list("pk", flat=True)[:SWEEP_BATCH])
            transaction.set_rollback(True)
        return SweepResult(planned=planned, due=due)
    planned = plan_deliveries(now=now)
    with transaction.atomic():
        due = list(_due(now).values_list("pk", flat=True)[:SWEEP_BATCH])
        Delivery.objects.filter(pk__in=due).update(enqueued_at=now)
        if enqueue is not None and due:
            transaction.on_commit(lambda: enqueue(due))
    return SweepResult(planned=planned, due=due)


def _due(now: datetime):
    waiting = Q(state=State.PENDING, due_at__lte=now) & (
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=now - REENQUEUE_AFTER)
    )
    abandoned = Q(state=State.SENDING, claimed_at__lte=now - CLAIM_TIMEOUT)
    return Delivery.objects.filter(waiting | abandoned).order_by("due_at", "pk")


def resend(*, delivery_ids: list[int], now: datetime | None = None) -> list[int]:
    """Put failed or skipped messages back in line, due now; the ids that were."""
    now = now or timezone.now()
    again = list(
        Delivery.objects.filter(
            pk__in=delivery_ids, state__in=[State.FAILED, State.SKIPPED]
        ).values_list("pk", flat=True)
    )
    Delivery.objects.filter(pk__in=again).update(
        state=State.PENDING, due_at=now, attempts=0, last_error="", enqueued_at=now, updated_at=now
    )
    return again


# --- claim and deliver -----------------------------------------------------------------


def claim(delivery_id: int, *, now: datetime | None = None) -> Delivery | None:
    """Take the row for sending; None if another worker has it or it is done."""
    now = now or timezone.now()
    claimable = Q(state=State.PENDING, due_at__lte=now) | Q(
        state=State.SENDING, claimed_at__lte=now - CLAIM_TIMEOUT
    )
    won = Delivery.objects.filter(claimable, pk=delivery_id).update(
        state=State.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
    )
    if won != 1:
        return None
    return Delivery.objects.select_related("meeting", "meeting__series", "user").get(pk=delivery_id)


def deliver(delivery_id: int, *, now: datetime | None = None) -> str:
    """Claim, check, render and send one message. Returns the row's final state.

    Raises TransientFailure when sending should be tried again later.
    """
    now = now or timezone.now()
    delivery = claim(delivery_id, now=now)
    if delivery is None:
        return "not claimed"
    answer = Rsvp.objects.filter(meeting_id=delivery.meeting_id, user_id=delivery.user_id).first()
    reason = skip_reason(delivery, now=now, answer=answer)
    if reason:
        _finish(delivery, state=State.SKIPPED, error=reason)
        return State.SKIPPED
    message, sent_snapshot = messages.build_message(delivery, now=now, answer=answer)
    try:
        mailer.send(message)
    except Exception as error:
        transient, description = classify_failure(error)
        if transient and delivery.attempts < MAX_ATTEMPTS:
            retry_in = backoff(delivery.attempts)
            Delivery.objects.filter(pk=delivery.pk, state=State.SENDING).update(
                state=State.PENDING,
                due_at=now + retry_in,
                enqueued_at=now,
                last_error=description,
                updated_at=now,
            )
            logger.warning(
                "Delivery %s failed for now (%s); retry in %s", delivery.pk, description, retry_in
            )
            raise TransientFailure(description, retry_in) from error
        if transient:
            description = f"Gave up after {delivery.attempts} attempts: {description}"
        logger.error("Delivery %s failed: %s", delivery.pk, description)
        _finish(delivery, state=State.FAILED, error=description)
        return State.FAILED
    _finish(delivery, state=State.SENT, snapshot=sent_snapshot, now=now)
    return State.SENT


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def classify_failure(error: Exception) -> tuple[bool, str]:
    """(transient?, description) for an exception raised while sending."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        details = "; ".join(
            f"{address}: {code} {_text(message)}"
            for address, (code, message) in error.recipients.items()
        )
        return any(400 <= code < 500 for code in codes), f"Recipient refused: {details}"
    if isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
        return 400 <= code < 500 or code < 200, f"SMTP {code}: {_text(error.smtp_error)}"
    if isinstance(
        error, smtplib.SMTPServerDisconnected | socket.timeout | ConnectionError | OSError
    ):
        return True, f"{type(error).__name__}: {error}"
    return False, f"{type(error).__name__}: {error}"


def _text(message: bytes | str) -> str:
    return message.decode(errors="replace") if isinstance(message, bytes) else str(message)


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
    if snapshot is not None and snapshot["sequence"] > delivery.sequence:
        # The message carried a newer SEQUENCE than planned (the meeting changed in
        # between); record it so the next message goes higher still.
        try:
            Delivery.objects.filter(pk=delivery.pk).update(sequence=snapshot["sequence"])
        except IntegrityError:
            logger.info("Delivery %s keeps its planned sequence", delivery.pk)


def skip_reason(delivery: Delivery, *, now: datetime, answer: Rsvp | None) -> str:
    """Why this message should no longer go out, or "" if it should."""
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
        # Answering yes, then maybe a moment later, sends one invitation, not two.
        return "A newer message about this meeting replaces this one."
    return ""


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
        if meeting.sequence != delivery.meeting_sequence:
            return "The meeting changed after this reminder was planned; a new one is planned."
        preference = REMINDER_PREFERENCES[delivery.kind]
        if not user.reminders_enabled or not getattr(user, preference):
            return "The member turned this reminder off."
        if answer is None and not _follows(meeting=meeting, user=user):
            return "The member no longer follows this series."
    if delivery.kind == Kind.PROMOTION and (answer is None or not answer.holds_seat):
        return "The member no longer holds a seat."
    return ""
