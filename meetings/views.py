from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from . import display, feeds, ical, selectors
from .models import Meeting, Series


def schedule(request: HttpRequest) -> HttpResponse:
    zone = request.viewer_timezone.zone
    meetings = list(selectors.upcoming_meetings(viewer=request.user))
    return render(
        request,
        "meetings/schedule.html",
        {
            "days": display.group_by_local_day(meetings, zone),
            "series_list": Series.objects.all(),
            **display.feed_links(
                reverse("meetings:calendar_feed"),
                title="All meetings in your calendar",
                feed_id="all",
            ),
        },
    )


def series_detail(request: HttpRequest, slug: str) -> HttpResponse:
    series = get_object_or_404(Series, slug=slug)
    zone = request.viewer_timezone.zone
    upcoming = list(selectors.upcoming_meetings(series=series, viewer=request.user))
    previous = selectors.previous_meeting(meeting=upcoming[0]) if upcoming else None
    return render(
        request,
        "meetings/series_detail.html",
        {
            "series": series,
            "schedule_text": display.series_schedule(series),
            "anchor_text": display.anchor_explanation(series.anchor_zone, around=timezone.now()),
            "meetings": display.mark_clock_changes(upcoming, zone, previous=previous),
            **display.feed_links(
                reverse("meetings:series_calendar_feed", kwargs={"slug": series.slug}),
                title=f"{series.name} in your calendar",
                feed_id="series",
            ),
            "following": (
                request.user.is_authenticated and series.follows.filter(user=request.user).exists()
            ),
        },
    )


def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting.objects.select_related("series"), pk=pk)
    zone = request.viewer_timezone.zone
    return render(
        request,
        "meetings/meeting_detail.html",
        {
            "meeting": meeting,
            "local": display.localize(meeting, zone),
            "world_times": display.world_times(meeting),
            "is_past": meeting.ends_at <= timezone.now(),
        },
    )


@require_safe
def calendar_feed(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    series = get_object_or_404(Series, slug=slug) if slug else None
    version = selectors.public_feed_version(series=series)
    name = f"CoP-F: {series.name}" if series else "CoP-F meetings"

    def build() -> bytes:
        meetings = selectors.feed_meetings(series=series)
        return ical.render(ical.build_calendar(meetings=meetings, name=name))

    return feeds.calendar_response(
        request,
        etag=feeds.feed_etag("feed", slug or "all", name, *version.parts()),
        last_modified=version.last_modified,
        build=build,
    )


@require_safe
def meeting_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting.objects.select_related("series"), pk=pk)
    series_updated = meeting.series.updated_at if meeting.series_id else None
    return feeds.calendar_response(
        request,
        etag=feeds.feed_etag("meeting", meeting.pk, meeting.updated_at, series_updated),
        last_modified=_latest(meeting.updated_at, series_updated),
        build=lambda: ical.render(ical.build_calendar(meetings=[meeting], name=meeting.title)),
        filename=f"{slugify(meeting.title) or 'meeting'}-{meeting.starts_at:%Y-%m-%d}.ics",
    )


def robots(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        "User-agent: *\nDisallow: /feeds/\nDisallow: /me/\n", content_type="text/plain"
    )


def _latest(*moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None
