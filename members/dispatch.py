"""Hand delivery ids to the Celery workers, without ever making the web wait on Redis.

A publish that fails (Redis down or frozen) is logged and forgotten: the rows stay pending
in the database and the next sweep enqueues them again. After a failure, publishing pauses
for a short while so a dead broker costs requests nothing.
"""

import logging
import time

from django.db import transaction

logger = logging.getLogger(__name__)

PAUSE_AFTER_FAILURE = 30.0
_paused_until = 0.0


def publish(delivery_ids: list[int]) -> None:
    from .tasks import send_delivery

    # One producer (one broker connection) for the whole batch, not one per task.
    with send_delivery.app.producer_or_acquire() as producer:
        for delivery_id in delivery_ids:
            send_delivery.apply_async(args=[delivery_id], retry=False, producer=producer)


def enqueue(delivery_ids: list[int]) -> None:
    """Publish now; on any broker error leave the rows to the sweep."""
    global _paused_until
    if not delivery_ids:
        return
    if time.monotonic() < _paused_until:
        logger.info("Broker paused after a failure; the sweep will send %s", delivery_ids)
        return
    try:
        publish(delivery_ids)
    except Exception:
        _paused_until = time.monotonic() + PAUSE_AFTER_FAILURE
        logger.warning(
            "Could not reach the broker; the sweep will send %s", delivery_ids, exc_info=True
        )


def enqueue_on_commit(delivery_ids: list[int]) -> None:
    ids = [delivery_id for delivery_id in delivery_ids if delivery_id]
    if ids:
        transaction.on_commit(lambda: enqueue(ids))
