from django.http import HttpRequest

from copf.lib.timezones import picker_timezone_names


def viewer_timezone(request: HttpRequest) -> dict[str, object]:
    return {
        "viewer_tz": getattr(request, "viewer_timezone", None),
        "timezone_choices": picker_timezone_names,
    }
