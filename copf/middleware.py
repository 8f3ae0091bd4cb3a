"""Request hygiene at the edge, private pages, and the viewer's time zone."""

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import BadRequest, DisallowedHost, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.log import log_response
from django.utils.translation import gettext as _

from copf.lib.client_address import client_address
from copf.lib.timezones import canonical_timezone_name
from meetings.views import calendar_feed

# The public API answers its refusals in JSON, as its schema says.
API_PREFIX = "/api/"

TZ_COOKIE = "tz"
TZ_COOKIE_MAX_AGE = 60 * 60 * 24 * 365
# A zone a member chose from the zone banner for this visit: a browser-session cookie,
# signed for that member so that it never follows another member who signs in on the
# same browser.
TZ_VISIT_COOKIE = "tz_visit"
# The device zone for which a member answered "keep my profile's zone": the banner does
# not ask again while the device stays there. static/js/tz.js reads it, so not HttpOnly.
TZ_KEEP_COOKIE = "tz_keep"

UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class ViewerTimezone:
    """The zone a page is rendered in, where it came from, and any value we had to refuse."""

    zone: ZoneInfo
    source: str  # "visit", "profile", "query", "cookie" or "default"
    rejected: str = ""

    @property
    def name(self) -> str:
        return self.zone.key


def resolve_viewer_timezone(
    *,
    profile_zone: object,
    query_value: str | None,
    cookie_value: str | None,
    visit_value: str | None = None,
) -> ViewerTimezone:
    """A member's zone for this visit, else the profile zone, else `?tz=`, else the
    browser's cookie, else UTC.

    `?tz=` does not override a member's profile: links with it are shared, and someone
    else's link must not switch how a member sees the schedule. A member who wants another
    zone for a while says so with the zone banner's button, which sets the visit cookie
    (see members.views.set_timezone); it counts only next to a profile zone.

    An unknown name never raises: it is skipped, and the first rejected value is kept so
    the page can say why it fell back.
    """
    rejected = ""
    profile_name = str(getattr(profile_zone, "key", None) or (profile_zone or ""))
    visit = canonical_timezone_name(visit_value or "")
    if visit and profile_name and visit != canonical_timezone_name(profile_name):
        return ViewerTimezone(zone=ZoneInfo(visit), source="visit")
    for source, value in (
        ("profile", profile_name),
        ("query", query_value),
        ("cookie", cookie_value),
    ):
        if not value:
            continue
        canonical = canonical_timezone_name(value)
        if canonical is not None:
            return ViewerTimezone(zone=ZoneInfo(canonical), source=source, rejected=rejected)
        if not rejected and source != "cookie":
            rejected = value[:64]
    return ViewerTimezone(zone=UTC, source="default", rejected=rejected)


def _visit_salt(user_id: object) -> str:
    return f"copf.middleware.visit-zone.{user_id}"


def visit_zone(request: HttpRequest, *, user_id: object) -> str | None:
    """The zone this member chose for this visit, or None (none, or signed for another)."""
    return request.get_signed_cookie(TZ_VISIT_COOKIE, default=None, salt=_visit_salt(user_id))


def remember_visit_zone(response: HttpResponse, *, user_id: object, name: str) -> None:
    # No max_age: the cookie ends with the browser session, which is what "this visit" means.
    response.set_signed_cookie(
        TZ_VISIT_COOKIE,
        name,
        salt=_visit_salt(user_id),
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def forget_visit_zone(response: HttpResponse) -> None:
    response.delete_cookie(TZ_VISIT_COOKIE, samesite="Lax")


def keep_profile_zone(response: HttpResponse, *, device_zone: str) -> None:
    response.set_cookie(
        TZ_KEEP_COOKIE,
        device_zone,
        max_age=TZ_COOKIE_MAX_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


class ViewerTimezoneMiddleware:
    """Activate the viewer's zone for the request, and remember a zone picked with `?tz=`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        viewer = resolve_viewer_timezone(
            profile_zone=getattr(user, "timezone", None) if signed_in else None,
            query_value=request.GET.get("tz"),
            cookie_value=request.COOKIES.get(TZ_COOKIE),
            visit_value=visit_zone(request, user_id=user.pk) if signed_in else None,
        )
        request.viewer_timezone = viewer
        with timezone.override(viewer.zone):
            response = self.get_response(request)
        if viewer.source == "query" and request.COOKIES.get(TZ_COOKIE) != viewer.name:
            response.set_cookie(TZ_COOKIE, viewer.name, max_age=TZ_COOKIE_MAX_AGE, samesite="Lax")
        return response


class RequestGuardMiddleware:
    """The outermost middleware: what every request and response must satisfy.

    On the way in it takes the client's address from the trusted proxies, and refuses a
    request whose Host or body Django cannot read, with the site's own 400 page and one
    log line. Left to Django, both surface again in every middleware and error handler
    that reads them (the CSRF check reads the body, the error pages run the CSRF check),
    and end as a bare 500 with kilobytes of chained tracebacks.

    On the way out it gives every response the headers the README promises, including
    those made before the middleware that normally adds them ran (static files, an error
    in an outer middleware).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.trusted_proxies = settings.TRUSTED_PROXY_COUNT
        self.baseline_headers = baseline_headers()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.trusted_proxies:
            request.META["REMOTE_ADDR"] = client_address(
                request.META.get("REMOTE_ADDR", ""),
                request.META.get("HTTP_X_FORWARDED_FOR", ""),
                trusted_proxies=self.trusted_proxies,
            )
        problem = unreadable_request(request)
        if problem:
            response = (
                JsonResponse({"detail": _("The request could not be read.")}, status=400)
                if request.path.startswith(API_PREFIX)
                else render(request, "400.html", status=400)
            )
            # Through django.request, which redacts link secrets, and marked as logged so
            # Django's own "Bad Request: …" line does not follow it.
            log_response(
                "Refused %s %s: %s",
                request.method,
                request.path,
                problem,
                response=response,
                request=request,
            )
        else:
            response = self.get_response(request)
        # A page made to be framed on other sites (the embedded schedule) is exempt, as
        # XFrameOptionsMiddleware lets it be.
        framable = getattr(response, "xframe_options_exempt", False)
        for header, value in self.baseline_headers.items():
            if header not in response and not (framable and header == "X-Frame-Options"):
                response[header] = value
        return response


def baseline_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": build_policy(),
        "X-Frame-Options": settings.X_FRAME_OPTIONS,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": settings.SECURE_REFERRER_POLICY,
        "Cross-Origin-Opener-Policy": settings.SECURE_CROSS_ORIGIN_OPENER_POLICY,
    }


def unreadable_request(request: HttpRequest) -> str:
    """Why Django could not read this request's Host or form body, or "" if it can.

    The body is parsed here, once: a parse error is remembered on the request so that
    nothing reads it again.
    """
    try:
        request.get_host()
    except DisallowedHost:
        return "the Host header is not one of ALLOWED_HOSTS"
    form = request.method == "POST"
    if form and request.content_type == "application/x-www-form-urlencoded" and request.encoding:
        try:
            charset = codecs.lookup(request.encoding).name
        except LookupError:
            charset = ""
        if charset != "utf-8":
            request._mark_post_parse_error()
            return f"a form in {request.encoding[:40]!r}, not UTF-8"
        # "utf8" and "UTF-8" are the same charset; Django accepts only the one spelling.
        # (Set before anything reads the query: setting it parses that again.)
        request.encoding = "utf-8"
    if has_nul(request.GET):
        return "a NUL character in the query string"
    if not form:
        return ""
    try:
        request.POST  # noqa: B018
    except (BadRequest, SuspiciousOperation, MultiPartParserError, ValueError) as error:
        request._mark_post_parse_error()
        return f"an unreadable body ({type(error).__name__})"
    if has_nul(request.POST):
        return "a NUL character in the form"
    return ""


def has_nul(data: QueryDict) -> bool:
    """No page takes a NUL, no browser form can type one, and PostgreSQL refuses it in a
    query with an error, so a NUL anywhere is refused before any view can pass it on."""
    return any(
        "\x00" in key or any("\x00" in value for value in values) for key, values in data.lists()
    )


class PublicFeedMiddleware:
    """Answer the public feeds (`/calendar.ics`, `/series/<slug>/calendar.ics`) here, before
    sessions, CSRF, messages, authentication and the per-request CSP work.

    Calendar apps poll these all day and they need none of that: they are the same for
    everyone and take no input but the conditional headers. It sits after
    RequestGuardMiddleware, whose baseline headers (a CSP string built once, nosniff,
    frame and referrer policies) every answer still gets, and after SecurityMiddleware,
    so the HTTPS redirect and HSTS still apply. Anything else (another method, an
    unknown series) goes down the usual path.
    """

    ALL = "/calendar.ics"
    SERIES = re.compile(r"^/series/(?P<slug>[-a-zA-Z0-9_]+)/calendar\.ics\Z")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD"):
            path = request.path_info
            if path == self.ALL:
                return calendar_feed(request)
            if path.endswith(".ics") and (match := self.SERIES.match(path)):
                try:
                    return calendar_feed(request, slug=match["slug"])
                except Http404:
                    pass
        return self.get_response(request)


class PrivatePagesMiddleware:
    """`Cache-Control: private, no-store` on every page made for one person.

    That is any page for a signed-in member (/me/ shows the secret feed address, the
    account pages their addresses) and any page carrying a CSRF token (a form bound to
    this browser, e.g. the log-in page). A view that sets its own Cache-Control (the
    feeds) keeps it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" in response:
            return response
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
            patch_cache_control(response, private=True, no_store=True)
        return response
