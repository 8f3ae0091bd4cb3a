"""Plan: decide which messages members are owed, and insert them as `Delivery` rows.

Planning compares what members should have been told with what they were told. Rows are
unique per meeting, member, kind and sequence, so planning twice plans nothing new.

Every calendar message (invite, update, promotion, cancellation) is planned with the
meeting's row locked, and takes the next SEQUENCE for that member and meeting; with the
database's unique key on (meeting, member, sequence) this keeps each member's sequence
strictly increasing, whichever planner runs first.

An answer's message waits ANSWER_SETTLE_DELAY before it is due, and while it waits a change
of answer takes it over instead of adding a message (`plan_answer`): people click yes, then
maybe, then yes again, and should get one invitation, not three.

The practice has messages of its own, each once per meeting, member and kind (their
sequence is always 0): a week and two days before a meeting with an open place in a role
that asks for takers, a nudge to the members who opted in and a digest to each organizer;
two days before, a reminder to each role holder with the agenda so far; the harvest once
it is published (`plan_harvest`).
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from meetings.models import Meeting
from meetings.services import lock_meeting

from ..models import (
    ALL_CALENDAR_KINDS,
    CALENDAR_KINDS,
    REMINDER_PREFERENCES,
    Attendance,
    Delivery,
    Follow,
    Harvest,
    RoleAssignment,
    Rsvp,
    User,
)
from ..practice.access import organizers
from ..practice.places import Place, places_for
from .render import snapshot_of

Kind = Delivery.Kind
State = Delivery.State
Response = Rsvp.Response

FOLLOW_INVITE_WINDOW = timedelta(days=30)
# How long an answer's message waits for the member to change their mind.
ANSWER_SETTLE_DELAY = timedelta(minutes=2)
# The messages an answer plans, which a later answer may take over while they wait.
ANSWER_KINDS = (Kind.INVITE, Kind.CANCELLATION)
REMINDER_LOOKAHEAD = timedelta(minutes=1)
REMINDER_OFFSETS = {Kind.REMINDER_DAY: timedelta(days=1), Kind.REMINDER_HOUR: timedelta(hours=1)}
COMING = (Response.YES, Response.MAYBE)
# The practice's messages before a meeting, by how long before it each is due. Like a
# reminder, each is no longer planned, nor sent, with less than half of that left.
NUDGE_OFFSETS = {Kind.NUDGE_WEEK: timedelta(days=7), Kind.NUDGE_DAYS: timedelta(days=2)}
DIGEST_OFFSETS = {Kind.DIGEST_WEEK: timedelta(days=7), Kind.DIGEST_DAYS: timedelta(days=2)}
PRACTICE_OFFSETS = {
    **NUDGE_OFFSETS,
    **DIGEST_OFFSETS,
    Kind.ROLE_REMINDER: timedelta(days=2),
}


def plan_deliveries(*, now: datetime | None = None) -> int:
    """Insert every message that is now called for and not yet planned. Idempotent."""
    now = now or timezone.now()
    return (
        _plan_changes(now)
        + _plan_follow_invites(now)
        + _plan_extra_invites(now)
        + sum(_plan_reminders(now, kind, offset) for kind, offset in REMINDER_OFFSETS.items())
        + _plan_practice(now)
    )


# --- messages that answers and follows call for -------------------------------------------


def plan_answer(*, rsvp: Rsvp, now: datetime | None = None) -> Delivery | None:
    """The message an answer calls for, due ANSWER_SETTLE_DELAY from now: an invite for yes
    or maybe; for no, a cancellation if the member was sent an invite. Called inside the
    answer's transaction.

    An earlier answer's message that is still waiting is taken over, never added to: the
    same kind is put back by the delay (yes, then maybe: one invite, with the last answer);
    the other kind is withdrawn (yes, then no before the invite went out: nothing at all).
    """
    now = now or timezone.now()
    meeting, user = rsvp.meeting, rsvp.user
    if not user.email_enabled or rsvp.is_waitlisted:
        return None
    kind = Kind.CANCELLATION if rsvp.response == Response.NO else Kind.INVITE
    due_at = now + ANSWER_SETTLE_DELAY
    with transaction.atomic():
        meeting = lock_meeting(meeting)
        kept = None
        for waiting in _waiting_answer_messages(meeting=meeting, user=user):
            same = kept is None and waiting.kind == kind
            if same and _postpone(waiting, meeting=meeting, due_at=due_at, now=now):
                kept = waiting
            else:
                _withdraw(waiting, response=rsvp.get_response_display(), now=now)
        if kept is not None:
            return kept
        if kind == Kind.CANCELLATION:
            last = last_calendar_delivery(meeting=meeting, user=user)
            if last is None or last.kind == Kind.CANCELLATION:
                return None
        return _insert_locked(meeting=meeting, user=user, kind=kind, due_at=due_at)


def _waiting_answer_messages(*, meeting: Meeting, user: User) -> list[Delivery]:
    """Invites and cancellations not claimed by a worker yet, the newest first."""
    return list(
        Delivery.objects.filter(
            meeting=meeting, user=user, kind__in=ANSWER_KINDS, state=State.PENDING
        ).order_by("-sequence", "-pk")
    )


def _postpone(delivery: Delivery, *, meeting: Meeting, due_at: datetime, now: datetime) -> bool:
    """Put a waiting message back to `due_at`, above every sequence planned since (the
    meeting is locked). False if a worker claimed it meanwhile: then it is as good as sent."""
    planned_since = Delivery.objects.filter(
        meeting=meeting, user_id=delivery.user_id, kind__in=ALL_CALENDAR_KINDS
    ).filter(sequence__gt=delivery.sequence)
    sequence = delivery.sequence
    if planned_since.exists():
        sequence = next_sequence(meeting=meeting, user=delivery.user)
    postponed = Delivery.objects.filter(pk=delivery.pk, state=State.PENDING).update(
        due_at=due_at, enqueued_at=None, sequence=sequence, updated_at=now
    )
    delivery.due_at, delivery.enqueued_at, delivery.sequence = due_at, None, sequence
    return postponed == 1


def _withdraw(delivery: Delivery, *, response: str, now: datetime) -> bool:
    """Skip a waiting message the member's new answer makes wrong. False if a worker claimed
    it meanwhile."""
    return (
        Delivery.objects.filter(pk=delivery.pk, state=State.PENDING).update(
            state=State.SKIPPED,
            last_error=f"The member answered {response.lower()} before it was sent.",
            updated_at=now,
        )
        == 1
    )


def plan_promotion(*, rsvp: Rsvp, now: datetime | None = None) -> Delivery | None:
    if not rsvp.user.email_enabled:
        return None
    return _plan(
        meeting=rsvp.meeting, user=rsvp.user, kind=Kind.PROMOTION, due_at=now or timezone.now()
    )


def plan_unfollow(*, user: User, series_id: int, now: datetime | None = None) -> list[Delivery]:
    """Take a series' coming meetings out of the calendar of a member who stopped following
    it, unless they answered yes or maybe to them."""
    now = now or timezone.now()
    answered = Rsvp.objects.filter(
        user=user, meeting__series_id=series_id, response__in=COMING
    ).values("meeting_id")
    planned = []
    for meeting in Meeting.objects.filter(series_id=series_id, starts_at__gt=now).exclude(
        pk__in=answered
    ):
        last = last_calendar_delivery(meeting=meeting, user=user)
        if last is not None and last.kind != Kind.CANCELLATION:
            planned.append(_plan(meeting=meeting, user=user, kind=Kind.CANCELLATION, due_at=now))
    return [delivery for delivery in planned if delivery]


def last_calendar_delivery(*, meeting: Meeting, user: User) -> Delivery | None:
    """The newest invite, update, promotion or cancellation that was or will be sent."""
    return (
        Delivery.objects.filter(meeting=meeting, user=user, kind__in=ALL_CALENDAR_KINDS)
        .exclude(state__in=[State.SKIPPED, State.FAILED])
        .order_by("-sequence", "-pk")
        .first()
    )


def next_sequence(*, meeting: Meeting, user: User) -> int:
    """The SEQUENCE of the member's next calendar message: above every one planned for them,
    and never below the meeting's own. Call with the meeting locked."""
    highest = Delivery.objects.filter(
        meeting=meeting, user=user, kind__in=ALL_CALENDAR_KINDS
    ).aggregate(highest=Max("sequence"))["highest"]
    return meeting.sequence if highest is None else max(meeting.sequence, highest + 1)


def _plan(
    *, meeting: Meeting, user: User, kind: str, due_at: datetime, **fields: object
) -> Delivery | None:
    """Insert one message, with the meeting locked so its sequence is the next one."""
    with transaction.atomic():
        return _insert_locked(
            meeting=lock_meeting(meeting), user=user, kind=kind, due_at=due_at, **fields
        )


def _insert_locked(
    *, meeting: Meeting, user: User, kind: str, due_at: datetime, **fields: object
) -> Delivery | None:
    """`_plan` for a caller that holds the meeting's lock already."""
    delivery = _new_delivery(meeting=meeting, user=user, kind=kind, due_at=due_at, **fields)
    if kind in ALL_CALENDAR_KINDS:
        delivery.sequence = next_sequence(meeting=meeting, user=user)
    try:
        with transaction.atomic():
            delivery.save()
    except IntegrityError:
        return None  # planned already
    return delivery


def _new_delivery(
    *, meeting: Meeting, user: User, kind: str, due_at: datetime, **fields: object
) -> Delivery:
    """An unsaved row telling `user` about `meeting` as it is now."""
    return Delivery(
        meeting=meeting,
        user=user,
        kind=kind,
        meeting_sequence=meeting.sequence,
        snapshot=snapshot_of(meeting),
        due_at=due_at,
        **{"sequence": meeting.sequence, **fields},
    )


# --- updates and cancellations for meetings that changed ----------------------------------


def _plan_changes(now: datetime) -> int:
    """Updates and cancellations for coming meetings that changed since members were told.

    One query finds them: each member's newest sent calendar message, where the meeting has
    changed since, and no message about this change was planned yet (whatever became of
    it: a skipped or failed one is final for that change).
    """
    planned = 0
    for told in _changes_to_tell(now):
        meeting, user = told.meeting, told.user
        kind = Kind.CANCELLATION if meeting.is_cancelled else Kind.UPDATE
        if _plan_change(meeting=meeting, user=user, kind=kind, now=now, told=told):
            planned += 1
    return planned


def _changes_to_tell(now: datetime) -> QuerySet[Delivery]:
    same_pair = Delivery.objects.filter(
        kind__in=ALL_CALENDAR_KINDS, meeting=OuterRef("meeting"), user=OuterRef("user")
    )
    answers = Rsvp.objects.filter(meeting=OuterRef("meeting"), user=OuterRef("user"))
    follows = Follow.objects.filter(user=OuterRef("user"), series=OuterRef("meeting__series"))
    wanted = Q(meeting__status=Meeting.Status.CANCELLED) | (
        Q(declined=False) & (Q(answered=True) | Q(follows=True))
    )
    return (
        Delivery.objects.filter(
            kind__in=CALENDAR_KINDS,
            state=State.SENT,
            meeting__ends_at__gt=now,
            meeting__sequence__gt=F("meeting_sequence"),
            user__is_active=True,
            user__email_enabled=True,
        )
        .exclude(Exists(same_pair.filter(state=State.SENT, sequence__gt=OuterRef("sequence"))))
        .exclude(Exists(same_pair.filter(meeting_sequence__gte=OuterRef("meeting__sequence"))))
        .annotate(
            declined=Exists(answers.filter(response=Response.NO)),
            answered=Exists(answers),
            follows=Exists(follows),
        )
        .filter(wanted)
        .select_related("meeting", "meeting__series", "user")
        .order_by("meeting_id", "user_id")
    )


def _plan_change(
    *, meeting: Meeting, user: User, kind: str, now: datetime, told: Delivery
) -> Delivery | None:
    with transaction.atomic():
        meeting = lock_meeting(meeting)
        # An answer may have planned its own message since the query above: that one wins.
        handled = Delivery.objects.filter(
            meeting=meeting,
            user=user,
            kind__in=ALL_CALENDAR_KINDS,
            meeting_sequence__gte=meeting.sequence,
        )
        if handled.exists():
            return None
        return _insert_locked(
            meeting=meeting, user=user, kind=kind, due_at=now, previous=told.snapshot
        )


# --- invitations to followers and to extra meetings ---------------------------------------


def _plan_follow_invites(now: datetime) -> int:
    meetings = Meeting.objects.filter(
        status=Meeting.Status.SCHEDULED,
        is_extra=False,
        starts_at__gt=now,
        starts_at__lte=now + FOLLOW_INVITE_WINDOW,
        series__follows__isnull=False,
    ).distinct()
    planned = 0
    for meeting in meetings:
        followers = User.objects.filter(follows__series_id=meeting.series_id)
        planned += _invite_all(meeting, followers, now)
    return planned


def _plan_extra_invites(now: datetime) -> int:
    planned = 0
    for meeting in Meeting.objects.filter(
        status=Meeting.Status.SCHEDULED, is_extra=True, starts_at__gt=now
    ):
        audience = Q(notify_extra_meetings=True)
        if meeting.series_id:
            audience |= Q(follows__series_id=meeting.series_id)
        planned += _invite_all(meeting, User.objects.filter(audience), now)
    return planned


def _invite_all(meeting: Meeting, audience: QuerySet[User], now: datetime) -> int:
    """Invite each of `audience` who has had no calendar message and did not answer no."""
    told = Delivery.objects.filter(
        meeting=meeting, user=OuterRef("pk"), kind__in=ALL_CALENDAR_KINDS
    )
    declined = Rsvp.objects.filter(meeting=meeting, user=OuterRef("pk"), response=Response.NO)
    uninvited = (
        audience.filter(is_active=True, email_enabled=True)
        .exclude(Exists(told))
        .exclude(Exists(declined))
        .distinct()
    )
    if not uninvited.exists():
        return 0
    with transaction.atomic():
        meeting = lock_meeting(meeting)
        new = [
            _new_delivery(meeting=meeting, user=user, kind=Kind.INVITE, due_at=now)
            for user in uninvited
        ]
        return _insert_new(new)


# --- reminders -----------------------------------------------------------------------------


def _plan_reminders(now: datetime, kind: str, offset: timedelta) -> int:
    """Reminders falling due by the next sweep, for members who had a reason before then:
    a yes or maybe, or (unless they opted out) following the series, but never a no."""
    preference = REMINDER_PREFERENCES[kind]
    meetings = Meeting.objects.filter(
        status=Meeting.Status.SCHEDULED,
        starts_at__gt=now,
        starts_at__lte=now + offset + REMINDER_LOOKAHEAD,
    )
    planned = 0
    for meeting in meetings:
        due_at = meeting.starts_at - offset
        wanting = Q(
            is_active=True, email_enabled=True, reminders_enabled=True, **{preference: True}
        )
        answered = Q(
            rsvps__meeting=meeting,
            rsvps__response__in=COMING,
            rsvps__waitlisted_at__isnull=True,
            rsvps__updated_at__lte=due_at,
        )
        reasons = answered
        if meeting.series_id:
            reasons |= Q(
                follows__series_id=meeting.series_id,
                follows__created_at__lte=due_at,
                remind_followed_series=True,
            )
        reminded = Delivery.objects.filter(
            meeting=meeting, user=OuterRef("pk"), kind=kind, sequence=meeting.sequence
        )
        declined = Rsvp.objects.filter(meeting=meeting, user=OuterRef("pk"), response=Response.NO)
        candidates = (
            User.objects.filter(wanting & reasons)
            .exclude(Exists(declined))
            .exclude(Exists(reminded))
            .distinct()
        )
        new = [
            _new_delivery(meeting=meeting, user=user, kind=kind, due_at=due_at)
            for user in candidates
        ]
        planned += _insert_new(new)
    return planned


def _insert_new(deliveries: Iterable[Delivery]) -> int:
    """Insert the rows not planned yet (a concurrent sweep may have); how many were new."""
    deliveries = list(deliveries)
    if not deliveries:
        return 0
    meeting_ids = {delivery.meeting_id for delivery in deliveries}
    before = Delivery.objects.filter(meeting_id__in=meeting_ids).count()
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    return Delivery.objects.filter(meeting_id__in=meeting_ids).count() - before


# --- the practice: nudges, digests and role reminders --------------------------------------


def _plan_practice(now: datetime) -> int:
    """Nudges, digests and role reminders falling due by the next sweep, for meetings
    with more than half of each message's offset still ahead (a sweep that comes back
    after an outage plans late ones only while they still make sense)."""
    shortest, longest = min(PRACTICE_OFFSETS.values()), max(PRACTICE_OFFSETS.values())
    meetings = list(
        Meeting.objects.filter(
            status=Meeting.Status.SCHEDULED,
            starts_at__gt=now + shortest / 2,
            starts_at__lte=now + longest + REMINDER_LOOKAHEAD,
        ).order_by("starts_at", "pk")
    )
    if not meetings:
        return 0
    places = places_for(meetings)
    planned = 0
    for meeting in meetings:
        for kind, offset in PRACTICE_OFFSETS.items():
            if now + offset / 2 < meeting.starts_at <= now + offset + REMINDER_LOOKAHEAD:
                due_at = meeting.starts_at - offset
                audience = _practice_audience(
                    kind, meeting=meeting, places=places[meeting.pk], due_at=due_at
                )
                if audience is None:
                    continue
                told = Delivery.objects.filter(meeting=meeting, user=OuterRef("pk"), kind=kind)
                new = [
                    _new_delivery(meeting=meeting, user=user, kind=kind, due_at=due_at, sequence=0)
                    for user in audience.filter(email_enabled=True).exclude(Exists(told))
                ]
                planned += _insert_new(new)
    return planned


def asks_for_takers(places: list[Place]) -> bool:
    """Has the meeting an open place in a role that asks members to take it?"""
    return any(place.open and place.role.nudge for place in places)


def _practice_audience(
    kind: str, *, meeting: Meeting, places: list[Place], due_at: datetime
) -> QuerySet[User] | None:
    """Who is owed this practice message about the meeting (None: nobody, without asking
    the database)."""
    if kind == Kind.ROLE_REMINDER:
        holding = [
            holder.user_id
            for place in places
            for holder in place.holders
            if holder.created_at <= due_at
        ]
        if not holding:
            return None
        return User.objects.filter(pk__in=holding, is_active=True, reminders_enabled=True)
    if not asks_for_takers(places):
        return None
    if kind in DIGEST_OFFSETS:
        return organizers()
    # A nudge: to members coming or following since before it is due, who asked for it
    # and hold no role in the meeting.
    reasons = Q(
        rsvps__meeting=meeting,
        rsvps__response=Response.YES,
        rsvps__waitlisted_at__isnull=True,
        rsvps__updated_at__lte=due_at,
    )
    if meeting.series_id:
        reasons |= Q(follows__series_id=meeting.series_id, follows__created_at__lte=due_at)
    answered = Rsvp.objects.filter(meeting=meeting, user=OuterRef("pk"))
    holding = RoleAssignment.objects.filter(meeting=meeting, user=OuterRef("pk"))
    return (
        User.objects.filter(reasons, is_active=True, nudge_open_roles=True)
        .exclude(Exists(answered.filter(response=Response.NO)))
        .exclude(Exists(answered.filter(waitlisted_at__isnull=False)))
        .exclude(Exists(holding))
        .distinct()
    )


# --- the practice: harvests ------------------------------------------------------------------


def plan_harvest(*, harvest: Harvest, now: datetime | None = None) -> list[Delivery]:
    """The harvest, once, to each member who asked for harvests and came to the meeting or
    said yes to it (with a seat, not waiting for one). Call in the transaction that first
    publishes it."""
    now = now or timezone.now()
    meeting = harvest.meeting
    said_yes = Rsvp.objects.filter(
        meeting=meeting, user=OuterRef("pk"), response=Response.YES, waitlisted_at__isnull=True
    )
    came = Attendance.objects.filter(meeting=meeting, user=OuterRef("pk"), present=True)
    readers = User.objects.filter(
        Exists(said_yes) | Exists(came),
        is_active=True,
        email_enabled=True,
        receive_harvests=True,
    ).order_by("pk")
    new = [
        _new_delivery(meeting=meeting, user=user, kind=Kind.HARVEST, due_at=now, sequence=0)
        for user in readers
    ]
    _insert_new(new)
    return list(Delivery.objects.filter(meeting=meeting, kind=Kind.HARVEST, state=State.PENDING))
