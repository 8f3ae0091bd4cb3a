from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from . import display, selectors
from .models import Meeting, Series


def schedule(request: HttpRequest) -> HttpResponse:
    zone = request.viewer_timezone.zone
    meetings = list(selectors.upcoming_meetings(viewer=request.user))
    return render(
        request,
        "meetings/schedule.html",
        {"days": display.group_by_local_day(meetings, zone), "series_list": Series.objects.all()},
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
