"""What members do with the schedule: answer meetings, follow series, leave."""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from meetings.models import Meeting, ScheduleVersion, Series
from meetings.selectors import seats_taken
from meetings.services import lock_meeting

from .deliveries import plan, queue
from .models import (
    AgendaItem,
    Attendance,
    Delivery,
    Follow,
    HarvestRevision,
    PollVoter,
    RoleAssignment,
    Rsvp,
    User,
    new_feed_token,
)
from .selectors import waitlist_position

logger = logging.getLogger(__name__)


class RsvpRefused(Exception):
    """An answer we cannot take; the message is fit to show to the member."""


@dataclass
class RsvpResult:
    rsvp: Rsvp
    changed: bool
    promoted: list[Rsvp] = field(default_factory=list)

    @property
    def waitlist_position(self) -> int | None:
        return waitlist_position(rsvp=self.rsvp)


def set_rsvp(
    *, user: User, meeting: Meeting, response: str, now: datetime | None = None
) -> RsvpResult:
    """Record a member's answer; one row per (meeting, member), capacity never exceeded.

    The meeting row is locked for the whole check-and-write, so concurrent answers to one
    meeting are taken one at a time (on SQLite the IMMEDIATE transaction does the same).
    Answering again with the same response changes nothing.
    """
    response = Rsvp.Response(response)
    now = now or timezone.now()
    # Looked at unlocked first: a repeated answer (a second click) takes the meeting's lock
    # alone and leaves the schedule version, and so every cached page, as it is.
    repeated = Rsvp.objects.filter(meeting=meeting, user=user, response=response).exists()
    try:
        return _set_rsvp(user=user, meeting=meeting, response=response, now=now, bump=not repeated)
    except _AnsweredMeanwhile:
        return _set_rsvp(user=user, meeting=meeting, response=response, now=now, bump=True)


class _AnsweredMeanwhile(Exception):
    """The answer changed between the unlocked look and the lock: answer again, bumping."""


def _set_rsvp(
    *, user: User, meeting: Meeting, response: Rsvp.Response, now: datetime, bump: bool
) -> RsvpResult:
    with transaction.atomic():
        meeting = lock_meeting(meeting, changing=bump)  # the page shows seats taken
        if meeting.is_cancelled:
            raise RsvpRefused("This meeting was cancelled, so it takes no answers.")
        if meeting.starts_at <= now:
            raise RsvpRefused("This meeting has already started, so answers are closed.")
        rsvp = Rsvp.objects.filter(meeting=meeting, user=user).first()
        if rsvp is not None and rsvp.response == response:
            return RsvpResult(rsvp=rsvp, changed=False)
        if not bump:
            # Bumping now would take the version's lock after the meeting's (see `bump`).
            raise _AnsweredMeanwhile
        was_holding_seat = rsvp is not None and rsvp.holds_seat
        waitlisted_at = None
        if response == Rsvp.Response.YES and not _has_free_seat(meeting):
            waitlisted_at = now
        if rsvp is None:
            rsvp = Rsvp.objects.create(
                meeting=meeting, user=user, response=response, waitlisted_at=waitlisted_at
            )
        else:
            rsvp.response, rsvp.waitlisted_at, rsvp.promoted_at = response, waitlisted_at, None
            rsvp.save(update_fields=["response", "waitlisted_at", "promoted_at", "updated_at"])
        if response != Rsvp.Response.YES:
            # A role comes with a yes: answering otherwise gives the member's roles back.
            RoleAssignment.objects.filter(meeting=meeting, user=user).delete()
        promoted = promote_waitlist(meeting=meeting, now=now) if was_holding_seat else []
        messages = [plan.plan_answer(rsvp=rsvp, now=now)]
        messages += [plan.plan_promotion(rsvp=seat, now=now) for seat in promoted]
        queue.enqueue_on_commit([message.pk for message in messages if message])
    return RsvpResult(rsvp=rsvp, changed=True, promoted=promoted)


def hold_answer(*, user: User, meeting: Meeting, response: str) -> None:
    """Keep an answer for a member who cannot answer yet: they are signing up, or have
    not confirmed their address. `apply_held_answer` records it once they can."""
    user.pending_meeting, user.pending_response = meeting, Rsvp.Response(response)
    user.save(update_fields=["pending_meeting", "pending_response"])


@dataclass(frozen=True)
class HeldAnswer:
    """What became of a held answer: recorded (`result`), or refused and why."""

    meeting: Meeting
    result: RsvpResult | None = None
    refusal: str = ""


def apply_held_answer(*, user: User, now: datetime | None = None) -> HeldAnswer | None:
    """Record the member's held answer, if they hold one, and forget it either way."""
    if user.pending_meeting_id is None or not user.pending_response:
        return None
    meeting, response = user.pending_meeting, user.pending_response
    user.pending_meeting, user.pending_response = None, ""
    user.save(update_fields=["pending_meeting", "pending_response"])
    try:
        return HeldAnswer(
            meeting=meeting, result=set_rsvp(user=user, meeting=meeting, response=response, now=now)
        )
    except RsvpRefused as refusal:
        return HeldAnswer(meeting=meeting, refusal=str(refusal))


def _has_free_seat(meeting: Meeting) -> bool:
    capacity = meeting.effective_capacity
    return capacity is None or seats_taken(meeting) < capacity


def promote_waitlist(*, meeting: Meeting, now: datetime | None = None) -> list[Rsvp]:
    """Give free seats to the earliest waiting answers. Call with the meeting locked by
    `lock_meeting(meeting, changing=True)`."""
    now = now or timezone.now()
    promoted = []
    for rsvp in Rsvp.objects.filter(meeting=meeting).waitlisted():
        if not _has_free_seat(meeting):
            break
        rsvp.waitlisted_at, rsvp.promoted_at = None, now
        rsvp.save(update_fields=["waitlisted_at", "promoted_at", "updated_at"])
        promoted.append(rsvp)
        logger.info("Promoted %s from the waitlist of meeting %s", rsvp.user_id, meeting.pk)
    return promoted


def turn_off_email(*, user: User) -> None:
    """Unsubscribe: no more meeting e-mail of any kind; account e-mail still comes."""
    user.email_enabled = False
    user.save(update_fields=["email_enabled"])
    Delivery.objects.filter(user=user, state=Delivery.State.PENDING).update(
        state=Delivery.State.SKIPPED, last_error="The member unsubscribed."
    )


def rotate_feed_token(*, user: User) -> str:
    """A new secret for the personal feed; the old address is dead from now on."""
    user.feed_token = new_feed_token()
    user.save(update_fields=["feed_token"])
    return user.feed_token


def follow_series(*, user: User, series: Series) -> Follow:
    follow, _ = Follow.objects.get_or_create(user=user, series=series)
    return follow


def unfollow_series(*, user: User, series: Series) -> None:
    with transaction.atomic():
        deleted, _ = Follow.objects.filter(user=user, series=series).delete()
        if deleted:
            cancellations = plan.plan_unfollow(user=user, series_id=series.pk)
            queue.enqueue_on_commit([delivery.pk for delivery in cancellations])


def promote_freed_seats(*, now: datetime | None = None) -> list[Rsvp]:
    """Promote waiting members wherever seats are free again, for instance after an
    organizer raised a meeting's capacity. The sweep runs this every minute."""
    now = now or timezone.now()
    meeting_ids = (
        Rsvp.objects.waitlisted()
        .filter(meeting__starts_at__gt=now, meeting__status=Meeting.Status.SCHEDULED)
        .values_list("meeting_id", flat=True)
        .distinct()
    )
    promoted: list[Rsvp] = []
    for meeting in (
        Meeting.objects.filter(pk__in=meeting_ids).select_related("series").order_by("pk")
    ):
        # Looked at unlocked first: most minutes nothing is free, and locking would move
        # the schedule version, emptying every cached page, for nothing.
        if not _has_free_seat(meeting):
            continue
        with transaction.atomic():
            meeting = lock_meeting(meeting, changing=True)
            seats = promote_waitlist(meeting=meeting, now=now)
            messages = [plan.plan_promotion(rsvp=seat, now=now) for seat in seats]
            queue.enqueue_on_commit([message.pk for message in messages if message])
        promoted += seats
    return promoted


def delete_account(*, user: User) -> None:
    """Delete the member with their answers, roles, agenda proposals, poll votes and mail,
    handing their seats to the waitlist. Harvest text they wrote stays, by "a former
    member"; their attendance stays without them (the counts do not change), and so do the
    polls they made."""
    with transaction.atomic():
        # Their answers leave the counts; the version's lock comes first (see `bump`).
        ScheduleVersion.objects.bump()
        meeting_ids = list(
            Rsvp.objects.filter(user=user).holding_seats().values_list("meeting_id", flat=True)
        )
        user.delete()
        promotions = []
        for meeting in Meeting.objects.filter(pk__in=meeting_ids).order_by("pk"):
            for seat in promote_waitlist(meeting=lock_meeting(meeting, changing=True)):
                promotions.append(plan.plan_promotion(rsvp=seat))
        queue.enqueue_on_commit([message.pk for message in promotions if message])


def export_data(*, user: User) -> dict[str, object]:
    """Everything we hold about a member, for "download my data"."""
    rsvps = Rsvp.objects.filter(user=user).select_related("meeting").order_by("meeting__starts_at")
    return {
        "email": user.email,
        "display_name": user.display_name,
        "timezone": str(user.timezone),
        "date_joined": user.date_joined.isoformat(),
        "last_login": user.last_login.isoformat() if user.last_login else None,
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        "preferences": {
            "reminders_enabled": user.reminders_enabled,
            "remind_day_before": user.remind_day_before,
            "remind_hour_before": user.remind_hour_before,
            "remind_followed_series": user.remind_followed_series,
            "notify_extra_meetings": user.notify_extra_meetings,
            "nudge_open_roles": user.nudge_open_roles,
            "receive_harvests": user.receive_harvests,
        },
        "follows": [
            follow.series.slug
            for follow in Follow.objects.filter(user=user).select_related("series").order_by("pk")
        ],
        "rsvps": [
            {
                "meeting": rsvp.meeting.title,
                "meeting_id": rsvp.meeting_id,
                "starts_at": rsvp.meeting.starts_at.isoformat(),
                "response": rsvp.response,
                "waitlisted": rsvp.is_waitlisted,
                "answered_at": rsvp.created_at.isoformat(),
                "updated_at": rsvp.updated_at.isoformat(),
            }
            for rsvp in rsvps
        ],
        "roles": [
            {
                "meeting_id": assignment.meeting_id,
                "meeting": assignment.meeting.title,
                "starts_at": assignment.meeting.starts_at.isoformat(),
                "role": assignment.role,
                "since": assignment.created_at.isoformat(),
            }
            for assignment in RoleAssignment.objects.filter(user=user)
            .select_related("meeting")
            .order_by("meeting__starts_at", "pk")
        ],
        "agenda_proposals": [
            {
                "meeting_id": item.meeting_id,
                "title": item.title,
                "description": item.description,
                "minutes": item.minutes,
                "status": item.status,
                "proposed_at": item.created_at.isoformat(),
            }
            for item in AgendaItem.objects.filter(proposer=user).order_by("created_at", "pk")
        ],
        "harvest_edits": [
            {
                "meeting_id": revision.harvest.meeting_id,
                "at": revision.created_at.isoformat(),
                "content": revision.content,
            }
            for revision in HarvestRevision.objects.filter(author=user)
            .select_related("harvest")
            .order_by("created_at", "pk")
        ],
        "attendance": [
            {
                "meeting_id": row.meeting_id,
                "meeting": row.meeting.title,
                "starts_at": row.meeting.starts_at.isoformat(),
                "present": row.present,
                "source": row.source,
                "joined_at": row.joined_at.isoformat() if row.joined_at else None,
            }
            for row in Attendance.objects.filter(user=user)
            .select_related("meeting")
            .order_by("meeting__starts_at", "pk")
        ],
        "poll_votes": [
            {
                "poll_id": voter.poll_id,
                "poll": voter.poll.title,
                "since": voter.created_at.isoformat(),
                "votes": [
                    {"slot": vote.slot.starts_at.isoformat(), "choice": vote.choice}
                    for vote in sorted(voter.votes.all(), key=lambda vote: vote.slot.starts_at)
                ],
            }
            for voter in PollVoter.objects.filter(user=user)
            .select_related("poll")
            .prefetch_related("votes__slot")
            .order_by("created_at", "pk")
        ],
        "held_answer": (
            {"meeting_id": user.pending_meeting_id, "response": user.pending_response}
            if user.pending_meeting_id
            else None
        ),
    }
