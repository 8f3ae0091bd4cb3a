"""The public API: read-only JSON about the series and their meetings, for other circles'
sites and the embedded schedule (`/embed.js`). Times are UTC instants; nothing personal is
ever in it, only counts (seats left) and links.

Built with django-ninja, which derives the OpenAPI schema (`/api/v1/openapi.json`, and a
docs page at `/api/v1/docs`) from the same typed schemas that shape the answers. Every
answer carries a strong ETag named by the schedule's version, so an unchanged list costs a
304 and one query; CORS lets any site read these GETs (`CORS_URLS_REGEX`); each client
address may make API_RATE requests, after which it gets a 429 with Retry-After.
"""

from datetime import UTC, datetime
from typing import Annotated, Literal

from django.core.cache import caches
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Query, Schema, Status
from ninja import Path as PathParam
from ninja.errors import ValidationError
from ninja.throttling import AnonRateThrottle

from . import ical
from .feeds import feed_etag
from .models import Meeting, ScheduleVersion, Series

API_RATE = "120/m"
CACHE_SECONDS = 60
MAX_PAGE_SIZE = 100


class ClientThrottle(AnonRateThrottle):
    """Per client address: `copf.middleware` has already put the real one, behind our own
    proxies, in REMOTE_ADDR; X-Forwarded-For as the client sent it proves nothing.

    Counted in this process's memory (the `ratelimit` cache), not in the shared cache,
    which lives in the database and would cost four queries a request: with N web
    processes one address may make up to N times the rate, still a limit.
    """

    cache = caches["ratelimit"]

    def get_ident(self, request: HttpRequest) -> str | None:
        return request.META.get("REMOTE_ADDR")


api = NinjaAPI(
    title="CoP-F sessions",
    version="1",
    description=(
        "The sessions of the Community of Practice for Facilitators (CoP-F), read-only. "
        "Times are UTC (ISO 8601 with Z); show them in your visitors' zones."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    throttle=[ClientThrottle(API_RATE)],
)


class Problem(Schema):
    detail: str = Field(description="What was wrong, in words.")


class SeriesOut(Schema):
    slug: str
    name: str
    description: str
    url: str = Field(description="The series page.")
    calendar_url: str = Field(description="The series' iCalendar feed.")
    anchor_timezone: str = Field(description="The zone whose clock the series keeps.")
    start_time: str = Field(description="Start time in the anchor zone, HH:MM.")
    duration_minutes: int
    capacity: int | None = Field(description="Seats per meeting; null for no limit.")


class MeetingOut(Schema):
    id: int
    title: str
    series: str | None = Field(description="The series' slug; null for a one-off meeting.")
    series_name: str | None
    starts_at: datetime = Field(description="UTC.")
    ends_at: datetime = Field(description="UTC.")
    status: Literal["scheduled", "cancelled"]
    is_extra: bool = Field(description="An extra session, beside a series' own rhythm.")
    url: str = Field(description="The meeting page: where to answer and join.")
    calendar_url: str = Field(description="This meeting as an iCalendar file.")
    capacity: int | None = Field(description="Seats; null for no limit.")
    seats_left: int | None = Field(description="Seats not taken; null for no limit.")
    waitlist: bool = Field(description="Full: a yes now joins the waitlist.")


class SeriesPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[SeriesOut]


class MeetingPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[MeetingOut]


# RFC 3339's date-time: a date, a time and an offset (Z or ±HH:MM); never a bare number,
# which a lenient parser would read as a Unix time.
INSTANT = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"


class Paging(Schema):
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


class MeetingFilters(Paging):
    series: str | None = Field(None, max_length=60, description="A series' slug.")
    from_: str | None = Field(
        None,
        alias="from",
        pattern=INSTANT,
        json_schema_extra={"format": "date-time"},
        description="Meetings ending after this instant (ISO 8601 with offset); default now.",
    )
    to: str | None = Field(
        None,
        pattern=INSTANT,
        json_schema_extra={"format": "date-time"},
        description="Meetings starting before this instant (ISO 8601 with offset).",
    )
    status: Literal["scheduled", "cancelled"] | None = None


REFUSED = {304: None, 400: Problem, 429: Problem}


def instant(text: str) -> datetime:
    """An RFC 3339 date-time as an aware UTC datetime; one beyond what UTC can hold (the
    first or last day of the calendar with an offset) is taken as that end."""
    try:
        parsed = datetime.fromisoformat(text.upper())
    except ValueError:
        raise BadRequest(_("%(value)s is not a date and time.") % {"value": text[:40]}) from None
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return (
            datetime.min.replace(tzinfo=UTC)
            if parsed.year == 1
            else datetime.max.replace(tzinfo=UTC)
        )


class BadRequest(Exception):
    status = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(BadRequest):
    status = 404


@api.exception_handler(BadRequest)
def _bad_request(request: HttpRequest, error: BadRequest) -> HttpResponse:
    return api.create_response(request, {"detail": error.detail}, status=error.status)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    """A 400 that names each parameter that was wrong and why, not a 422."""
    parts = []
    for problem in error.errors:
        where = ".".join(str(part) for part in problem.get("loc", ())[1:]) or _("request")
        parts.append(f"{where}: {problem.get('msg', _('not valid'))}")
    return api.create_response(request, {"detail": "; ".join(parts)}, status=400)


@api.get(
    "/series/",
    response={200: SeriesPage, **REFUSED},
    summary="The series",
    operation_id="list_series",
)
def list_series(request: HttpRequest, paging: Query[Paging]):
    return _cached(request, lambda: _series_page(request, paging))


@api.get(
    "/series/{slug}/",
    response={200: SeriesOut, **REFUSED, 404: Problem},
    summary="One series",
    operation_id="get_series",
)
def get_series(request: HttpRequest, slug: Annotated[str, PathParam(max_length=60)]):
    series = Series.objects.filter(slug=slug).first()
    if series is None:
        return Status(404, {"detail": _("There is no series %(slug)s.") % {"slug": slug[:60]}})
    return _cached(request, lambda: _series_out(series))


@api.get(
    "/meetings/",
    response={200: MeetingPage, **REFUSED, 404: Problem},
    summary="Meetings, soonest first",
    description=(
        "By default the meetings that have not ended yet. Filter by series, by a window "
        "(`from` and `to`, ISO 8601 with an offset) and by status. An unknown series is "
        "a 404."
    ),
    operation_id="list_meetings",
)
def list_meetings(request: HttpRequest, filters: Query[MeetingFilters]):
    return _cached(request, lambda: _meeting_page(request, filters))


@api.get(
    "/meetings/{meeting_id}/",
    response={200: MeetingOut, **REFUSED, 404: Problem},
    summary="One meeting",
    operation_id="get_meeting",
)
def get_meeting(request: HttpRequest, meeting_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)]):
    meeting = with_seats_taken(Meeting.objects.filter(pk=meeting_id)).first()
    if meeting is None:
        return Status(404, {"detail": _("There is no meeting %(id)s.") % {"id": meeting_id}})
    return _cached(request, lambda: _meeting_out(meeting))


# --- answers -------------------------------------------------------------------------------


def _cached(request: HttpRequest, build):
    """A 304 when the client holds what this would say (the schedule's version and the
    request name it), else the answer with its ETag."""
    # Without `from`, a list starts at the current minute: it changes as meetings end, not
    # only when the schedule does.
    etag = feed_etag(
        "api/v1", ScheduleVersion.objects.current(), this_minute(), request.get_full_path()
    )
    response = HttpResponse()
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    conditional = get_conditional_response(request, etag=etag, response=response)
    if conditional is not response:
        return conditional
    status, body = 200, build()
    answer = api.create_response(request, body, status=status)
    answer["ETag"] = etag
    answer["Cache-Control"] = response["Cache-Control"]
    return answer


def this_minute() -> datetime:
    return timezone.now().replace(second=0, microsecond=0)


def _series_page(request: HttpRequest, paging: Paging) -> dict[str, object]:
    series = Series.objects.order_by("start_time", "name", "pk")
    return _page(request, series, paging, _series_out)


def _series_out(series: Series) -> dict[str, object]:
    return {
        "slug": series.slug,
        "name": series.name,
        "description": series.description,
        "url": ical.absolute_url(series.get_absolute_url()),
        "calendar_url": ical.absolute_url(
            reverse("meetings:series_calendar_feed", kwargs={"slug": series.slug})
        ),
        "anchor_timezone": str(series.anchor_timezone),
        "start_time": series.start_time.strftime("%H:%M"),
        "duration_minutes": int(series.duration.total_seconds() // 60),
        "capacity": series.capacity,
    }


def _meeting_page(request: HttpRequest, filters: MeetingFilters) -> dict[str, object]:
    start = instant(filters.from_) if filters.from_ else this_minute()
    meetings = Meeting.objects.filter(ends_at__gt=start)
    if filters.to:
        meetings = meetings.filter(starts_at__lt=instant(filters.to))
    if filters.series:
        series = Series.objects.filter(slug=filters.series).first()
        if series is None:
            raise NotFound(_("There is no series %(slug)s.") % {"slug": filters.series})
        meetings = meetings.filter(series=series)
    if filters.status:
        meetings = meetings.filter(status=filters.status)
    meetings = with_seats_taken(meetings.order_by("starts_at", "pk"))
    return _page(request, meetings, filters, _meeting_out)


def with_seats_taken(meetings):
    """Each meeting with `seats_taken` (yes answers holding a seat) and its series, in one
    query."""
    taken = (
        Meeting.rsvps.field.model.objects.holding_seats()
        .filter(meeting=OuterRef("pk"))
        .order_by()
        .values("meeting")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return meetings.select_related("series").annotate(
        seats_taken=Coalesce(Subquery(taken), 0), series_capacity=F("series__capacity")
    )


def _meeting_out(meeting: Meeting) -> dict[str, object]:
    capacity = meeting.effective_capacity
    seats_left = None if capacity is None else max(capacity - meeting.seats_taken, 0)
    series = meeting.series
    return {
        "id": meeting.pk,
        "title": meeting.title,
        "series": series.slug if series else None,
        "series_name": series.name if series else None,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "status": meeting.status,
        "is_extra": meeting.is_extra,
        "url": ical.absolute_url(meeting.get_absolute_url()),
        "calendar_url": ical.absolute_url(
            reverse("meetings:meeting_calendar", kwargs={"pk": meeting.pk})
        ),
        "capacity": capacity,
        "seats_left": seats_left,
        "waitlist": seats_left == 0,
    }


def _page(request: HttpRequest, rows, paging: Paging, shape) -> dict[str, object]:
    count = rows.count()
    first = (paging.page - 1) * paging.page_size
    found = list(rows[first : first + paging.page_size])

    def link(page: int) -> str:
        query = request.GET.copy()
        query["page"] = str(page)
        return ical.absolute_url(f"{request.path}?{query.urlencode()}")

    return {
        "count": count,
        "next": link(paging.page + 1) if first + paging.page_size < count else None,
        "previous": link(paging.page - 1) if paging.page > 1 and count else None,
        "results": [shape(row) for row in found],
    }
