"""When the mail server itself refuses us, pause sending instead of failing messages.

A refused log-in, a refused connection or a refused sender is the server's fault or our
settings', and every message would fail alike. Sending pauses (for longer each time, up to
a cap), the messages stay pending without losing an attempt, and `/healthz` and the admin
say that mail is failing and why. The first message that goes through ends the outage.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..models import Delivery, MailServerStatus

PAUSE_BASE = timedelta(seconds=30)
PAUSE_CAP = timedelta(minutes=15)
STATUS_ID = 1


def current_status() -> MailServerStatus:
    """The mail server's state as last seen by a worker (one query)."""
    status = MailServerStatus.objects.filter(pk=STATUS_ID).first()
    return status or MailServerStatus(pk=STATUS_ID)


def paused(*, now: datetime | None = None) -> bool:
    return current_status().is_paused(now or timezone.now())


def record_failure(*, reason: str, now: datetime | None = None) -> MailServerStatus:
    """Pause sending after a server-side failure; the pause doubles while it lasts."""
    now = now or timezone.now()
    with transaction.atomic():
        status, _ = MailServerStatus.objects.select_for_update().get_or_create(pk=STATUS_ID)
        status.failures += 1
        status.failing_since = status.failing_since or now
        status.paused_until = now + min(PAUSE_BASE * 2 ** (status.failures - 1), PAUSE_CAP)
        status.last_error = reason
        status.save()
    return status


def record_success() -> None:
    """A message went through: whatever was failing works again."""
    MailServerStatus.objects.filter(pk=STATUS_ID, failing_since__isnull=False).update(
        failing_since=None, paused_until=None, failures=0, updated_at=timezone.now()
    )


def put_back(delivery: Delivery, *, reason: str, now: datetime) -> None:
    """Return a claimed row to pending, giving back the attempt its claim counted."""
    Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.SENDING).update(
        state=Delivery.State.PENDING,
        attempts=F("attempts") - 1,
        enqueued_at=None,
        last_error=f"Waiting for the mail server: {reason}",
        updated_at=now,
    )


def health() -> dict[str, object]:
    """What `/healthz` says about mail."""
    status = current_status()
    if not status.is_failing:
        return {"state": "ok"}
    return {
        "state": "failing",
        "since": status.failing_since.isoformat(),
        "reason": status.last_error,
        "retry_at": status.paused_until.isoformat() if status.paused_until else None,
        "waiting": Delivery.objects.filter(state=Delivery.State.PENDING).count(),
    }
