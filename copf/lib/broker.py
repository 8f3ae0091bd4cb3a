"""Publish Celery tasks by name, without ever making the web wait on a dead broker.

It knows no app and no task module: callers name the task (`"members.send_delivery"`), so
whoever enqueues never imports the code that runs it. A publish that fails (Redis down or
frozen) is logged and dropped: the caller keeps its work in the database, and a periodic
sweep publishes it again. After a failure, publishing pauses for a short while, so a dead
broker costs requests nothing.
"""

import logging
import time
from collections.abc import Sequence

from celery import current_app

logger = logging.getLogger(__name__)

PAUSE_AFTER_FAILURE = 30.0
_paused_until = 0.0


def publish(task_name: str, calls: Sequence[Sequence[object]]) -> None:
    """Send one task message per argument list, through one broker connection."""
    app = current_app._get_current_object()
    with app.producer_or_acquire() as producer:
        for args in calls:
            app.send_task(task_name, args=list(args), retry=False, producer=producer)


def try_publish(task_name: str, calls: Sequence[Sequence[object]]) -> bool:
    """Publish now; on any broker error log it and say so. True when published."""
    global _paused_until
    if not calls:
        return True
    if time.monotonic() < _paused_until:
        logger.info(
            "Broker paused after a failure; %s x%s left to the sweep", task_name, len(calls)
        )
        return False
    try:
        publish(task_name, calls)
    except Exception:
        _paused_until = time.monotonic() + PAUSE_AFTER_FAILURE
        logger.warning(
            "Could not reach the broker; %s x%s left to the sweep",
            task_name,
            len(calls),
            exc_info=True,
        )
        return False
    return True
