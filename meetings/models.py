import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import connections, models, transaction
from django.db.models.signals import pre_delete, pre_save
from django.dispatch import Signal
from django.urls import reverse

from copf.lib.dates import is_supported_date, validate_supported_date
from copf.lib.text import LineField, ParagraphsField
from copf.lib.timezones import CanonicalTimeZoneField

from . import recurrence

UTC = ZoneInfo("UTC")
# Members can open the call this long before the start: time to find the link and settle.
JOIN_OPENS_BEFORE = timedelta(minutes=15)
# What the seed gives CoP-F East and West until an organizer enters the real call address.
# example.org is reserved for examples, so it can never reach someone's call; it counts as
# no address at all wherever a member would follow it.
PLACEHOLDER_JOIN_URL = "https://example.org/replace-with-your-call-link"


class Series(models.Model):
    """A recurring meeting: a rule expanded in its anchor zone, stored as UTC meetings."""

    slug = models.SlugField(max_length=60, unique=True)
    name = LineField(max_length=120)
    description = ParagraphsField(blank=True)
    rrule = models.CharField(
        "recurrence rule",
        max_length=255,
        help_text="RFC 5545 RRULE, for example FREQ=MONTHLY;BYDAY=2MO (at most daily).",
    )
    anchor_timezone = CanonicalTimeZoneField(
        default="UTC",
        help_text="The rule and start time are kept in this zone's wall-clock time.",
    )
    start_date = models.DateField(
        help_text="The first meeting, in the anchor zone.",
        validators=[validate_supported_date],
    )
    start_time = models.TimeField(help_text="Wall-clock start time in the anchor zone.")
    duration = models.DurationField(
        default=timedelta(minutes=90),
        validators=[MinValueValidator(timedelta(minutes=5))],
    )
    join_url = models.URLField("join link", max_length=500, blank=True)
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seats per meeting; empty means no limit."
    )
    harvests_public = models.BooleanField(
        "harvests are public",
        default=True,
        help_text="Published harvests are for everyone; otherwise for signed-in members only.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start_time", "name"]
        verbose_name_plural = "series"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration__gt=timedelta(0)), name="series_duration_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("meetings:series_detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        super().clean()
        if self.duration is not None and self.duration > timedelta(hours=24):
            raise ValidationError({"duration": "A meeting can last at most 24 hours."})
        if not self.rrule or self.start_date is None or self.start_time is None:
            return
        if not is_supported_date(self.start_date):
            return  # the start date's own validator says why
        try:
            self.rrule = recurrence.normalize_rule(self.rrule)
            recurrence.validate_series_rule(
                self.rrule,
                start_date=self.start_date,
                start_time=self.start_time,
                anchor=self.anchor_zone,
            )
        except recurrence.RuleError as error:
            raise ValidationError({"rrule": str(error)}) from error

    @property
    def anchor_zone(self) -> ZoneInfo:
        zone = self.anchor_timezone
        return zone if isinstance(zone, ZoneInfo) else ZoneInfo(str(zone))

    def occurrences(self, *, after: datetime, before: datetime) -> list[datetime]:
        """UTC start instants of the rule in [after, before)."""
        return recurrence.expand(
            self.rrule,
            start_date=self.start_date,
            start_time=self.start_time,
            anchor=self.anchor_zone,
            after=after,
            before=before,
        )


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def upcoming(self, *, now: datetime) -> "MeetingQuerySet":
        return self.filter(ends_at__gt=now)

    def past(self, *, now: datetime) -> "MeetingQuerySet":
        return self.filter(ends_at__lte=now)


class Meeting(models.Model):
    """One concrete meeting. `original_start` is its RECURRENCE-ID and never changes."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.CASCADE, related_name="meetings"
    )
    is_extra = models.BooleanField(
        default=False, help_text="Scheduled by hand rather than produced by the series rule."
    )
    title = LineField(max_length=200)
    description = ParagraphsField(blank=True)
    starts_at = models.DateTimeField(validators=[validate_supported_date])
    ends_at = models.DateTimeField()
    original_start = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    sequence = models.PositiveIntegerField(default=0)
    cancellation_message = ParagraphsField(
        blank=True, help_text="Why it was cancelled, in the organizer's words, for the e-mail."
    )
    join_url = models.URLField("join link", max_length=500, blank=True)
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seats; empty means the series' capacity applies."
    )
    detached = models.BooleanField(
        default=False,
        help_text="Moved, cancelled or edited by hand: the series rule no longer updates it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["starts_at"]), models.Index(fields=["ends_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "original_start"],
                condition=models.Q(is_extra=False),
                name="meeting_unique_occurrence",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="meeting_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(is_extra=True) | models.Q(series__isnull=False),
                name="meeting_without_series_is_extra",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"

    def get_absolute_url(self) -> str:
        return reverse("meetings:meeting_detail", kwargs={"pk": self.pk})

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    def local_start(self, zone: ZoneInfo) -> datetime:
        return self.starts_at.astimezone(zone)

    def local_end(self, zone: ZoneInfo) -> datetime:
        return self.ends_at.astimezone(zone)

    @property
    def effective_capacity(self) -> int | None:
        if self.capacity is not None:
            return self.capacity
        return self.series.capacity if self.series_id else None

    @property
    def join_opens_at(self) -> datetime:
        return self.starts_at - JOIN_OPENS_BEFORE

    def is_join_open(self, now: datetime) -> bool:
        return not self.is_cancelled and self.join_opens_at <= now < self.ends_at

    @property
    def effective_join_url(self) -> str:
        url = self.join_url or (self.series.join_url if self.series_id else "")
        return "" if url == PLACEHOLDER_JOIN_URL else url


def organizer_permissions() -> list[str]:
    """Codenames of what the Organizers group may do: manage series and meetings."""
    return [
        f"{action}_{model}"
        for model in ("series", "meeting")
        for action in ("add", "change", "delete", "view")
    ]


def default_horizon() -> timedelta:
    return timedelta(days=settings.MEETING_HORIZON_DAYS)


# Sent when the schedule changed: right away (so this thread sees it) and again once the
# change committed (so every thread of this process does). Receivers drop what they memoized.
schedule_changed = Signal()


CURRENT_VERSION_SQL = "SELECT value FROM meetings_scheduleversion WHERE id = %s"


class ScheduleVersionManager(models.Manager["ScheduleVersion"]):
    def current(self) -> int:
        """The version of everything a visitor can see of the schedule: one read by
        primary key, in SQL of its own because every cached page asks it."""
        with connections[self.db].cursor() as cursor:
            cursor.execute(CURRENT_VERSION_SQL, [ScheduleVersion.ROW])
            row = cursor.fetchone()
        return row[0] if row else self._start()

    def bump(self) -> None:
        """Move the version on, inside the caller's transaction.

        Bumped in the same transaction as the change, with `value + 1` in the database, so
        that every web process on every machine agrees on it the moment the change commits,
        and a rolled-back change leaves it alone. (A cache key set in `on_commit` would be
        lost if the process died between the commit and the callback, and would not move in
        tests, which run inside one transaction.)

        The row stays locked until the commit, so every transaction that bumps takes this
        lock before any other: the version, then a series, then meetings. A writer that
        locked a meeting first and bumped after could deadlock on PostgreSQL with one that
        saved a series (which bumps) and then locked its meetings. Saves and deletes of
        meetings and series bump before they write (`pre_save`); services that lock rows
        bump first.
        """
        if not self.filter(pk=ScheduleVersion.ROW).update(value=models.F("value") + 1):
            self._start()
        schedule_changed.send(sender=ScheduleVersion)
        transaction.on_commit(lambda: schedule_changed.send(sender=ScheduleVersion))

    def _start(self) -> int:
        """A missing row (a new or emptied database) starts from the clock, in microseconds:
        a value no earlier state of the schedule can have had, so no page cached before
        the reset is ever taken for a page of now."""
        value = time.time_ns() // 1000
        version, _ = self.get_or_create(pk=ScheduleVersion.ROW, defaults={"value": value})
        return version.value


class ScheduleVersion(models.Model):
    """One row whose value moves on every change a visitor could see: a meeting or a series
    saved or deleted, an answer changing a count. Cached pages are keyed on it."""

    ROW = 1

    value = models.PositiveBigIntegerField(default=0)

    objects = ScheduleVersionManager()

    def __str__(self) -> str:
        return f"schedule version {self.value}"


def _schedule_row_changing(**kwargs: object) -> None:
    if not kwargs.get("raw"):
        ScheduleVersion.objects.bump()


# Signals rather than calls in each service: the admin and cascades save and delete too.
# Before the write, not after: the version's lock comes before the row's (see `bump`).
for _model in (Series, Meeting):
    pre_save.connect(_schedule_row_changing, sender=_model, dispatch_uid=f"version-{_model}")
    pre_delete.connect(_schedule_row_changing, sender=_model, dispatch_uid=f"version-d{_model}")
