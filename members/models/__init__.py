"""People (accounts, follows, answers), the mail schedule, and the practice in meetings
(roles, agenda, harvests), and polls that find a time together, one module each."""

from .deliveries import (
    ALL_CALENDAR_KINDS,
    CALENDAR_KINDS,
    POLL_KINDS,
    REMINDER_PREFERENCES,
    Delivery,
    DeliveryKind,
    MailServerStatus,
    new_message_id,
)
from .people import (
    CALENDAR_ALERT_CHOICES,
    Follow,
    Rsvp,
    RsvpQuerySet,
    RsvpResponse,
    User,
    UserManager,
    new_feed_token,
)
from .polls import MAX_SLOTS, Poll, PollSlot, PollVote, PollVoter
from .practice import (
    AgendaItem,
    Attendance,
    Harvest,
    HarvestDecision,
    HarvestObjection,
    HarvestRevision,
    Role,
    RoleAssignment,
)

__all__ = [
    "ALL_CALENDAR_KINDS",
    "CALENDAR_ALERT_CHOICES",
    "CALENDAR_KINDS",
    "MAX_SLOTS",
    "POLL_KINDS",
    "REMINDER_PREFERENCES",
    "AgendaItem",
    "Attendance",
    "Delivery",
    "DeliveryKind",
    "Follow",
    "Harvest",
    "HarvestDecision",
    "HarvestObjection",
    "HarvestRevision",
    "MailServerStatus",
    "Poll",
    "PollSlot",
    "PollVote",
    "PollVoter",
    "Role",
    "RoleAssignment",
    "Rsvp",
    "RsvpQuerySet",
    "RsvpResponse",
    "User",
    "UserManager",
    "new_feed_token",
    "new_message_id",
]
