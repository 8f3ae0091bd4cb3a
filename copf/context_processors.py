from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone

from copf.lib.timezones import TimezoneSelect, canonical_timezone_name, zone_city, zone_label
from copf.middleware import TZ_COOKIE, TZ_KEEP_COOKIE, ViewerTimezone


@dataclass(frozen=True)
class ZoneSuggestion:
    """A member's device is in another zone than their profile's: what the banner offers."""

    device: str  # the IANA name, "Asia/Tokyo"
    device_label: str  # "Tokyo (UTC+09:00)"
    device_city: str  # "Tokyo"
    profile_city: str  # "Lisbon"


def viewer_timezone(request: HttpRequest) -> dict[str, object]:
    viewer = getattr(request, "viewer_timezone", None)
    return {
        "viewer_tz": viewer,
        # Called by the template only where the zone bar shows a picker.
        "zone_picker": lambda: TimezoneSelect().render("tz", viewer.name, {"id": "tz-picker"}),
        "zone_suggestion": zone_suggestion(request, viewer),
        "profile_zone_city": zone_city(str(request.user.timezone))
        if viewer is not None and viewer.source == "visit"
        else "",
    }


def zone_suggestion(request: HttpRequest, viewer: ViewerTimezone | None) -> ZoneSuggestion | None:
    """The banner's offer, when a member sees times in their profile's zone while the
    browser last reported another one (the `tz` cookie, which static/js/tz.js keeps up to
    date for members), and they have not answered "keep" for that zone. The script shows
    the banner only once the browser confirms it is still in that zone."""
    if viewer is None or viewer.source != "profile":
        return None
    device = canonical_timezone_name(request.COOKIES.get(TZ_COOKIE, ""))
    if device is None or device == viewer.name:
        return None
    if canonical_timezone_name(request.COOKIES.get(TZ_KEEP_COOKIE, "")) == device:
        return None
    return ZoneSuggestion(
        device=device,
        device_label=zone_label(device, at=timezone.now()),
        device_city=zone_city(device),
        profile_city=zone_city(viewer.name),
    )
