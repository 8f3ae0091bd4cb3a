import logging

from celery import shared_task

from . import dispatch, reminders, services

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="members.send_delivery", max_retries=reminders.MAX_ATTEMPTS)
def send_delivery(self, delivery_id: int) -> str:
    try:
        return reminders.deliver(delivery_id)
    except reminders.TransientFailure as failure:
        # The row is back to pending with its due time; this retry (a short ETA) just
        # saves waiting for the sweep.
        raise self.retry(countdown=failure.retry_in.total_seconds()) from failure


@shared_task(name="members.send_due_reminders")
def send_due_reminders() -> int:
    services.promote_freed_seats()
    result = reminders.sweep(enqueue=dispatch.enqueue)
    logger.info("Sweep planned %s and enqueued %s deliveries", result.planned, len(result.due))
    return len(result.due)
