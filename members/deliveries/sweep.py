"""Sweep: the periodic job that keeps the mail schedule moving.

Every minute (Celery beat, or `manage.py send_due_reminders` by hand) `send_due()` gives
freed seats to waiting members, plans what is called for, gives up on rows whose attempts
are spent, and hands every due row to the workers. No message waits in Redis: a row that
was not queued, or whose task was lost, is simply due again at the next sweep.

A reminder is held while the member's invitation to the same meeting is still on its way
(settling after their answer, or retried): it goes at the first sweep after the invitation
has gone, or not at all when it would only repeat it (`send.skip_reason`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .. import services
from ..models import REMINDER_PREFERENCES, Delivery
from . import outage, queue
from .plan import plan_deliveries
from .send import CLAIM_TIMEOUT, MAX_ATTEMPTS, calendar_messages_on_their_way

State = Delivery.State

REENQUEUE_AFTER = timedelta(minutes=5)
SWEEP_BATCH = 5000


@dataclass(frozen=True)
class SweepResult:
    planned: int
    due: list[int]
    abandoned: int = 0


def send_due(*, now: datetime | None = None, dry_run: bool = False) -> SweepResult:
    """The periodic job: promote waiting members to freed seats, then sweep."""
    if not dry_run:
        services.promote_freed_seats(now=now)
    return sweep(now=now, enqueue=queue.enqueue, dry_run=dry_run)


def sweep(
    *,
    now: datetime | None = None,
    enqueue: Callable[[list[int]], None] | None = None,
    dry_run: bool = False,
) -> SweepResult:
    """Plan what is called for, then enqueue every row that is due (after commit).

    While the mail server refuses us, rows are planned but not enqueued.
    """
    now = now or timezone.now()
    if dry_run:
        with transaction.atomic():
            planned = plan_deliveries(now=now)
            due = list(_due(now).values_list("pk", flat=True)[:SWEEP_BATCH])
            transaction.set_rollback(True)
        return SweepResult(planned=planned, due=due)
    planned = plan_deliveries(now=now)
    abandoned = give_up_abandoned(now=now)
    if outage.paused(now=now):
        return SweepResult(planned=planned, due=[], abandoned=abandoned)
    with transaction.atomic():
        due = list(_due(now).values_list("pk", flat=True)[:SWEEP_BATCH])
        if due:
            Delivery.objects.filter(pk__in=due).update(enqueued_at=now)
            if enqueue is not None:
                transaction.on_commit(lambda: enqueue(due))
    return SweepResult(planned=planned, due=due, abandoned=abandoned)


def _due(now: datetime):
    waiting = Q(state=State.PENDING, due_at__lte=now) & (
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=now - REENQUEUE_AFTER)
    )
    abandoned = Q(state=State.SENDING, claimed_at__lte=now - CLAIM_TIMEOUT)
    invitation_on_its_way = calendar_messages_on_their_way(
        meeting=OuterRef("meeting"), user=OuterRef("user")
    )
    return (
        Delivery.objects.filter(waiting | abandoned)
        .filter(attempts__lt=MAX_ATTEMPTS)
        .exclude(Q(kind__in=list(REMINDER_PREFERENCES)) & Exists(invitation_on_its_way))
        .order_by("due_at", "pk")
    )


def give_up_abandoned(*, now: datetime | None = None) -> int:
    """Fail the rows whose every attempt was claimed and never finished (a worker killed
    each time, or building the message hangs), with the reason."""
    now = now or timezone.now()
    return Delivery.objects.filter(
        state=State.SENDING, claimed_at__lte=now - CLAIM_TIMEOUT, attempts__gte=MAX_ATTEMPTS
    ).update(
        state=State.FAILED,
        last_error=(
            f"Gave up after {MAX_ATTEMPTS} attempts: the last one never finished "
            "(its worker stopped, or building the message hung)."
        ),
        updated_at=now,
    )


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
