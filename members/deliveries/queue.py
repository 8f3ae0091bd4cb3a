"""Queue: hand delivery ids to the Celery workers in chunks, after the transaction commits.

A worker claims, loads and sends a chunk at once (`send.deliver_chunk`), over one SMTP
connection; a chunk is small enough that a killed worker leaves little to the claim timeout,
and that two workers share a sweep's rows evenly.

Publishing goes through `copf.lib.broker` by task name, so nothing here imports the task
module. A publish that fails leaves the rows pending in the database; the next sweep
enqueues them again (design.md, reliability invariants 1 and 3). So does a row that is not
due yet (an answer's invite, settling): no message waits in Redis as an ETA task.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from copf.lib import broker

from ..models import Delivery

# One delivery id (still accepted, and published by releases before chunks).
SEND_TASK = "members.send_delivery"
# A list of up to CHUNK_SIZE delivery ids.
SEND_CHUNK_TASK = "members.send_deliveries"
CHUNK_SIZE = 100


def enqueue(delivery_ids: Iterable[int]) -> None:
    """Publish now, CHUNK_SIZE ids a task; on a broker error the rows wait for the sweep."""
    broker.try_publish(SEND_CHUNK_TASK, [[chunk] for chunk in chunks(list(delivery_ids))])


def chunks(delivery_ids: list[int], size: int = CHUNK_SIZE) -> list[list[int]]:
    return [delivery_ids[start : start + size] for start in range(0, len(delivery_ids), size)]


def enqueue_on_commit(delivery_ids: Iterable[int | None]) -> None:
    """Publish the rows that are due once the transaction commits; the sweep takes the rest
    when they fall due."""
    ids = [delivery_id for delivery_id in delivery_ids if delivery_id]
    if ids:
        transaction.on_commit(lambda: _enqueue_due(ids))


def _enqueue_due(delivery_ids: list[int]) -> None:
    due = set(
        Delivery.objects.filter(pk__in=delivery_ids, due_at__lte=timezone.now()).values_list(
            "pk", flat=True
        )
    )
    enqueue([delivery_id for delivery_id in delivery_ids if delivery_id in due])
