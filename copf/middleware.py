from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from copf.lib.timezones import canonical_timezone_name

TZ_COOKIE = "tz"
TZ_COOKIE_MAX_AGE = 60 * 60 * 24 * 365

UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class ViewerTimezone:
    """The zone a page is rendered in, where it came from, and any value we had to refuse."""

    zone: ZoneInfo
    source: str  # "profile", "query", "cookie" or "default"
    rejected: str = ""

    @property
    def name(self) -> str:
        return self.zone.key


def resolve_viewer_timezone(
    *, profile_zone: object, query_value: str | None, cookie_value: str | None
) -> ViewerTimezone:
    """Profile zone, else `?tz=`, else the browser's cookie, else UTC.

    An unknown name never raises: it is skipped, and the first rejected value is kept so
    the page can say why it fell back.
    """
    rejected = ""
    profile_name = getattr(profile_zone, "key", None) or (profile_zone or "")
    for source, value in (
        ("profile", str(profile_name)),
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


class ViewerTimezoneMiddleware:
    """Activate the viewer's zone for the request, and remember a zone picked with `?tz=`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        profile_zone = getattr(user, "timezone", None) if user and user.is_authenticated else None
        viewer = resolve_viewer_timezone(
            profile_zone=profile_zone,
            query_value=request.GET.get("tz"),
            cookie_value=request.COOKIES.get(TZ_COOKIE),
        )
        request.viewer_timezone = viewer
        with timezone.override(viewer.zone):
            response = self.get_response(request)
        if viewer.source == "query" and request.COOKIES.get(TZ_COOKIE) != viewer.name:
            response.set_cookie(TZ_COOKIE, viewer.name, max_age=TZ_COOKIE_MAX_AGE, samesite="Lax")
        return response
