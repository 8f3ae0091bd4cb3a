"""`/healthz`: can this web process serve, and is the rest of the system alive?

Anyone may ask, since the load balancer does; the answer costs one database query (the
cache probe, which proves the database too) and says nothing a stranger could use: the
state of the database, the cache, the broker and the workers. A monitor that holds
`HEALTHZ_TOKEN`, or a signed-in staff member, also gets the number of workers and the
mail server's state with its reason.

Pinging Redis and the Celery workers waits up to a second, so it is never done per
request: each process keeps the last result for `PROBE_TTL` seconds and refreshes it in
the background, answering with the previous result meanwhile.
"""

import hmac
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

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
PROBE_TTL = 10.0
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


def storage_state() -> tuple[str, str]:
    """(database, cache): one query while both work, more only to say which one failed.

    The cache holds the log-in and sign-up limits in the database; a cache table that was
    never created is named, since that is what a forgotten `migrate` looks like.
    """
    default = caches[DEFAULT_CACHE_ALIAS]
    try:
        default.get(CACHE_PROBE_KEY)
    except Exception:
        if database_state() != "ok":
            return "error", "unknown"
        missing = _missing_cache_table(default)
        if missing:
            return "ok", f"missing table {missing} (run migrate)"
        logger.exception("Health check: the cache did not answer")
        return "ok", "error"
    if not isinstance(default, BaseDatabaseCache):
        return database_state(), "ok"
    return "ok", "ok"


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


@dataclass(frozen=True)
class Background:
    """What the last probe of the broker and the workers found."""

    broker: str
    workers: int


def probe_background() -> Background:
    broker = broker_state()
    return Background(broker=broker, workers=worker_count() if broker == "ok" else 0)


class CachedProbe:
    """A slow probe run at most once per `ttl` seconds per process, off the request path.

    The first read waits for a result (one thread probes, the others wait for it); later
    reads get the last result at once and, when it is older than `ttl`, start one
    background refresh.
    """

    def __init__(
        self,
        probe: Callable[[], Background],
        *,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.probe = probe
        self.ttl = ttl
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        self._lock = threading.Lock()
        self._first = threading.Lock()
        self._result: Background | None = None
        self._taken_at = 0.0
        self._refreshing = False
        self._pid = os.getpid()

    def read(self) -> Background:
        if self._pid != os.getpid():
            # A forked web process inherits the parent's result and flags but not its thread.
            self.reset()
        result = self._result
        if result is None:
            with self._first:
                result = self._result
                if result is None:
                    result = self.probe()
                    self._store(result)
        with self._lock:
            stale = self.clock() - self._taken_at >= self.ttl
            if stale and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh, name="healthz-probe", daemon=True).start()
        return result

    def _refresh(self) -> None:
        try:
            result = self.probe()
        except Exception:
            logger.exception("Health check: the background probe failed")
            result = Background(broker="unknown", workers=0)
        self._store(result)

    def _store(self, result: Background) -> None:
        with self._lock:
            self._result, self._taken_at, self._refreshing = result, self.clock(), False


background = CachedProbe(probe_background, ttl=PROBE_TTL)


def may_see_details(request: HttpRequest) -> bool:
    token = settings.HEALTHZ_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


def mail_state() -> dict[str, object]:
    try:
        return outage.health()
    except Exception:
        logger.exception("Health check: could not read the mail server status")
        return {"state": "error"}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    database, cache = storage_state()
    healthy = database == "ok" and cache == "ok"
    system = background.read()
    workers: dict[str, object] = {"state": "ok" if system.workers else "none"}
    body: dict[str, object] = {
        "status": "ok" if healthy else "error",
        "database": database,
        "cache": cache,
        "broker": system.broker,
        "workers": workers,
    }
    if may_see_details(request):
        workers["count"] = system.workers
        # Mail failing is reported, not a 503: pages still work and messages wait.
        body["mail"] = mail_state() if database == "ok" else {"state": "unknown"}
    return JsonResponse(body, status=200 if healthy else 503)
