import logging

from celery import shared_task

from .deliveries import send, sweep

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="members.send_delivery", max_retries=send.MAX_ATTEMPTS)
def send_delivery(self, delivery_id: int) -> str:
    try:
        return send.deliver(delivery_id)
    except send.TransientFailure as failure:
        # The row is back to pending with its due time; this retry (a short ETA) just
        # saves waiting for the sweep.
        raise self.retry(countdown=failure.retry_in.total_seconds()) from failure


@shared_task(bind=True, name="members.send_deliveries", max_retries=send.MAX_ATTEMPTS)
def send_deliveries(self, delivery_ids: list[int]) -> list[str]:
    """A chunk from the sweep: what became of each message, in the order given."""
    result = send.deliver_chunk(delivery_ids)
    if result.retries:
        # Those rows are back to pending with their due times; retrying the task with them
        # alone (a short ETA) just saves waiting for the sweep.
        raise self.retry(args=[list(result.retries)], countdown=result.retry_in.total_seconds())
    return list(result.outcomes.values())


@shared_task(name="members.send_due_reminders")
def send_due_reminders() -> int:
    result = sweep.send_due()
    logger.info(
        "Sweep planned %s, gave up on %s and enqueued %s deliveries",
        result.planned,
        result.abandoned,
        len(result.due),
    )
    return len(result.due)
