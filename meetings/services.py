"""Writes to the schedule: materialize series, schedule, move, edit and cancel meetings.

Every change a calendar shows (time, status, title, link) bumps the meeting's `sequence`,
and only such a change does. Members hear of changes through the reminder sweep, which
compares sequences; nothing here calls into `members`.

A meeting that someone answered or was sent a message about is in their calendar: it is
cancelled, never deleted, so they are sent the cancellation (`remove_meeting`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from copf.lib.dates import validate_supported_date

from .models import Meeting, ScheduleVersion, Series, default_horizon
from .selectors import is_held

CALENDAR_FIELDS = ("starts_at", "ends_at", "status", "title", "join_url")
UNCHANGED = object()


@dataclass(frozen=True)
class MaterializeResult:
    created: int = 0
    updated: int = 0
    removed: int = 0
    cancelled: int = 0


def materialize_series(
    *, series: Series, until: datetime | None = None, now: datetime | None = None
) -> MaterializeResult:
    """Make the rows of `series` match its rule from now until the horizon.

    Idempotent, keyed on (series, original_start). Meetings moved, cancelled or edited by
    hand (`detached`) are never touched. Untouched future meetings follow the series' title,
    link and duration; those the rule no longer produces are removed (`remove_meeting`).
    """
    now = now or timezone.now()
    until = until or now + default_horizon()
    starts = series.occurrences(after=now, before=until)
    rule_meetings = series.meetings.filter(is_extra=False, original_start__gte=now)
    # Looked at unlocked first: the daily run mostly finds nothing to do, and taking the
    # locks would move the schedule version, emptying every cached page, for nothing.
    if not _work(series, rule_meetings, starts=starts, until=until):
        return MaterializeResult()
    updated = removed = cancelled = 0
    with transaction.atomic():
        # Locks in the one order: the version, the series, its meetings (see `bump`).
        ScheduleVersion.objects.bump()
        # Lock the series row so two materializations of one series run one after the other.
        Series.objects.select_for_update().filter(pk=series.pk).first()
        work = _work(series, rule_meetings.select_for_update(), starts=starts, until=until)
        Meeting.objects.bulk_create(
            [
                Meeting(
                    series=series,
                    title=series.name,
                    starts_at=start,
                    ends_at=start + series.duration,
                    original_start=start,
                    join_url=series.join_url,
                )
                for start in work.new
            ],
            ignore_conflicts=True,
        )
        for meeting in work.follow:
            updated += _apply_changes(meeting, **_series_values(series, meeting))
        for meeting in work.remove:
            if remove_meeting(meeting=meeting):
                removed += 1
            else:
                cancelled += 1
    return MaterializeResult(
        created=len(work.new), updated=updated, removed=removed, cancelled=cancelled
    )


@dataclass(frozen=True)
class _Work:
    """What materializing a series has to do: starts to create, meetings to bring in line
    with the series, meetings the rule no longer produces."""

    new: list[datetime]
    follow: list[Meeting]
    remove: list[Meeting]

    def __bool__(self) -> bool:
        return bool(self.new or self.follow or self.remove)


def _work(
    series: Series, rule_meetings: Iterable[Meeting], *, starts: list[datetime], until: datetime
) -> _Work:
    existing = {meeting.original_start: meeting for meeting in rule_meetings}
    wanted = set(starts)
    follow, remove = [], []
    for original_start, meeting in existing.items():
        if meeting.detached:
            continue
        if original_start in wanted:
            values = _series_values(series, meeting)
            if any(getattr(meeting, name) != value for name, value in values.items()):
                follow.append(meeting)
        elif original_start < until:
            remove.append(meeting)
    return _Work(
        new=[start for start in starts if start not in existing], follow=follow, remove=remove
    )


def _series_values(series: Series, meeting: Meeting) -> dict[str, object]:
    """What a meeting the rule made takes from its series."""
    return {
        "title": series.name,
        "join_url": series.join_url,
        "ends_at": meeting.starts_at + series.duration,
    }


def materialize_all_series(*, now: datetime | None = None) -> dict[str, MaterializeResult]:
    return {
        series.slug: materialize_series(series=series, now=now)
        for series in Series.objects.order_by("pk")
    }


@transaction.atomic
def schedule_extra_meeting(
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime | None = None,
    duration: timedelta | None = None,
    series: Series | None = None,
    description: str = "",
    join_url: str = "",
    capacity: int | None = None,
) -> Meeting:
    """A one-off meeting, on its own or as an extra session of a series."""
    ends_at = _end_of(starts_at=starts_at, ends_at=ends_at, duration=duration, series=series)
    meeting = Meeting(
        series=series,
        is_extra=True,
        title=title,
        description=description,
        starts_at=starts_at,
        ends_at=ends_at,
        original_start=starts_at,
        join_url=join_url,
        capacity=capacity,
        detached=True,
    )
    meeting.full_clean()
    meeting.save()
    return meeting


@transaction.atomic
def move_meeting(
    *, meeting: Meeting, starts_at: datetime, ends_at: datetime | None = None
) -> Meeting:
    """Move one meeting; it keeps its length unless `ends_at` is given."""
    meeting = lock_meeting(meeting, changing=True)
    if meeting.is_cancelled:
        raise ValidationError("A cancelled meeting cannot be moved.")
    validate_supported_date(starts_at)
    ends_at = ends_at or starts_at + meeting.duration
    _check_times(starts_at, ends_at)
    _apply_changes(meeting, starts_at=starts_at, ends_at=ends_at, detach=True)
    return meeting


@transaction.atomic
def update_meeting(
    *,
    meeting: Meeting,
    title: str | None = None,
    description: str | None = None,
    join_url: str | None = None,
    capacity: object = UNCHANGED,
) -> Meeting:
    """Edit one meeting's details; the series rule leaves it alone from then on."""
    meeting = lock_meeting(meeting, changing=True)
    changes: dict[str, object] = {}
    if title is not None:
        changes["title"] = title
    if description is not None:
        changes["description"] = description
    if join_url is not None:
        changes["join_url"] = join_url
    if capacity is not UNCHANGED:
        changes["capacity"] = capacity
    _apply_changes(meeting, detach=True, **changes)
    return meeting


@transaction.atomic
def cancel_meeting(*, meeting: Meeting, message: str = "") -> Meeting:
    """Cancel one meeting, with the organizer's reason for the cancellation e-mail.
    Cancelling a cancelled meeting changes nothing."""
    meeting = lock_meeting(meeting, changing=True)
    if meeting.is_cancelled:
        return meeting
    _apply_changes(
        meeting,
        status=Meeting.Status.CANCELLED,
        cancellation_message=message.strip(),
        detach=True,
    )
    return meeting


@transaction.atomic
def remove_meeting(*, meeting: Meeting) -> bool:
    """Delete a meeting nobody holds; cancel one that someone does. True if deleted."""
    meeting = lock_meeting(meeting, changing=True)
    if is_held(meeting):
        _apply_changes(meeting, status=Meeting.Status.CANCELLED, detach=True)
        return False
    meeting.delete()
    return True


def _apply_changes(meeting: Meeting, *, detach: bool = False, **changes: object) -> bool:
    """Set the changed fields, bump `sequence` if a calendar shows any of them, save.

    With `detach`, a real change also marks the meeting as edited by hand, so the series
    rule leaves it alone from then on.
    """
    changed = [field for field, value in changes.items() if getattr(meeting, field) != value]
    if not changed:
        return False
    for field in changed:
        setattr(meeting, field, changes[field])
    if detach and not meeting.detached:
        meeting.detached = True
        changed.append("detached")
    if any(field in CALENDAR_FIELDS for field in changed):
        meeting.sequence += 1
        changed.append("sequence")
    meeting.save(update_fields=[*changed, "updated_at"])
    return True


def lock_meeting(meeting: Meeting, *, changing: bool = False) -> Meeting:
    """The meeting, fresh, with its row locked until commit: the one guard for everything
    that must happen one at a time per meeting (seats, sequences, edits).

    A transaction `changing` what visitors see bumps the schedule version, and takes that
    lock first (see `ScheduleVersion.objects.bump`); sending mail changes nothing and
    leaves the version alone.
    """
    if changing:
        ScheduleVersion.objects.bump()
    return (
        Meeting.objects.select_for_update(of=("self",)).select_related("series").get(pk=meeting.pk)
    )


def _end_of(
    *,
    starts_at: datetime,
    ends_at: datetime | None,
    duration: timedelta | None,
    series: Series | None,
) -> datetime:
    validate_supported_date(starts_at)
    if ends_at is None:
        if duration is None:
            duration = series.duration if series else timedelta(minutes=90)
        ends_at = starts_at + duration
    _check_times(starts_at, ends_at)
    return ends_at


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValueError("Meeting times must be aware datetimes.")
    if ends_at <= starts_at:
        raise ValidationError("A meeting must end after it starts.")
    if ends_at - starts_at > timedelta(hours=24):
        raise ValidationError("A meeting can last at most 24 hours.")
