"""Insights for organizers: is the community of practice alive, per track and per month?

Every figure is an aggregate the database computes, but for first-timers, which one window
query gives as each member's first two visits to each track; the number of queries is the
same however many members and meetings there are (eleven, guarded in the tests). Months are
UTC months. Only held meetings count: scheduled (not cancelled) and already started.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber, TruncMonth

from meetings.models import Meeting, Series

from .models import Attendance, RoleAssignment, Rsvp, User
from .practice.access import FACILITATOR
from .practice.places import roles_for

# The definitions the page states in words; change them here only.
RETURN_WINDOW = timedelta(days=90)  # a first-timer "returned" if they came again within this
REGULAR_MONTHS = 6  # a regular came to at least REGULAR_MEETINGS meetings of a track
REGULAR_MEETINGS = 3  # in the REGULAR_MONTHS months before the end of the period
NIGHT_STARTS, NIGHT_ENDS = time(22, 0), time(7, 0)  # a local start in [22:00, 07:00) is at night
MAX_MONTHS = 36


@dataclass(frozen=True)
class Period:
    """Whole UTC months, `first` to `last` (both the first day of their month)."""

    first: date
    last: date

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=UTC)

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(add_months(self.last, 1), time(), tzinfo=UTC)

    @property
    def months(self) -> list[date]:
        months, month = [], self.first
        while month <= self.last:
            months.append(month)
            month = add_months(month, 1)
        return months


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def last_months(*, now: datetime, count: int = 12) -> Period:
    this_month = now.astimezone(UTC).date().replace(day=1)
    return Period(first=add_months(this_month, 1 - count), last=this_month)


@dataclass
class Month:
    month: date
    meetings: int = 0
    attendance: int = 0  # present rows
    yes: int = 0  # yes answers with a seat
    yes_counted: int = 0  # of those, in meetings where attendance was taken
    came: int = 0  # of those, the member was present
    waited: int = 0  # yes answers that were on the waitlist (still, or until promoted)
    promoted: int = 0
    first_timers: int = 0
    returned: int = 0  # first-timers who came again within RETURN_WINDOW
    covered: int = 0  # held meetings with every role filled
    regulars: int = 0  # members who came REGULAR_MEETINGS times in the months up to this one

    @property
    def show_rate(self) -> float | None:
        return self.came / self.yes_counted if self.yes_counted else None

    @property
    def retention(self) -> float | None:
        return self.returned / self.first_timers if self.first_timers else None

    @property
    def coverage(self) -> float | None:
        return self.covered / self.meetings if self.meetings else None


@dataclass(frozen=True)
class Band:
    """Members in one UTC offset, and the local time at which the track starts for them."""

    offset: timedelta
    members: int
    attendees: int
    local_start: time

    @property
    def label(self) -> str:
        return offset_label(self.offset)

    @property
    def at_night(self) -> bool:
        return is_night(self.local_start)

    @property
    def world(self) -> str:
        return world_band(self.offset)


@dataclass
class Track:
    series: Series | None  # None: extra meetings without a series
    months: list[Month]
    facilitators: int = 0  # distinct members who facilitated in the period
    starts_at: datetime | None = None  # the start the bands are computed at
    bands: list[Band] = field(default_factory=list)

    @property
    def regulars(self) -> int:
        """Regulars at the end of the period."""
        return self.months[-1].regulars if self.months else 0

    @property
    def totals(self) -> Month:
        total = Month(month=self.months[0].month if self.months else date.min)
        for month in self.months:
            for name in (
                "meetings",
                "attendance",
                "yes",
                "yes_counted",
                "came",
                "waited",
                "promoted",
                "first_timers",
                "returned",
                "covered",
            ):
                setattr(total, name, getattr(total, name) + getattr(month, name))
        return total


@dataclass
class Insights:
    period: Period
    tracks: list[Track]


def offset_label(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def is_night(local: time) -> bool:
    return local >= NIGHT_STARTS or local < NIGHT_ENDS


WORLD_BANDS = ("americas", "europe-africa", "asia-oceania")


def world_band(offset: timedelta) -> str:
    """The Americas (UTC−12 to −03), Europe, Africa and the Middle East (−02 to +04), Asia
    and Oceania (above +04)."""
    hours = offset.total_seconds() / 3600
    if hours <= -3:
        return "americas"
    if hours <= 4:
        return "europe-africa"
    return "asia-oceania"


# --- the selector -----------------------------------------------------------------------


def insights(*, period: Period, now: datetime, series: Series | None = None) -> Insights:
    """Every track's figures for the period. A dozen queries, whatever the data."""
    held = Meeting.objects.filter(
        status=Meeting.Status.SCHEDULED,
        starts_at__gte=period.starts_at,
        starts_at__lt=min(period.ends_at, now),
    )
    if series is not None:
        held = held.filter(series=series)
    month_of = TruncMonth("starts_at", tzinfo=UTC)

    meetings = list(held.annotate(month=month_of).only("pk", "series_id", "starts_at"))
    figures: dict[int | None, dict[date, Month]] = defaultdict(dict)

    def cell(track: int | None, month: date | datetime) -> Month:
        month = month.date() if isinstance(month, datetime) else month
        return figures[track].setdefault(month, Month(month=month))

    for meeting in meetings:
        cell(meeting.series_id, meeting.month).meetings += 1

    present = Attendance.objects.filter(meeting__in=held, present=True)
    for row in present.values(
        "meeting__series", month=TruncMonth("meeting__starts_at", tzinfo=UTC)
    ).annotate(count=Count("pk")):
        cell(row["meeting__series"], row["month"]).attendance = row["count"]

    _answers(held, cell)
    _cohorts(cell, since=period.starts_at, until=min(period.ends_at, now), series=series)
    _coverage(meetings, cell)
    for (series_id, month), count in regulars_by_month(
        period=period, now=now, series=series
    ).items():
        cell(series_id, month).regulars = count

    tracks = _tracks(series, figures, period)
    by_id = {track.series.pk if track.series else None: track for track in tracks}
    for row in (
        RoleAssignment.objects.filter(meeting__in=held, role=FACILITATOR)
        .values("meeting__series")
        .annotate(count=Count("user", distinct=True))
    ):
        if row["meeting__series"] in by_id:
            by_id[row["meeting__series"]].facilitators = row["count"]
    _bands(tracks, held=held, period=period)
    return Insights(period=period, tracks=tracks)


def _answers(held, cell) -> None:
    taken = Attendance.objects.filter(meeting=OuterRef("meeting"))
    came = taken.filter(user=OuterRef("user"), present=True)
    rows = (
        Rsvp.objects.filter(meeting__in=held, response=Rsvp.Response.YES)
        .annotate(taken=Exists(taken), came=Exists(came))
        .values("meeting__series", month=TruncMonth("meeting__starts_at", tzinfo=UTC))
        .annotate(
            yes=Count("pk", filter=Q(waitlisted_at__isnull=True)),
            yes_counted=Count("pk", filter=Q(waitlisted_at__isnull=True, taken=True)),
            came=Count("pk", filter=Q(waitlisted_at__isnull=True, taken=True, came=True)),
            waited=Count(
                "pk", filter=Q(waitlisted_at__isnull=False) | Q(promoted_at__isnull=False)
            ),
            promoted=Count("pk", filter=Q(promoted_at__isnull=False)),
        )
    )
    for row in rows:
        month = cell(row["meeting__series"], row["month"])
        for name in ("yes", "yes_counted", "came", "waited", "promoted"):
            setattr(month, name, row[name])


def _cohorts(cell, *, since: datetime, until: datetime, series: Series | None) -> None:
    """First visits to a track in the period, by month, and how many came back. Each
    member's first two visits to each track come from one window query (two rows at most
    per member and track, however often they came); the months are counted here."""
    visits = Attendance.objects.filter(
        present=True, user__isnull=False, meeting__status=Meeting.Status.SCHEDULED
    )
    if series is not None:
        visits = visits.filter(meeting__series=series)
    visits = (
        visits.annotate(
            visit=Window(
                RowNumber(),
                partition_by=[F("user_id"), F("meeting__series_id")],
                order_by=[F("meeting__starts_at").asc(), F("pk").asc()],
            )
        )
        .filter(visit__lte=2)
        .values_list("user_id", "meeting__series_id", "meeting__starts_at", "visit")
    )
    firsts: dict[tuple[int, int], datetime] = {}
    seconds: dict[tuple[int, int], datetime] = {}
    for user_id, series_id, starts_at, visit in visits:
        (firsts if visit == 1 else seconds)[user_id, series_id] = starts_at
    for key, first in firsts.items():
        if not since <= first < until:
            continue
        month = cell(key[1], first.astimezone(UTC).date().replace(day=1))
        month.first_timers += 1
        second = seconds.get(key)
        month.returned += bool(second and second <= first + RETURN_WINDOW)


def _coverage(meetings: list[Meeting], cell) -> None:
    roles = roles_for(meetings)
    held: dict[tuple[int, str], int] = {
        (row["meeting"], row["role"]): row["count"]
        for row in RoleAssignment.objects.filter(meeting__in=[m.pk for m in meetings])
        .values("meeting", "role")
        .annotate(count=Count("pk"))
    }
    for meeting in meetings:
        needed = roles[meeting.pk]
        if needed and all(held.get((meeting.pk, role.slug), 0) >= role.places for role in needed):
            cell(meeting.series_id, meeting.month).covered += 1


def regulars_by_month(
    *, period: Period, now: datetime, series: Series | None = None
) -> dict[tuple[int | None, date], int]:
    """Per track and month of the period, members who came to at least REGULAR_MEETINGS
    held meetings in the REGULAR_MONTHS months up to and including that month. One query:
    each member's visits per track and month; the windows are counted here."""
    visits = Attendance.objects.filter(
        present=True,
        user__isnull=False,
        meeting__status=Meeting.Status.SCHEDULED,
        meeting__starts_at__gte=datetime.combine(
            add_months(period.first, 1 - REGULAR_MONTHS), time(), tzinfo=UTC
        ),
        meeting__starts_at__lt=min(period.ends_at, now),
    )
    if series is not None:
        visits = visits.filter(meeting__series=series)
    per_member: dict[tuple[int | None, int], dict[date, int]] = defaultdict(dict)
    for row in visits.values(
        "meeting__series", "user", month=TruncMonth("meeting__starts_at", tzinfo=UTC)
    ).annotate(visits=Count("meeting", distinct=True)):
        month = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
        per_member[row["meeting__series"], row["user"]][month] = row["visits"]
    counts: dict[tuple[int | None, date], int] = defaultdict(int)
    for (series_id, _user), months in per_member.items():
        for month in period.months:
            window = (add_months(month, -back) for back in range(REGULAR_MONTHS))
            if sum(months.get(each, 0) for each in window) >= REGULAR_MEETINGS:
                counts[series_id, month] += 1
    return dict(counts)


def regulars(
    *, period: Period, now: datetime, series: Series | None = None
) -> dict[int | None, int]:
    """Per track, the regulars at the end of the period (`regulars_by_month`)."""
    return {
        series_id: count
        for (series_id, month), count in regulars_by_month(
            period=period, now=now, series=series
        ).items()
        if month == period.last
    }


def _tracks(series: Series | None, figures, period: Period) -> list[Track]:
    chosen = [series] if series is not None else list(Series.objects.order_by("name", "pk"))
    tracks = [
        Track(
            series=one,
            months=[figures[one.pk].get(month, Month(month=month)) for month in period.months],
        )
        for one in chosen
    ]
    if series is None and None in figures:
        tracks.append(
            Track(
                series=None,
                months=[figures[None].get(month, Month(month=month)) for month in period.months],
            )
        )
    return tracks


def track_start(series: Series, *, period: Period) -> datetime:
    """The track's start on the 15th of the period's last month, in UTC: the instant the
    bands' offsets are computed at (so summer time is that of the end of the period)."""
    day = period.last.replace(day=15)
    local = datetime.combine(day, series.start_time, tzinfo=series.anchor_zone)
    return local.astimezone(UTC)


def zone_offsets(zones: set[str], *, at: datetime) -> dict[str, timedelta]:
    """The UTC offset of each zone at an instant: once per zone, not per member."""
    offsets = {}
    for name in zones:
        try:
            offsets[name] = at.astimezone(ZoneInfo(name)).utcoffset() or timedelta()
        except (ValueError, KeyError, OSError):
            offsets[name] = timedelta()
    return offsets


def _bands(tracks: list[Track], *, held, period: Period) -> None:
    members = {
        str(row["timezone"]): row["count"]
        for row in User.objects.filter(is_active=True)
        .values("timezone")
        .annotate(count=Count("pk"))
        .order_by()
    }
    attendees: dict[int | None, dict[str, int]] = defaultdict(dict)
    for row in (
        Attendance.objects.filter(meeting__in=held, present=True, user__isnull=False)
        .values("meeting__series", "user__timezone")
        .annotate(count=Count("user", distinct=True))
        .order_by()
    ):
        attendees[row["meeting__series"]][str(row["user__timezone"])] = row["count"]
    for track in tracks:
        if track.series is None:
            continue
        track.starts_at = track_start(track.series, period=period)
        seen = attendees.get(track.series.pk, {})
        offsets = zone_offsets(set(members) | set(seen), at=track.starts_at)
        by_offset: dict[timedelta, list[int]] = defaultdict(lambda: [0, 0])
        for zone, offset in offsets.items():
            by_offset[offset][0] += members.get(zone, 0)
            by_offset[offset][1] += seen.get(zone, 0)
        track.bands = [
            Band(
                offset=offset,
                members=counts[0],
                attendees=counts[1],
                local_start=(track.starts_at + offset).time(),
            )
            for offset, counts in sorted(by_offset.items())
        ]
