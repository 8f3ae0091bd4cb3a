"""Reads of the schedule."""

from collections.abc import Iterable
from dataclasses import astuple, dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Count, Max, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .models import Meeting, MeetingQuerySet, Series

FEED_PAST = timedelta(days=90)


@dataclass(frozen=True)
class FeedVersion:
    """Everything a feed shows changes at least one of these."""

    count: int
    last_id: int | None
    updated: datetime | None
    series_updated: datetime | None

    def parts(self) -> tuple[object, ...]:
        return astuple(self)

    @property
    def last_modified(self) -> datetime | None:
        known = [moment for moment in (self.updated, self.series_updated) if moment]
        return max(known) if known else None


def upcoming_meetings(
    *, now: datetime | None = None, series: Series | None = None, viewer: object = None
) -> MeetingQuerySet:
    """Meetings that have not ended yet, soonest first, cancelled ones included.

    With a signed-in `viewer`, each meeting carries `viewer_rsvps`: their own answer, if any.
    """
    meetings = Meeting.objects.upcoming(now=now or timezone.now()).select_related("series")
    if series is not None:
        meetings = meetings.filter(series=series)
    return _with_viewer_answers(meetings, viewer).order_by("starts_at", "pk")


def meetings_for_viewer(*, ids: Iterable[int], viewer: object) -> MeetingQuerySet:
    """The meetings with these ids, with `viewer_rsvps` as `upcoming_meetings` gives."""
    meetings = Meeting.objects.filter(pk__in=ids).select_related("series")
    return _with_viewer_answers(meetings, viewer)


def _with_viewer_answers(meetings: MeetingQuerySet, viewer: object) -> MeetingQuerySet:
    if viewer is None or not viewer.is_authenticated:
        return meetings
    answers = Meeting.rsvps.field.model.objects.filter(user=viewer)
    return meetings.prefetch_related(Prefetch("rsvps", queryset=answers, to_attr="viewer_rsvps"))


def next_meeting_of_each_series(
    *, now: datetime | None = None, viewer: object = None
) -> MeetingQuerySet:
    """Each series' next meeting that is not cancelled and has not ended, in the series'
    order, with `seats_taken` (and `viewer_rsvps`, as `upcoming_meetings` gives)."""
    now = now or timezone.now()
    next_of_series = (
        Meeting.objects.upcoming(now=now)
        .filter(series=OuterRef("pk"), status=Meeting.Status.SCHEDULED)
        .order_by("starts_at", "pk")
        .values("pk")[:1]
    )
    taken = Meeting.rsvps.field.model.objects.holding_seats().filter(meeting=OuterRef("pk"))
    return (
        upcoming_meetings(now=now, viewer=viewer)
        .filter(pk__in=Series.objects.annotate(next_id=Subquery(next_of_series)).values("next_id"))
        .annotate(
            seats_taken=Coalesce(
                Subquery(
                    taken.order_by().values("meeting").annotate(count=Count("pk")).values("count")
                ),
                0,
            )
        )
        .order_by("series__start_time", "series__name")
    )


def meetings_between(*, start: datetime, end: datetime) -> MeetingQuerySet:
    """Meetings starting in [start, end), cancelled ones included, soonest first."""
    meetings = Meeting.objects.filter(starts_at__gte=start, starts_at__lt=end).select_related(
        "series"
    )
    return meetings.order_by("starts_at", "pk")


def is_held(meeting: Meeting) -> bool:
    """Has anyone answered this meeting, or been sent a message about it? Then it is in
    their calendar, and may be cancelled but never deleted."""
    return meeting.rsvps.exists() or meeting.deliveries.exists()


def seats_taken(meeting: Meeting) -> int:
    """Yes answers holding a seat (not waiting for one)."""
    return meeting.rsvps.holding_seats().count()


def meetings_over_capacity(
    *, series: Series, capacity: int, now: datetime | None = None
) -> MeetingQuerySet:
    """Coming meetings of `series` that would hold more than `capacity` seats under it, soonest
    first, each with `seats_taken`. Cancelled meetings and those with their own capacity are
    left out: the series' capacity does not apply to them."""
    taken = (
        Meeting.rsvps.field.model.objects.holding_seats()
        .filter(meeting=OuterRef("pk"))
        .order_by()
        .values("meeting")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        Meeting.objects.upcoming(now=now or timezone.now())
        .filter(series=series, capacity__isnull=True, status=Meeting.Status.SCHEDULED)
        .annotate(seats_taken=Coalesce(Subquery(taken), 0))
        .filter(seats_taken__gt=capacity)
        .order_by("starts_at", "pk")
    )


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


def feed_version(meetings: MeetingQuerySet) -> FeedVersion:
    """One aggregate that changes whenever anything a feed of `meetings` shows changes."""
    return FeedVersion(
        **meetings.order_by().aggregate(
            count=Count("pk"),
            last_id=Max("pk"),
            updated=Max("updated_at"),
            series_updated=Max("series__updated_at"),
        )
    )


# Hand-written because feeds are polled all day: the ORM spends three times longer
# building this aggregate than the database spends answering it.
PUBLIC_FEED_VERSION_SQL = """
    SELECT COUNT(m.id), MAX(m.id), MAX(m.updated_at), MAX(s.updated_at)
    FROM meetings_meeting m LEFT OUTER JOIN meetings_series s ON s.id = m.series_id
    WHERE m.starts_at >= %s {series_filter}
"""


def public_feed_version(
    *, now: datetime | None = None, series: Series | None = None
) -> FeedVersion:
    """What `feed_version(feed_meetings(...))` says, in one raw query."""
    since = (now or timezone.now()) - FEED_PAST
    params: list[object] = [connection.ops.adapt_datetimefield_value(since)]
    series_filter = ""
    if series is not None:
        series_filter, params = "AND m.series_id = %s", [*params, series.pk]
    with connection.cursor() as cursor:
        cursor.execute(PUBLIC_FEED_VERSION_SQL.format(series_filter=series_filter), params)
        count, last_id, updated, series_updated = cursor.fetchone()
    return FeedVersion(
        count=count,
        last_id=last_id,
        updated=_as_datetime(updated),
        series_updated=_as_datetime(series_updated),
    )


def _as_datetime(value: object) -> datetime | None:
    """Raw SQLite rows hold text; PostgreSQL hands back datetimes."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(str(value))
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)
