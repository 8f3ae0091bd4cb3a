"""Reads of the schedule."""

from datetime import datetime, timedelta

from django.db.models import Count, Max, Prefetch
from django.utils import timezone

from .models import Meeting, MeetingQuerySet, Series

FEED_PAST = timedelta(days=90)


def upcoming_meetings(
    *, now: datetime | None = None, series: Series | None = None, viewer: object = None
) -> MeetingQuerySet:
    """Meetings that have not ended yet, soonest first, cancelled ones included.

    With a signed-in `viewer`, each meeting carries `viewer_rsvps`: their own answer, if any.
    """
    meetings = Meeting.objects.upcoming(now=now or timezone.now()).select_related("series")
    if series is not None:
        meetings = meetings.filter(series=series)
    if viewer is not None and viewer.is_authenticated:
        answers = Meeting.rsvps.field.model.objects.filter(user=viewer)
        meetings = meetings.prefetch_related(
            Prefetch("rsvps", queryset=answers, to_attr="viewer_rsvps")
        )
    return meetings.order_by("starts_at", "pk")


def previous_meeting(*, meeting: Meeting) -> Meeting | None:
    """The meeting of the same series just before this one, if any."""
    if meeting.series_id is None:
        return None
    return (
        Meeting.objects.filter(series_id=meeting.series_id, starts_at__lt=meeting.starts_at)
        .order_by("-starts_at")
        .first()
    )


def feed_meetings(*, now: datetime | None = None, series: Series | None = None) -> MeetingQuerySet:
    """What a public feed carries: every meeting from 90 days ago on, cancelled included."""
    now = now or timezone.now()
    meetings = Meeting.objects.filter(starts_at__gte=now - FEED_PAST).select_related("series")
    if series is not None:
        meetings = meetings.filter(series=series)
    return meetings.order_by("starts_at", "pk")


def feed_version(meetings: MeetingQuerySet) -> dict[str, object]:
    """One aggregate that changes whenever anything a feed of `meetings` shows changes."""
    return meetings.order_by().aggregate(
        count=Count("pk"),
        last_id=Max("pk"),
        updated=Max("updated_at"),
        series_updated=Max("series__updated_at"),
    )
