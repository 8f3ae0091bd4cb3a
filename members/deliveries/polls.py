"""Mail about polls, through the same rows, claims and sweep as every other message: the
invitation to vote, one reminder before the deadline to those who have not voted, the
result, and a guest's address confirmation.

Planning is here, and whether a message still stands when its turn comes (`skip_reason`,
which `send` asks for these kinds); what it says is in `poll_render`.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.db.models import Exists, OuterRef, QuerySet

from ..models import Delivery, Follow, Poll, PollVote, PollVoter, User
from . import queue

Kind = Delivery.Kind

# The reminder goes this long before the deadline; for a poll open less than twice as long,
# halfway between its opening and its deadline.
POLL_REMINDER_BEFORE = timedelta(hours=24)


def invited_members(poll: Poll) -> QuerySet[User]:
    """Who is e-mailed the invitation: every member with a confirmed address, or the
    followers of the poll's series, who get e-mail. A poll for anyone with the link is
    shared by the organizer, so it e-mails no one."""
    if poll.audience == Poll.Audience.LINK:
        return User.objects.none()
    verified = EmailAddress.objects.filter(
        user=OuterRef("pk"), email__iexact=OuterRef("email"), verified=True
    )
    members = User.objects.filter(Exists(verified), is_active=True, email_enabled=True)
    if poll.audience == Poll.Audience.FOLLOWERS:
        members = members.filter(
            Exists(Follow.objects.filter(user=OuterRef("pk"), series_id=poll.series_id))
        )
    return members


def reminder_due(poll: Poll, *, now: datetime) -> datetime:
    if poll.deadline - now >= 2 * POLL_REMINDER_BEFORE:
        return poll.deadline - POLL_REMINDER_BEFORE
    return now + (poll.deadline - now) / 2


def plan_invitations(poll: Poll, *, now: datetime) -> int:
    """An invitation now and a reminder before the deadline to each invited member; sent
    once the poll's transaction commits. How many members were invited."""
    members = list(invited_members(poll).values_list("pk", flat=True))
    reminder_at = reminder_due(poll, now=now)
    rows = [
        _row(poll, kind=kind, due_at=due_at, user_id=member)
        for member in members
        for kind, due_at in ((Kind.POLL_INVITE, now), (Kind.POLL_REMINDER, reminder_at))
    ]
    _insert_and_send(rows)
    return len(members)


def plan_results(poll: Poll, voters: Iterable[PollVoter], *, now: datetime) -> None:
    """The result, now, to each of these voters (members and confirmed guests)."""
    rows = [
        _row(
            poll,
            kind=Kind.POLL_RESULT,
            due_at=now,
            user_id=voter.user_id,
            voter_id=None if voter.user_id else voter.pk,
        )
        for voter in voters
    ]
    _insert_and_send(rows)


def plan_confirmation(voter: PollVoter, *, now: datetime) -> Delivery:
    """The guest's address confirmation, now."""
    row = _row(voter.poll, kind=Kind.POLL_CONFIRM, due_at=now, voter_id=voter.pk)
    _insert_and_send([row])
    return row


def _row(
    poll: Poll,
    *,
    kind: str,
    due_at: datetime,
    user_id: int | None = None,
    voter_id: int | None = None,
) -> Delivery:
    return Delivery(
        poll=poll,
        user_id=user_id,
        voter_id=voter_id,
        kind=kind,
        due_at=due_at,
        sequence=0,
        meeting_sequence=0,
    )


def _insert_and_send(rows: list[Delivery]) -> None:
    if rows:
        Delivery.objects.bulk_create(rows, batch_size=1000)
        queue.enqueue_on_commit(row.pk for row in rows)


def skip_reason(delivery: Delivery, *, now: datetime) -> str:
    """Why this message about a poll should no longer go out, or "" if it should.

    The result always goes (to a member who still gets e-mail); the others only while the
    poll is open: an invitation or reminder before the deadline, and a reminder only to a
    member who has not voted; a guest's confirmation until they confirm."""
    poll = delivery.poll
    if delivery.user_id is not None:
        user = delivery.user
        if not user.is_active or not user.email_enabled:
            return "The member turned e-mail off."
    if delivery.kind == Kind.POLL_RESULT:
        return ""
    if poll.is_closed:
        return "The poll was closed before this could be sent."
    if delivery.kind == Kind.POLL_CONFIRM:
        if delivery.voter.confirmed_at is not None:
            return "The guest has confirmed their address already."
        return ""
    if poll.deadline <= now:
        return "The poll's deadline passed before this could be sent."
    if delivery.kind == Kind.POLL_REMINDER and has_voted(poll, user_id=delivery.user_id):
        return "The member has voted already."
    return ""


def has_voted(poll: Poll, *, user_id: int | None) -> bool:
    return PollVote.objects.filter(poll=poll, voter__user_id=user_id).exists()
