"""Reads of the schedule."""

from collections.abc import Iterable
from dataclasses import astuple, dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.db.models.query import prefetch_related_objects
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .models import Meeting, MeetingQuerySet, Series

FEED_PAST = timedelta(days=90)


@dataclass(frozen=True)
class FeedVersion:
    """Everything a feed shows changes at least one of these.

    Role holders and the agenda change a DESCRIPTION without touching the meeting: a role
    taken or given back changes how many are held or the newest one's time, an agenda item
    proposed, decided, moved or withdrawn how many there are or the newest change.
    """

    count: int
    last_id: int | None
    updated: datetime | None
    series_updated: datetime | None
    roles_held: int | None = None
    roles_changed: datetime | None = None
    agenda_items: int | None = None
    agenda_changed: datetime | None = None

    def parts(self) -> tuple[object, ...]:
        return astuple(self)

    @property
    def last_modified(self) -> datetime | None:
        moments = (self.updated, self.series_updated, self.roles_changed, self.agenda_changed)
        known = [moment for moment in moments if moment]
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
    return (
        upcoming_meetings(now=now, viewer=viewer)
        .filter(pk__in=Series.objects.annotate(next_id=Subquery(next_of_series)).values("next_id"))
        .annotate(seats_taken=_seats_taken())
        .order_by("series__start_time", "series__name")
    )


def _seats_taken() -> Coalesce:
    """Per meeting, the yes answers holding a seat (not waiting for one)."""
    taken = Meeting.rsvps.field.model.objects.holding_seats().filter(meeting=OuterRef("pk"))
    return Coalesce(
        Subquery(taken.order_by().values("meeting").annotate(count=Count("pk")).values("count")),
        0,
    )


def embedded_meetings(
    *, count: int, series: Series | None = None, now: datetime | None = None
) -> list[Meeting]:
    """The next `count` meetings (of `series`, or of all) that have not ended, cancelled ones
    included, each with `seats_taken`: what an embedded schedule shows."""
    meetings = upcoming_meetings(now=now, series=series).annotate(seats_taken=_seats_taken())
    return list(meetings[:count])


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
    """What a public feed carries: every meeting from 90 days ago on, cancelled included,
    each with `has_practice` (for `with_practice`)."""
    now = now or timezone.now()
    meetings = (
        Meeting.objects.filter(starts_at__gte=now - FEED_PAST)
        .select_related("series")
        .annotate(has_practice=_has_practice())
    )
    if series is not None:
        meetings = meetings.filter(series=series)
    return meetings.order_by("starts_at", "pk")


# The models of the practice in a meeting, reached through its reverse relations: this
# layer imports no members module (design.md, layers).
def _assignments():
    return Meeting.role_assignments.field.model.objects.order_by()


def _agenda_items():
    return Meeting.agenda_items.field.model.objects.order_by()


def _accepted() -> Q:
    return Q(status=Meeting.agenda_items.field.model.Status.ACCEPTED)


def _has_practice() -> Exists:
    """Does the meeting have a role holder or an accepted agenda item?"""
    return Exists(_assignments().filter(meeting=OuterRef("pk"))) | Exists(
        _agenda_items().filter(_accepted(), meeting=OuterRef("pk"))
    )


def with_practice(meetings: Iterable[Meeting]) -> list[Meeting]:
    """The meetings with their roles, holders and accepted agenda loaded for the calendar's
    DESCRIPTION (`ical.practice_of`): four queries for all, and none where no meeting
    has any (each carries `has_practice`, as `feed_meetings` gives it)."""
    meetings = list(meetings)
    practised = [meeting for meeting in meetings if getattr(meeting, "has_practice", True)]
    rest = [meeting for meeting in meetings if not getattr(meeting, "has_practice", True)]
    assignments, items = _assignments(), _agenda_items().filter(_accepted())
    roles = Meeting.roles.field.model.objects.all()
    for group, empty in ((practised, False), (rest, True)):
        # Where nothing is held or accepted, empty querysets fill the caches without a query.
        prefetch_related_objects(
            group,
            Prefetch(
                "role_assignments",
                (assignments.none() if empty else assignments.select_related("user")).order_by(
                    "created_at", "pk"
                ),
            ),
            Prefetch(
                "agenda_items",
                (items.none() if empty else items.select_related("proposer")).order_by(
                    "position", "created_at", "pk"
                ),
            ),
            Prefetch("roles", roles.none() if empty else roles),
        )
        prefetch_related_objects(
            [meeting.series for meeting in group if meeting.series_id],
            Prefetch("roles", roles.none() if empty else roles),
        )
    return meetings


def feed_version(meetings: MeetingQuerySet) -> FeedVersion:
    """One aggregate that changes whenever anything a feed of `meetings` shows changes."""
    return FeedVersion(
        **meetings.annotate(**_practice_stamps())
        .order_by()
        .aggregate(
            count=Count("pk"),
            last_id=Max("pk"),
            updated=Max("updated_at"),
            series_updated=Max("series__updated_at"),
            roles_held=Sum("meeting_roles_held"),
            roles_changed=Max("meeting_roles_changed"),
            agenda_items=Sum("meeting_agenda_items"),
            agenda_changed=Max("meeting_agenda_changed"),
        )
    )


def _practice_stamps() -> dict[str, Subquery]:
    """Per meeting, how many roles are held and the newest taken, how many agenda items
    there are and the newest change: what `FeedVersion` adds up for the practice."""
    held = _assignments().filter(meeting=OuterRef("pk")).values("meeting")
    items = _agenda_items().filter(meeting=OuterRef("pk")).values("meeting")
    return {
        "meeting_roles_held": Subquery(held.annotate(value=Count("pk")).values("value")),
        "meeting_roles_changed": Subquery(held.annotate(value=Max("created_at")).values("value")),
        "meeting_agenda_items": Subquery(items.annotate(value=Count("pk")).values("value")),
        "meeting_agenda_changed": Subquery(items.annotate(value=Max("updated_at")).values("value")),
    }


def meeting_with_version(pk: int) -> Meeting | None:
    """One meeting, with what `FeedVersion` adds for the practice (`meeting_roles_held`
    ...) in the same query."""
    return (
        Meeting.objects.select_related("series")
        .annotate(**_practice_stamps())
        .filter(pk=pk)
        .first()
    )


# Hand-written because feeds are polled all day: the ORM spends three times longer
# building this aggregate than the database spends answering it. The practice joins in
# once per meeting, counted in its own table first.
PUBLIC_FEED_VERSION_SQL = """
    SELECT COUNT(m.id), MAX(m.id), MAX(m.updated_at), MAX(s.updated_at),
        SUM(r.held), MAX(r.changed), SUM(a.items), MAX(a.changed)
    FROM meetings_meeting m
    LEFT OUTER JOIN meetings_series s ON s.id = m.series_id
    LEFT OUTER JOIN (
        SELECT meeting_id, COUNT(id) AS held, MAX(created_at) AS changed
        FROM {assignments} GROUP BY meeting_id
    ) r ON r.meeting_id = m.id
    LEFT OUTER JOIN (
        SELECT meeting_id, COUNT(id) AS items, MAX(updated_at) AS changed
        FROM {agenda_items} GROUP BY meeting_id
    ) a ON a.meeting_id = m.id
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
    sql = PUBLIC_FEED_VERSION_SQL.format(
        series_filter=series_filter,
        assignments=connection.ops.quote_name(_assignments().model._meta.db_table),
        agenda_items=connection.ops.quote_name(_agenda_items().model._meta.db_table),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count, last_id, updated, series_updated, held, held_changed, items, items_changed = (
            cursor.fetchone()
        )
    return FeedVersion(
        count=count,
        last_id=last_id,
        updated=_as_datetime(updated),
        series_updated=_as_datetime(series_updated),
        roles_held=held,
        roles_changed=_as_datetime(held_changed),
        agenda_items=items,
        agenda_changed=_as_datetime(items_changed),
    )


def _as_datetime(value: object) -> datetime | None:
    """Raw SQLite rows hold text; PostgreSQL hands back datetimes."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(str(value))
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)
