"""Reads about members and their answers."""

from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.utils import timezone

from meetings.display import LocalMeeting, localize
from meetings.models import Meeting, Series

from .models import Follow, Rsvp, User
from .services import waitlist_position


def followed_series(*, user: User) -> set[int]:
    return set(Follow.objects.filter(user=user).values_list("series_id", flat=True))


def my_upcoming_answers(*, user: User, zone: ZoneInfo) -> list[tuple[LocalMeeting, Rsvp]]:
    rsvps = (
        Rsvp.objects.filter(user=user, meeting__ends_at__gt=timezone.now())
        .select_related("meeting", "meeting__series")
        .order_by("meeting__starts_at", "meeting_id")
    )
    return [(localize(rsvp.meeting, zone), rsvp) for rsvp in rsvps]


def coming_count(meeting: Meeting) -> int:
    return Rsvp.objects.filter(meeting=meeting).holding_seats().count()


def answer_counts(meeting: Meeting) -> dict[str, int]:
    """How many said yes (with a seat), maybe and no, and how many wait for a seat."""
    return Rsvp.objects.filter(meeting=meeting).aggregate(
        coming=Count("pk", filter=Q(response="yes", waitlisted_at__isnull=True)),
        maybe=Count("pk", filter=Q(response="maybe")),
        waiting=Count("pk", filter=Q(response="yes", waitlisted_at__isnull=False)),
    )


def names_coming(meeting: Meeting) -> list[str]:
    """Display names only; e-mail addresses are never shown to other members."""
    return [
        user.display_name or "A member"
        for user in User.objects.filter(
            rsvps__meeting=meeting, rsvps__response="yes", rsvps__waitlisted_at__isnull=True
        ).order_by("display_name", "pk")
    ]


def rsvp_message(rsvp: Rsvp) -> str:
    if rsvp.is_waitlisted:
        return (
            f"The meeting is full: you are number {waitlist_position(rsvp=rsvp)} on the "
            "waitlist. We'll give you a seat as soon as one frees up."
        )
    return {
        "yes": "You're coming. See you there!",
        "maybe": "You answered maybe.",
        "no": "You're not coming. Thanks for letting us know.",
    }[rsvp.response]


def series_followed_by(*, user: User, series: Series) -> bool:
    return Follow.objects.filter(user=user, series=series).exists()
