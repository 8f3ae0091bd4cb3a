"""Reads about members and their answers."""

from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from meetings.display import LocalMeeting, localize
from meetings.models import Meeting
from meetings.selectors import FEED_PAST, feed_meetings, feed_version

from .models import Follow, Rsvp, User

Response = Rsvp.Response


def is_verified(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def waitlist_position(*, rsvp: Rsvp) -> int | None:
    """1 for the first in line; None when the answer is not waiting."""
    if not rsvp.is_waitlisted:
        return None
    return (
        Rsvp.objects.filter(meeting_id=rsvp.meeting_id)
        .waitlisted()
        .filter(waitlisted_at__lte=rsvp.waitlisted_at)
        .exclude(waitlisted_at=rsvp.waitlisted_at, pk__gt=rsvp.pk)
        .count()
    )


def followed_series(*, user: User) -> set[int]:
    return set(Follow.objects.filter(user=user).values_list("series_id", flat=True))


def my_upcoming_answers(*, user: User, zone: ZoneInfo) -> list[tuple[LocalMeeting, Rsvp]]:
    rsvps = (
        Rsvp.objects.filter(user=user, meeting__ends_at__gt=timezone.now())
        .select_related("meeting", "meeting__series")
        .order_by("meeting__starts_at", "meeting_id")
    )
    return [(localize(rsvp.meeting, zone), rsvp) for rsvp in rsvps]


def answer_counts(meeting: Meeting) -> dict[str, int]:
    """How many said yes (with a seat), maybe and no, and how many wait for a seat."""
    return Rsvp.objects.filter(meeting=meeting).aggregate(
        coming=Count("pk", filter=Q(response=Response.YES, waitlisted_at__isnull=True)),
        maybe=Count("pk", filter=Q(response=Response.MAYBE)),
        waiting=Count("pk", filter=Q(response=Response.YES, waitlisted_at__isnull=False)),
    )


def names_coming(meeting: Meeting) -> list[str]:
    """Display names only; e-mail addresses are never shown to other members."""
    return [
        user.display_name or "A member"
        for user in User.objects.filter(
            rsvps__meeting=meeting,
            rsvps__response=Response.YES,
            rsvps__waitlisted_at__isnull=True,
        ).order_by("display_name", "pk")
    ]


def rsvp_message(rsvp: Rsvp) -> str:
    if rsvp.is_waitlisted:
        return (
            f"The meeting is full: you are number {waitlist_position(rsvp=rsvp)} on the "
            "waitlist. We'll give you a seat as soon as one frees up."
        )
    return {
        Response.YES: "You're coming. See you there!",
        Response.MAYBE: "You answered maybe.",
        Response.NO: "You're not coming. Thanks for letting us know.",
    }[rsvp.response]


def personal_feed_meetings(*, user: User) -> QuerySet[Meeting]:
    """Meetings of the series a member follows, plus those they answered yes or maybe,
    minus those they answered no; from 90 days ago on."""
    answered = Rsvp.objects.filter(meeting=OuterRef("pk"), user=user)
    return (
        feed_meetings()
        .annotate(
            followed=Exists(Follow.objects.filter(series=OuterRef("series"), user=user)),
            attending=Exists(answered.filter(response__in=[Response.YES, Response.MAYBE])),
            declined=Exists(answered.filter(response=Response.NO)),
        )
        .filter(Q(followed=True) | Q(attending=True), declined=False)
    )


def personal_feed_notes(*, user: User) -> dict[int, str]:
    """The note each uncertain answer adds to its event: "maybe" or "waitlist"."""
    notes = {}
    for meeting_id, response, waitlisted_at in Rsvp.objects.filter(
        user=user, meeting__starts_at__gte=timezone.now() - FEED_PAST
    ).values_list("meeting_id", "response", "waitlisted_at"):
        if response == Response.MAYBE:
            notes[meeting_id] = "maybe"
        elif waitlisted_at is not None:
            notes[meeting_id] = "waitlist"
    return notes


def personal_feed_version(*, user: User, meetings: QuerySet[Meeting]) -> list[object]:
    """Everything that changes a member's feed, in two cheap aggregates."""
    answers = Rsvp.objects.filter(user=user).aggregate(count=Count("pk"), updated=Max("updated_at"))
    return [
        user.feed_token,
        user.calendar_alert_minutes,
        *answers.values(),
        *feed_version(meetings).parts(),
    ]
