"""`/healthz`: is the database answering, does the cache work, is the broker reachable, are
workers alive."""

import logging

import redis
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.db import connection, connections, router
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from members.deliveries import outage

logger = logging.getLogger(__name__)

PROBE_TIMEOUT = 0.5
CACHE_PROBE_KEY = "copf:healthz"


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("Health check: the database did not answer")
        return "error"
    return "ok"


def cache_state() -> str:
    """The default cache (rate limits of sign-up and log-in). A database cache whose table
    was never created is named, since that is what a forgotten `migrate` looks like."""
    default = caches[DEFAULT_CACHE_ALIAS]
    try:
        default.get(CACHE_PROBE_KEY)
    except Exception:
        missing = _missing_cache_table(default)
        if missing:
            return f"missing table {missing} (run migrate)"
        logger.exception("Health check: the cache did not answer")
        return "error"
    return "ok"


def _missing_cache_table(cache: object) -> str:
    """The database cache's table name if it does not exist; asked only after a failure,
    since listing the tables on every poll would cost more than the probe."""
    if not isinstance(cache, BaseDatabaseCache):
        return ""
    model = cache.cache_model_class
    table = model._meta.db_table
    tables = connections[router.db_for_read(model)].introspection.table_names()
    return "" if table in tables else table


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


def mail_state() -> dict[str, object]:
    try:
        return outage.health()
    except Exception:
        logger.exception("Health check: could not read the mail server status")
        return {"state": "error"}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    database = database_state()
    cache = cache_state() if database == "ok" else "unknown"
    broker = broker_state()
    workers = worker_count() if broker == "ok" else 0
    healthy = database == "ok" and cache == "ok"
    # Mail failing is reported, not a 503: pages still work and messages wait.
    mail = mail_state() if database == "ok" else {"state": "unknown"}
    body = {
        "status": "ok" if healthy else "error",
        "database": database,
        "cache": cache,
        "broker": broker,
        "workers": {"state": "ok" if workers else "none", "count": workers},
        "mail": mail,
    }
    return JsonResponse(body, status=200 if healthy else 503)
