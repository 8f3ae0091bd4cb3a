"""What a shared link to a meeting or series page shows: the Open Graph card and the
schema.org `Event` / `EventSeries` data (JSON-LD), built from the schedule alone.

A card is the same for everyone who sees the link, in any zone: times are in UTC, and
nothing in it is for members only (no join link, no names of who is coming). Pure
functions of the rows given; no queries.
"""

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import dateformat
from django.utils.text import Truncator
from django.utils.translation import gettext, pgettext

from . import display
from .ical import absolute_url
from .models import Meeting, Series

UTC = ZoneInfo("UTC")
SCHEMA_ORG = "https://schema.org"
ONLINE = "https://schema.org/OnlineEventAttendanceMode"
SCHEDULED = "https://schema.org/EventScheduled"
CANCELLED = "https://schema.org/EventCancelled"
RESCHEDULED = "https://schema.org/EventRescheduled"
SITE_NAME = "CoP-F"
ORGANIZER_NAME = "CoP-F (Community of Practice for Facilitators)"
# A series card lists this many coming meetings: enough to show the rhythm.
SUB_EVENTS = 5
# Link previews show two or three lines of the description.
DESCRIPTION_CHARS = 240


def meeting_card(meeting: Meeting) -> dict[str, object]:
    return {"@context": SCHEMA_ORG, **_event(meeting)}


def series_card(*, series: Series, meetings: Sequence[Meeting]) -> dict[str, object]:
    """The series as an `EventSeries`, with its next meetings (soonest first) as events."""
    return {
        "@context": SCHEMA_ORG,
        "@type": "EventSeries",
        "name": series.name,
        "description": series_summary(series),
        "url": absolute_url(series.get_absolute_url()),
        "organizer": _organizer(),
        "eventAttendanceMode": ONLINE,
        "subEvent": [_event(meeting) for meeting in meetings[:SUB_EVENTS]],
    }


def _event(meeting: Meeting) -> dict[str, object]:
    url = absolute_url(meeting.get_absolute_url())
    event: dict[str, object] = {
        "@type": "Event",
        "name": meeting.title,
        "description": meeting_summary(meeting),
        "startDate": _iso(meeting.starts_at),
        "endDate": _iso(meeting.ends_at),
        "eventAttendanceMode": ONLINE,
        "eventStatus": event_status(meeting),
        # The page, never the call: the join link is for members.
        "location": {"@type": "VirtualLocation", "url": url},
        "organizer": _organizer(),
        "url": url,
        "isAccessibleForFree": True,
    }
    if event["eventStatus"] == RESCHEDULED:
        event["previousStartDate"] = _iso(meeting.original_start)
    return event


def event_status(meeting: Meeting) -> str:
    if meeting.is_cancelled:
        return CANCELLED
    # `original_start` is when the meeting was first announced (the rule's slot, or an
    # extra meeting's first time), so only a move sets them apart.
    if meeting.starts_at != meeting.original_start:
        return RESCHEDULED
    return SCHEDULED


def meeting_summary(meeting: Meeting) -> str:
    """One line for a link preview: when, in UTC, and that it is online; then the
    meeting's (or its series') own description, shortened."""
    when = utc_span(meeting.starts_at, meeting.ends_at)
    if meeting.is_cancelled:
        text = gettext("Cancelled: %(when)s, online.") % {"when": when}
    elif event_status(meeting) == RESCHEDULED:
        text = gettext("Moved to %(when)s, online (it was %(before)s).") % {
            "when": when,
            "before": utc_moment(meeting.original_start),
        }
    else:
        text = gettext("%(when)s, online.") % {"when": when}
    details = meeting.description or (meeting.series.description if meeting.series_id else "")
    return _with_details(text, details)


def series_summary(series: Series) -> str:
    text = gettext("%(schedule)s, online.") % {"schedule": display.series_schedule(series)}
    return _with_details(text, series.description)


def utc_span(start: datetime, end: datetime) -> str:
    """ "Monday 11 January 2027, 14:00–15:30 UTC", in the language in use."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if start.date() == end.date():
        return gettext("%(day)s, %(start)s–%(end)s UTC") % {
            "day": _day(start),
            "start": f"{start:%H:%M}",
            "end": f"{end:%H:%M}",
        }
    return gettext("%(day)s, %(start)s – %(end_day)s, %(end)s UTC") % {
        "day": _day(start),
        "start": f"{start:%H:%M}",
        "end_day": _day(end),
        "end": f"{end:%H:%M}",
    }


def utc_moment(moment: datetime) -> str:
    """ "Monday 11 January 2027, 14:00 UTC"."""
    moment = moment.astimezone(UTC)
    return gettext("%(day)s, %(time)s UTC") % {"day": _day(moment), "time": f"{moment:%H:%M}"}


def _day(moment: datetime) -> str:
    # Django's own day and month names, so they follow the language; the order is the
    # translator's to choose.
    return dateformat.format(moment, pgettext("a day in a shared link's card", "l j F Y"))


def _with_details(text: str, details: str) -> str:
    details = " ".join(details.split())
    if not details:
        return text
    return f"{text} {Truncator(details).chars(DESCRIPTION_CHARS)}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _organizer() -> dict[str, str]:
    return {"@type": "Organization", "name": ORGANIZER_NAME, "url": settings.SITE_URL}
