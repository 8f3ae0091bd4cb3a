"""Queue: hand delivery ids to the Celery workers, after the transaction commits.

Publishing goes through `copf.lib.broker` by task name, so nothing here imports the task
module. A publish that fails leaves the rows pending in the database; the next sweep
enqueues them again (design.md, reliability invariants 1 and 3).
"""

from collections.abc import Iterable

from django.db import transaction

from copf.lib import broker

SEND_TASK = "members.send_delivery"


def enqueue(delivery_ids: Iterable[int]) -> None:
    """Publish now; on a broker error the rows wait for the sweep."""
    broker.try_publish(SEND_TASK, [[delivery_id] for delivery_id in delivery_ids])


def enqueue_on_commit(delivery_ids: Iterable[int | None]) -> None:
    ids = [delivery_id for delivery_id in delivery_ids if delivery_id]
    if ids:
        transaction.on_commit(lambda: enqueue(ids))
