"""The mail schedule: one row per message to a member about a meeting."""

import secrets
from datetime import datetime

from django.db import models

from .people import User


def new_message_id() -> str:
    return f"<{secrets.token_hex(16)}@copf>"


class DeliveryKind(models.TextChoices):
    INVITE = "invite", "Invitation"
    UPDATE = "update", "Update"
    CANCELLATION = "cancellation", "Cancellation"
    REMINDER_DAY = "reminder_day", "Reminder one day before"
    REMINDER_HOUR = "reminder_hour", "Reminder one hour before"
    PROMOTION = "promotion", "Seat from the waitlist"
    NUDGE_WEEK = "nudge_week", "Open role, a week before"
    NUDGE_DAYS = "nudge_days", "Open role, two days before"
    DIGEST_WEEK = "digest_week", "Open roles for organizers, a week before"
    DIGEST_DAYS = "digest_days", "Open roles for organizers, two days before"
    ROLE_REMINDER = "role_reminder", "Role reminder with the agenda"
    HARVEST = "harvest", "Harvest"
    POLL_INVITE = "poll_invite", "Invitation to vote"
    POLL_REMINDER = "poll_reminder", "Reminder to vote before the deadline"
    POLL_RESULT = "poll_result", "Poll result"
    POLL_CONFIRM = "poll_confirm", "Guest's address confirmation"


POLL_KINDS = frozenset(
    {
        DeliveryKind.POLL_INVITE,
        DeliveryKind.POLL_REMINDER,
        DeliveryKind.POLL_RESULT,
        DeliveryKind.POLL_CONFIRM,
    }
)


class Delivery(models.Model):
    """One message to one member about one meeting, or about a poll to a member or a guest
    voter: the database is the mail schedule.

    A row is planned once (unique per meeting, member, kind and calendar sequence), claimed
    by exactly one worker with a conditional UPDATE, and ends sent, failed or skipped, with
    the reason. Its Message-ID is fixed when planned, so a re-send after a lost claim is
    recognisably the same message.
    """

    Kind = DeliveryKind

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    # PROTECT: a meeting that is in someone's calendar is cancelled, never deleted, so the
    # members holding it are sent the cancellation.
    meeting = models.ForeignKey(
        "meetings.Meeting",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    poll = models.ForeignKey(
        "members.Poll", null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    # A guest who voted in a poll: messages about it go to their confirmed address.
    voter = models.ForeignKey(
        "members.PollVoter",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    sequence = models.PositiveIntegerField(
        help_text="The iCalendar SEQUENCE this message carries (reminders: the meeting's)."
    )
    meeting_sequence = models.PositiveIntegerField(
        help_text="The meeting's sequence when this message was planned."
    )
    snapshot = models.JSONField(
        default=dict, blank=True, help_text="What the meeting looked like when planned."
    )
    previous = models.JSONField(
        default=dict, blank=True, help_text="For updates: what the member was told before."
    )
    due_at = models.DateTimeField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    message_id = models.CharField(max_length=100, default=new_message_id, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(meeting__isnull=True) ^ models.Q(poll__isnull=True),
                name="delivery_about_a_meeting_or_a_poll",
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=True) ^ models.Q(voter__isnull=True),
                name="delivery_to_a_member_or_a_guest",
            ),
            models.CheckConstraint(
                condition=models.Q(voter__isnull=True) | models.Q(poll__isnull=False),
                name="delivery_to_a_guest_about_a_poll",
            ),
            models.UniqueConstraint(
                fields=["meeting", "user", "kind", "sequence"], name="delivery_once"
            ),
            models.UniqueConstraint(
                fields=["poll", "user", "kind"],
                condition=models.Q(poll__isnull=False, user__isnull=False),
                name="delivery_poll_member_once",
            ),
            models.UniqueConstraint(
                fields=["poll", "voter", "kind"],
                condition=models.Q(voter__isnull=False),
                name="delivery_poll_guest_once",
            ),
            # A calendar applies the message with the highest SEQUENCE: two calendar
            # messages to one member about one meeting never share one.
            models.UniqueConstraint(
                fields=["meeting", "user", "sequence"],
                condition=models.Q(
                    kind__in=[
                        DeliveryKind.INVITE,
                        DeliveryKind.UPDATE,
                        DeliveryKind.PROMOTION,
                        DeliveryKind.CANCELLATION,
                    ]
                ),
                name="delivery_calendar_sequence_once",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"]),
            models.Index(fields=["meeting", "user"]),
        ]

    def __str__(self) -> str:
        to = self.user if self.user_id else self.voter
        about = self.meeting if self.meeting_id else self.poll
        return f"{self.get_kind_display()} to {to} about {about} ({self.state})"


class MailServerStatus(models.Model):
    """One row: is the mail server refusing us (log-in, connection, sender) right now?

    While it is, sending pauses and messages wait; nothing is marked failed for a fault
    that is the server's or our settings', not the recipient's.
    """

    failing_since = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "mail server status"
        verbose_name_plural = "mail server status"

    def __str__(self) -> str:
        if self.failing_since is None:
            return "Mail is being sent"
        return f"Mail failing since {self.failing_since:%Y-%m-%d %H:%M} UTC: {self.last_error}"

    @property
    def is_failing(self) -> bool:
        return self.failing_since is not None

    def is_paused(self, now: datetime) -> bool:
        return self.paused_until is not None and self.paused_until > now


# Messages that put the meeting in the member's calendar (iCalendar REQUEST) ...
CALENDAR_KINDS = (Delivery.Kind.INVITE, Delivery.Kind.UPDATE, Delivery.Kind.PROMOTION)
# ... and all that a calendar applies by SEQUENCE, the cancellation (CANCEL) included.
ALL_CALENDAR_KINDS = (*CALENDAR_KINDS, Delivery.Kind.CANCELLATION)
# ... and the member's preference that switches each reminder on.
REMINDER_PREFERENCES = {
    Delivery.Kind.REMINDER_DAY: "remind_day_before",
    Delivery.Kind.REMINDER_HOUR: "remind_hour_before",
}
