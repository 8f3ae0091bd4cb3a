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

Whole pages for signed-in members (their own answers, a CSRF token) are never cached;
neither is a response that is not a plain 200, one that set a cookie, nor one rendered
while a message was waiting to be shown.

Members get the rest from the same cache instead, a part at a time (`shared_part`): the
body of a page is rendered once per zone, language, version and minute for everyone, with
a marker where a member sees something of their own (their answer buttons, the Join
button, who is coming, the follow form), and each request renders only those
(`fill_member_parts`).
"""

import hashlib
import re
from collections.abc import Callable, Mapping
from functools import lru_cache, wraps

from django.contrib import messages
from django.core.cache import cache, caches
from django.http import HttpRequest, HttpResponse
from django.template import Context, Template
from django.template.context_processors import csrf
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from . import selectors
from .models import Meeting, ScheduleVersion, Series

# Long enough to outlive the minute that is part of the key; the cache culls the rest.
PAGE_SECONDS = 120
KEY_PREFIX = "page:"

# This process's copy of the pages it served: the key names the version, so an entry here
# is exactly as fresh as the shared one, and a hit saves the shared read.
local = caches["pages"]


def page_key(request: HttpRequest, *, view: str, query: tuple[str, ...], version: int) -> str:
    viewer = request.viewer_timezone
    return _key(
        KEY_PREFIX,
        view,
        request.path,
        *(f"{name}={request.GET.get(name, '')}" for name in query),
        viewer.name,
        viewer.source,
        viewer.rejected,
        version=version,
    )


def _key(prefix: str, *parts: str, version: int) -> str:
    minute = timezone.now().strftime("%Y%m%d%H%M")
    text = "\x1f".join([*parts, get_language() or "", str(version), minute])
    return f"{prefix}{hashlib.sha256(text.encode()).hexdigest()[:48]}"


def _cached(key: str) -> object:
    """The entry from this process's copy, else from the shared cache (and kept here)."""
    found = local.get(key)
    if found is None:
        found = cache.get(key)
        if found is not None:
            local.set(key, found, PAGE_SECONDS)
    return found


def _keep(key: str, value: object) -> None:
    cache.set(key, value, PAGE_SECONDS)
    local.set(key, value, PAGE_SECONDS)


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
            request.schedule_version = version
            key = page_key(request, view=name, query=query, version=version)
            cached = _cached(key)
            if cached is not None:
                content, content_type = cached
                return HttpResponse(content, content_type=content_type)
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if is_cacheable_response(response) and not len(messages.get_messages(request)):
                _keep(key, (response.content, response["Content-Type"]))
            return response

        return cached_view

    return decorate


# The context flag a member part's tag looks at: set, it leaves its marker instead.
SHARED = "rendering_shared_part"
SHARED_PREFIX = "part:"
# <!--member-part rsvp.rsvp_buttons meeting 12-->: the tag library, the tag, the object.
# Markers come only from our own rendering: every text a person typed is escaped first,
# so none can open an HTML comment.
MARKER = re.compile(r"<!--member-part (\w+)\.(\w+) (meeting|series) (\d+)-->")


def part_marker(library: str, tag: str, obj: Meeting | Series) -> SafeString:
    kind = "meeting" if isinstance(obj, Meeting) else "series"
    return mark_safe(f"<!--member-part {library}.{tag} {kind} {obj.pk}-->")  # noqa: S308


def shared_part(
    request: HttpRequest,
    template_name: str,
    build: Callable[[], Mapping[str, object]],
    *,
    key: tuple[str, ...] = (),
) -> SafeString:
    """The template rendered once for every viewer in this zone and language at this
    version of the schedule (`build` gives its context, and is called only on a miss),
    with this viewer's own parts filled in. `key` names what else the part depends on (a
    page number, a slug)."""
    return shared_parts(request, {"body": template_name}, build, key=key)["body"]


def shared_parts(
    request: HttpRequest,
    templates: Mapping[str, str],
    build: Callable[[], Mapping[str, object]],
    *,
    key: tuple[str, ...] = (),
) -> dict[str, SafeString]:
    """`shared_part` for several templates from one context, kept as one entry: a page's
    body and what goes in its <head> (the card a shared link shows) cost one cache read."""
    # A visitor's request read it already, to look for the whole page.
    version = getattr(request, "schedule_version", None)
    if version is None:
        version = ScheduleVersion.objects.current()
    names = (f"{name}={template}" for name, template in templates.items())
    cache_key = _key(SHARED_PREFIX, *names, *key, request.viewer_timezone.name, version=version)
    parts = _cached(cache_key)
    if parts is None:
        context = {**build(), SHARED: True}
        parts = {name: render_to_string(template, context) for name, template in templates.items()}
        _keep(cache_key, parts)
    return {name: fill_member_parts(html, request) for name, html in parts.items()}


def fill_member_parts(html: str, request: HttpRequest) -> SafeString:
    """Render each member part the shared HTML marks, for this request's viewer: one
    query for the meetings (with the viewer's answers) and one for the series named."""
    markers = MARKER.findall(html)
    if not markers:
        return mark_safe(html)  # noqa: S308
    wanted: dict[str, set[int]] = {"meeting": set(), "series": set()}
    for _library, _tag, kind, pk in markers:
        wanted[kind].add(int(pk))
    objects: dict[tuple[str, int], Meeting | Series] = {}
    if wanted["meeting"]:
        meetings = selectors.meetings_for_viewer(ids=wanted["meeting"], viewer=request.user)
        objects |= {("meeting", meeting.pk): meeting for meeting in meetings}
    if wanted["series"]:
        series = Series.objects.filter(pk__in=wanted["series"])
        objects |= {("series", one.pk): one for one in series}
    # csrf() is lazy: a visitor's parts hold no form, and a page that set the CSRF cookie
    # could not be cached.
    context = {"request": request, "user": request.user, **csrf(request)}

    def render(match: re.Match[str]) -> str:
        library, tag, kind, pk = match.groups()
        obj = objects.get((kind, int(pk)))
        if obj is None:
            # Deleted since the part was rendered, in a transaction this request cannot
            # see yet: it shows nothing rather than something gone.
            return ""
        return _part_template(library, tag).render(Context({**context, "object": obj}))

    return mark_safe(MARKER.sub(render, html))  # noqa: S308


@lru_cache(maxsize=32)
def _part_template(library: str, tag: str) -> Template:
    return Template(f"{{% load {library} %}}{{% {tag} object %}}")
