import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="meetings.materialize_all_series")
def materialize_all_series() -> None:
    for slug, result in services.materialize_all_series().items():
        logger.info("Materialized %s: %s", slug, result)
