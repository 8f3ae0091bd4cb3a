"""Serving calendars over HTTP: strong ETags, 304s and a per-process cache of the bytes.

Calendar apps poll feeds all day. A request first asks the database one cheap aggregate
question ("how many rows, changed when?"); that answer names the ETag. A matching
If-None-Match or If-Modified-Since gets a 304 with no body; otherwise the rendered bytes
come from the cache under that ETag, and are built (with a constant number of queries)
only when something they show has changed.
"""

import hashlib
from collections.abc import Callable
from datetime import datetime

from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

CACHE_SECONDS = 300
CONTENT_TYPE = "text/calendar; charset=utf-8"


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
