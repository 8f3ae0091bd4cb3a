"""Serving calendars over HTTP: strong ETags, 304s and a per-process cache of the bytes.

Calendar apps poll feeds all day. A request first asks the database one cheap aggregate
question ("how many rows, changed when?"), at most once every `FRESH_SECONDS` per process
for a public feed; that answer names the ETag. A matching
If-None-Match or If-Modified-Since gets a 304 with no body; otherwise the rendered bytes
come from the cache under that ETag, and are built (with a constant number of queries)
only when something they show has changed.
"""

import hashlib
import threading
import time
from collections.abc import Callable
from datetime import datetime

from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from .models import schedule_changed

CACHE_SECONDS = 300
CONTENT_TYPE = "text/calendar; charset=utf-8"
# How long this process trusts what it last read of a feed's version without asking the
# database again: a change made in another process shows here within this long.
FRESH_SECONDS = 2.0


class Memo:
    """What this process last read, per key, trusted for `FRESH_SECONDS`.

    A change in this process empties it (`schedule_changed` is sent when the version is
    bumped and again once that commits), so the next request after the commit reads
    afresh. A read that raced a change is not kept: it may predate the commit.
    """

    def __init__(self, *, fresh_seconds: float) -> None:
        self.fresh_seconds = fresh_seconds
        self.values: dict[object, tuple[float, object]] = {}
        self.generation = 0
        self.lock = threading.Lock()

    def get(self, key: object, compute: Callable[[], object]) -> object:
        now = time.monotonic()
        known = self.values.get(key)
        if known is not None and now - known[0] < self.fresh_seconds:
            return known[1]
        generation = self.generation
        value = compute()
        with self.lock:
            if generation == self.generation:
                self.values[key] = (now, value)
        return value

    def clear(self, **kwargs: object) -> None:
        with self.lock:
            self.generation += 1
            self.values.clear()


public_feeds = Memo(fresh_seconds=FRESH_SECONDS)
schedule_changed.connect(public_feeds.clear, dispatch_uid="meetings.feeds.public_feeds")


def feed_etag(*parts: object) -> str:
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()
    return f'"{digest[:40]}"'


def calendar_response(
    request: HttpRequest,
    *,
    etag: str,
    last_modified: datetime | None,
    build: Callable[[], bytes],
    filename: str | None = None,
    private: bool = False,
) -> HttpResponse:
    """Answer a feed request: 304 if the client has these bytes, else the bytes.

    Last-Modified is never older than when this process first served this ETag: a
    deletion changes the ETag without touching any remaining row's `updated_at`, and a
    client revalidating by date alone must still see it.
    """
    cache = caches["feeds"]
    first_served = cache.get_or_set(f"first-served:{etag}", timezone.now, CACHE_SECONDS * 12)
    last_modified = max(last_modified, first_served) if last_modified else first_served
    response = HttpResponse(content_type=CONTENT_TYPE)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified.timestamp())
    response["Cache-Control"] = f"{'private' if private else 'public'}, max-age={CACHE_SECONDS}"
    # Django's own RFC 9110 preconditions; its 304 copies the headers above.
    conditional = get_conditional_response(
        request, etag=etag, last_modified=int(last_modified.timestamp()), response=response
    )
    if conditional is not response:
        return conditional
    body = cache.get(etag)
    if body is None:
        body = build()
        cache.set(etag, body, CACHE_SECONDS)
    response.content = body
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
