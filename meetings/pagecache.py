"""Pages that are the same for every anonymous visitor, rendered once and then served from
the shared cache until the schedule changes.

A page is keyed on everything that makes it differ for an anonymous visitor: the view, the
path and the query values it reads, the viewer's zone (with where it came from and any name
refused, which the zone bar shows), the language, the schedule version and the current UTC
minute. The version moves in the same transaction as every change a visitor could see
(`ScheduleVersion`), so a page is never stale; the minute is there because pages say "in 2
hours", open the Join button 15 minutes before the start and mark "today" in the month: a
page rendered in this minute is right to within a minute, and a cached one never older.

The cache is the default one, Django's DatabaseCache: every web process on every machine
shares it and it needs no service beyond the database. Each process also keeps the pages it
served in memory (the "pages" cache): a hit there costs the version read alone.

Pages for signed-in members (their own answers, a CSRF token) are never cached; neither is
a response that is not a plain 200, one that set a cookie, nor one rendered while a
message was waiting to be shown.
"""

import hashlib
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.cache import cache, caches
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language

from .models import ScheduleVersion

# Long enough to outlive the minute that is part of the key; the cache culls the rest.
PAGE_SECONDS = 120
KEY_PREFIX = "page:"

# This process's copy of the pages it served: the key names the version, so an entry here
# is exactly as fresh as the shared one, and a hit saves the shared read.
local = caches["pages"]


def page_key(request: HttpRequest, *, view: str, query: tuple[str, ...], version: int) -> str:
    viewer = request.viewer_timezone
    minute = timezone.now().strftime("%Y%m%d%H%M")
    parts = [
        view,
        request.path,
        *(f"{name}={request.GET.get(name, '')}" for name in query),
        viewer.name,
        viewer.source,
        viewer.rejected,
        get_language() or "",
        str(version),
        minute,
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"{KEY_PREFIX}{digest[:48]}"


def is_cacheable_request(request: HttpRequest) -> bool:
    if request.method != "GET":
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    # len() looks at waiting messages without marking them as shown.
    return not len(messages.get_messages(request))


def is_cacheable_response(response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.cookies
        and not response.streaming
        and "Cache-Control" not in response
    )


def cache_anonymous_page(
    *, query: tuple[str, ...] = ()
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Serve the view's page for anonymous visitors from the cache. `query` names the
    query parameters the view reads; others (a tracking tag) do not split the cache."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        name = f"{view.__module__}.{view.__qualname__}"

        @wraps(view)
        def cached_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not is_cacheable_request(request):
                return view(request, *args, **kwargs)
            # Read before rendering: a change committed while this page renders moves the
            # version past the key it is stored under, so it is never served stale.
            version = ScheduleVersion.objects.current()
            key = page_key(request, view=name, query=query, version=version)
            cached = local.get(key)
            if cached is None:
                cached = cache.get(key)
                if cached is not None:
                    local.set(key, cached, PAGE_SECONDS)
            if cached is not None:
                content, content_type = cached
                return HttpResponse(content, content_type=content_type)
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if is_cacheable_response(response) and not len(messages.get_messages(request)):
                page = (response.content, response["Content-Type"])
                cache.set(key, page, PAGE_SECONDS)
                local.set(key, page, PAGE_SECONDS)
            return response

        return cached_view

    return decorate
