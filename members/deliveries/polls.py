"""Mail about polls, through the same rows, claims and sweep as every other message: the
invitation to vote, one reminder before the deadline to those who have not voted, the
result, and a guest's address confirmation.

Planning is here; whether a message still stands when its turn comes, and what it says,
is in `send` and `render` beside the other kinds.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.db.models import Exists, OuterRef, QuerySet

from ..models import Delivery, Follow, Poll, PollVoter, User
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
