import secrets

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower

from copf.lib.text import LineField
from copf.lib.timezones import CanonicalTimeZoneField

CALENDAR_ALERT_CHOICES = [
    (10, "10 minutes before"),
    (30, "30 minutes before"),
    (60, "1 hour before"),
    (1440, "1 day before"),
]


def new_feed_token() -> str:
    """The secret in a personal feed's URL: 256 random bits."""
    return secrets.token_urlsafe(32)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields: object) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(
        self, email: str, password: str | None = None, **extra_fields: object
    ) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None, **extra_fields: object) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if extra_fields["is_staff"] is not True or extra_fields["is_superuser"] is not True:
            raise ValueError("A superuser must have is_staff=True and is_superuser=True.")
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email__iexact=username)


class User(AbstractUser):
    """A member. The e-mail address is the login; there is no username."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("e-mail address", unique=True)
    display_name = LineField(max_length=100, blank=True)
    timezone = CanonicalTimeZoneField(default="UTC")
    reminders_enabled = models.BooleanField(
        "send me reminders", default=True, help_text="The off switch for every reminder."
    )
    remind_day_before = models.BooleanField("one day before", default=True)
    remind_hour_before = models.BooleanField("one hour before", default=True)
    remind_followed_series = models.BooleanField(
        "also for meetings of series I follow",
        default=True,
        help_text="Otherwise only for meetings you answered yes or maybe.",
    )
    notify_extra_meetings = models.BooleanField("tell me about extra meetings", default=False)
    nudge_open_roles = models.BooleanField(
        "ask me to take an open role",
        default=False,
        help_text=(
            "When a meeting you follow or said yes to still needs a facilitator or a "
            "harvester, a week and two days before."
        ),
    )
    receive_harvests = models.BooleanField(
        "send me the harvest",
        default=False,
        help_text="What was practised and learnt, once published, for meetings you said yes to.",
    )
    email_enabled = models.BooleanField(
        "send me e-mail about meetings",
        default=True,
        help_text="Invitations, updates, cancellations and reminders. Account e-mail still comes.",
    )
    calendar_alert_minutes = models.PositiveIntegerField(
        "calendar alerts",
        null=True,
        blank=True,
        choices=CALENDAR_ALERT_CHOICES,
        help_text="An alert on each meeting in your personal calendar feed.",
    )
    feed_token = models.CharField(
        max_length=64, unique=True, default=new_feed_token, editable=False
    )
    # An answer given before the member could answer (while signing up, or before
    # confirming their address), applied once they can.
    pending_meeting = models.ForeignKey(
        "meetings.Meeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pending_response = models.CharField(max_length=5, blank=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="members_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email


class Follow(models.Model):
    """A member follows a series: its meetings come to their calendar and reminders."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="follows")
    series = models.ForeignKey("meetings.Series", on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "series"], name="follow_once_per_series"),
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.series}"


class RsvpResponse(models.TextChoices):
    YES = "yes", "Yes"
    MAYBE = "maybe", "Maybe"
    NO = "no", "No"


class RsvpQuerySet(models.QuerySet["Rsvp"]):
    def holding_seats(self) -> "RsvpQuerySet":
        return self.filter(response=Rsvp.Response.YES, waitlisted_at__isnull=True)

    def waitlisted(self) -> "RsvpQuerySet":
        return self.filter(response=Rsvp.Response.YES, waitlisted_at__isnull=False).order_by(
            "waitlisted_at", "pk"
        )


class Rsvp(models.Model):
    """A member's answer to one meeting: one row per (meeting, member).

    A `yes` to a full meeting waits on the waitlist (`waitlisted_at` set) until a seat
    frees up; the earliest waiting answer is promoted first.
    """

    Response = RsvpResponse

    # PROTECT: a meeting someone answered is cancelled, never deleted (see
    # meetings.services.remove_meeting), so nobody's answer silently disappears.
    meeting = models.ForeignKey("meetings.Meeting", on_delete=models.PROTECT, related_name="rsvps")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="rsvps")
    response = models.CharField(max_length=5, choices=Response.choices)
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RsvpQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="rsvp_one_per_member"),
            models.CheckConstraint(
                condition=models.Q(waitlisted_at__isnull=True)
                | models.Q(response=RsvpResponse.YES),
                name="rsvp_only_yes_waits",
            ),
        ]
        indexes = [models.Index(fields=["meeting", "response"])]

    def __str__(self) -> str:
        return f"{self.user} → {self.meeting}: {self.response}"

    @property
    def holds_seat(self) -> bool:
        return self.response == self.Response.YES and self.waitlisted_at is None

    @property
    def is_waitlisted(self) -> bool:
        return self.waitlisted_at is not None
