"""Polls that find a time together: candidate slots, the people asked, and their votes."""

import secrets
from datetime import timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from copf.lib.text import LineField, ParagraphsField
from copf.lib.timezones import CanonicalTimeZoneField

from .people import User

MAX_SLOTS = 60
MIN_LENGTH = timedelta(minutes=15)
MAX_LENGTH = timedelta(hours=8)


def new_poll_key() -> str:
    return secrets.token_urlsafe(12)


class Poll(models.Model):
    """A question to the community: which of these times suits you? Slots are stored in UTC
    and were entered in `timezone`, the organizer's zone, which also anchors the series a
    recurring poll creates."""

    class Kind(models.TextChoices):
        ONE_OFF = "one_off", _("One extra meeting")
        RECURRING = "recurring", _("A new recurring slot")

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Every week")
        MONTHLY = "monthly", _("Every month, on the same weekday")

    class Audience(models.TextChoices):
        MEMBERS = "members", _("All members")
        FOLLOWERS = "followers", _("Followers of a series")
        LINK = "link", _("Anyone with the link")

    title = LineField(_("title"), max_length=120)
    description = ParagraphsField(_("description"), blank=True, max_length=4000)
    length = models.DurationField(
        _("length"),
        default=timedelta(minutes=90),
        validators=[MinValueValidator(MIN_LENGTH), MaxValueValidator(MAX_LENGTH)],
    )
    kind = models.CharField(_("for"), max_length=10, choices=Kind.choices, default=Kind.ONE_OFF)
    frequency = models.CharField(_("repeats"), max_length=10, choices=Frequency.choices, blank=True)
    audience = models.CharField(
        _("who is asked"), max_length=10, choices=Audience.choices, default=Audience.MEMBERS
    )
    series = models.ForeignKey(
        "meetings.Series",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="polls",
        verbose_name=_("series"),
        help_text=_("Whose followers are asked; an extra meeting becomes a session of it."),
    )
    timezone = CanonicalTimeZoneField(
        _("time zone of the slots"),
        default="UTC",
        help_text=_("The organizer's zone when the poll was made; a new series keeps it."),
    )
    join_url = models.URLField(_("join link"), max_length=500, blank=True)
    deadline = models.DateTimeField(_("deadline"))
    key = models.CharField(max_length=32, default=new_poll_key, unique=True, editable=False)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="polls_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    chosen_slot = models.ForeignKey(
        "PollSlot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    meeting = models.ForeignKey(
        "meetings.Meeting",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="polls",
        help_text=_("The meeting the poll created when it closed."),
    )
    new_series = models.ForeignKey(
        "meetings.Series",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The series a recurring poll created when it closed."),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="one_off", frequency="") | Q(kind="recurring", frequency__gt=""),
                name="poll_recurring_has_a_frequency",
            ),
            models.CheckConstraint(
                condition=~Q(audience="followers") | Q(series__isnull=False),
                name="poll_followers_of_a_series",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("members:poll", kwargs={"pk": self.pk})

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def is_recurring(self) -> bool:
        return self.kind == self.Kind.RECURRING


class PollSlot(models.Model):
    """One candidate start time, in UTC."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "starts_at"], name="poll_slot_once"),
        ]

    def __str__(self) -> str:
        return f"{self.poll}: {self.starts_at:%Y-%m-%d %H:%M} UTC"


class PollVoter(models.Model):
    """Someone who votes in a poll: a member, or a guest with a name, an e-mail address and
    a zone, whose votes count once they confirm the address."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="voters")
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="poll_voters"
    )
    name = LineField(_("name"), max_length=80, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    timezone = CanonicalTimeZoneField(_("time zone"), default="UTC")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "user"], condition=Q(user__isnull=False), name="poll_member_once"
            ),
            models.UniqueConstraint(
                fields=["poll", "email"], condition=Q(user__isnull=True), name="poll_guest_once"
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(email=""), name="poll_guest_has_an_email"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_guest(self) -> bool:
        return self.user_id is None

    @property
    def counts(self) -> bool:
        """A member's votes count at once; a guest's once the address is confirmed."""
        return self.confirmed_at is not None

    @property
    def display_name(self) -> str:
        """The name other voters see: never any part of an e-mail address."""
        if self.user_id is not None:
            return self.user.display_name or str(_("a member"))
        return self.name or str(_("a guest"))

    @property
    def zone_name(self) -> str:
        zone = self.user.timezone if self.user_id is not None else self.timezone
        return str(zone)


class PollVote(models.Model):
    """A voter's answer for one slot: one row per (poll, voter, slot)."""

    class Choice(models.TextChoices):
        YES = "yes", _("Yes")
        IF_NEED_BE = "if_need_be", _("If need be")
        NO = "no", _("No")

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(PollVoter, on_delete=models.CASCADE, related_name="votes")
    slot = models.ForeignKey(PollSlot, on_delete=models.CASCADE, related_name="votes")
    choice = models.CharField(max_length=10, choices=Choice.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["poll", "voter", "slot"], name="poll_vote_once"),
        ]

    def __str__(self) -> str:
        return f"{self.voter}: {self.choice} for {self.slot}"
