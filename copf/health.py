"""`/healthz`: is the database answering, is the broker reachable, are workers alive."""

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

PROBE_TIMEOUT = 0.5


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("Health check: the database did not answer")
        return "error"
    return "ok"


def broker_state() -> str:
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=PROBE_TIMEOUT, socket_connect_timeout=PROBE_TIMEOUT
    )
    try:
        client.ping()
    except redis.RedisError:
        return "unreachable"
    finally:
        client.close()
    return "ok"


def worker_count() -> int:
    from copf.celery import app

    try:
        replies = app.control.ping(timeout=PROBE_TIMEOUT)
    except Exception:
        logger.warning("Health check: could not ping Celery workers", exc_info=True)
        return 0
    return len(replies or [])


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    database = database_state()
    broker = broker_state()
    workers = worker_count() if broker == "ok" else 0
    body = {
        "status": "ok" if database == "ok" else "error",
        "database": database,
        "broker": broker,
        "workers": {"state": "ok" if workers else "none", "count": workers},
    }
    return JsonResponse(body, status=200 if database == "ok" else 503)
