"""Send: claim a chunk of rows, check each still stands, render it and hand it to SMTP.

- **claim**: a worker flips the rows of its chunk (up to `queue.CHUNK_SIZE`, or one) from
  pending to sending with one conditional UPDATE; only the worker that changed a row sends
  it, so a duplicate task is a no-op. Every claim counts
  as an attempt. A claim left by a killed worker is taken again after CLAIM_TIMEOUT and
  re-sent with the same Message-ID, until the attempts run out (`sweep.give_up_abandoned`).
- **check**: a message that no longer stands (the member said no, the meeting moved, it is
  too late to be useful, it would only repeat what the member was just sent; the open
  place a nudge asks for was taken, the harvest withdrawn) is skipped with the reason. A
  reminder never overtakes the member's invitation to the same meeting: while one is on its
  way the reminder is put back, and the sweep holds it (`sweep._due`).
- **send**: whose fault a failure is decides what follows (`copf.lib.smtp.classify`): the
  recipient refused is final for this message; a transient failure, or a message that could
  not be built, is retried with capped backoff and fails with its reason after MAX_ATTEMPTS;
  the server refusing us pauses all sending (`outage`) and keeps the message pending.
"""

import functools
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from copf.lib import smtp
from meetings.services import lock_meeting

from ..models import (
    ALL_CALENDAR_KINDS,
    CALENDAR_KINDS,
    POLL_KINDS,
    REMINDER_PREFERENCES,
    Delivery,
    Follow,
    Harvest,
    Rsvp,
)
from ..practice.access import is_organizer
from ..practice.places import meeting_places
from . import outage, poll_render, render
from . import polls as poll_mail
from .plan import (
    DIGEST_OFFSETS,
    PRACTICE_OFFSETS,
    REMINDER_OFFSETS,
    asks_for_takers,
    next_sequence,
)

logger = logging.getLogger(__name__)

Kind = Delivery.Kind
State = Delivery.State

CLAIM_TIMEOUT = timedelta(minutes=10)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(minutes=30)
MAX_ATTEMPTS = 8
# A reminder this soon after the member's invitation (or update) would only repeat it.
REMINDER_AFTER_INVITE = timedelta(minutes=15)
PAUSED = "paused"
NOT_CLAIMED = "not claimed"
RETRY = "retry"
PUT_BACK = "put back"
# A chunk still sending after this gives the rest back to the sweep, well before the task's
# soft time limit (CELERY_TASK_SOFT_TIME_LIMIT) would cut it off mid-message.
CHUNK_BUDGET = timedelta(seconds=60)
HELD = "held"
# What `skip_reason` says of a reminder that must wait, not be skipped.
WAITING_FOR_INVITATION = "Waiting for the invitation to go first."


class TransientFailure(Exception):
    """Sending failed in a way that may pass; try again after `retry_in`."""

    def __init__(self, reason: str, retry_in: timedelta) -> None:
        super().__init__(reason)
        self.retry_in = retry_in


def deliver(delivery_id: int, *, now: datetime | None = None) -> str:
    """Claim, check, render and send one message (a chunk of one). Returns what became
    of it.

    Raises TransientFailure when sending should be tried again later.
    """
    result = deliver_chunk([delivery_id], now=now)
    if delivery_id in result.retries:
        raise result.retries[delivery_id]
    return result.outcomes[delivery_id]


@dataclass
class ChunkResult:
    """What became of each message of a chunk, in the order given; the ones to try again
    later with why and when."""

    outcomes: dict[int, str]
    retries: dict[int, TransientFailure] = field(default_factory=dict)

    @property
    def retry_in(self) -> timedelta | None:
        """When every message to try again is due again."""
        return max((failure.retry_in for failure in self.retries.values()), default=None)


def deliver_chunk(delivery_ids: list[int], *, now: datetime | None = None) -> ChunkResult:
    """Claim the rows still due in one UPDATE, load them in a constant number of queries,
    and send each over the worker's one SMTP connection (`copf.lib.smtp`).

    Each message is checked, sent and marked on its own: one refused or failing recipient
    does not hold up the others. Only the server refusing us stops the chunk; the rest of
    it goes back to pending for the first sweep after the pause.
    """
    pinned = now is not None
    now = now or timezone.now()
    result = ChunkResult(outcomes=dict.fromkeys(delivery_ids, NOT_CLAIMED))
    status = outage.current_status()
    if status.is_paused(now):
        # Leave them pending and unqueued: the first sweep after the pause sends them.
        Delivery.objects.filter(pk__in=delivery_ids, state=State.PENDING).update(enqueued_at=None)
        result.outcomes = dict.fromkeys(delivery_ids, PAUSED)
        return result
    claimed = claim_chunk(delivery_ids, now=now)
    invitations = invitations_of([delivery for delivery, _ in claimed])
    failing = status.is_failing
    parts = render.SharedParts()
    deadline = time.monotonic() + CHUNK_BUDGET.total_seconds()
    for index, (delivery, answer) in enumerate(claimed):
        if time.monotonic() > deadline:
            rest = [pending.pk for pending, _ in claimed[index:]]
            _give_back(rest, now=now)
            result.outcomes.update(dict.fromkeys(rest, PUT_BACK))
            logger.warning("A chunk ran out of time; %s messages left to the sweep", len(rest))
            break
        # Checked and stamped when its turn comes, not when the chunk was claimed.
        at = now if pinned else timezone.now()
        try:
            outcome = _deliver_claimed(
                delivery,
                now=at,
                preloaded=answer,
                invitations=invitations.get((delivery.meeting_id, delivery.user_id)),
                parts=parts,
            )
        except TransientFailure as failure:
            result.retries[delivery.pk] = failure
            outcome = RETRY
        result.outcomes[delivery.pk] = outcome
        if outcome == PAUSED:
            reason = outage.current_status().last_error
            for rest, _ in claimed[index + 1 :]:
                outage.put_back(rest, reason=reason, now=now)
                result.outcomes[rest.pk] = PAUSED
            break
        if outcome == State.SENT and failing:
            outage.record_success()
            failing = False
    return result


def _give_back(delivery_ids: list[int], *, now: datetime) -> None:
    """Back to pending and unqueued, the attempts their claims counted given back: the next
    sweep hands them out again."""
    Delivery.objects.filter(pk__in=delivery_ids, state=State.SENDING).update(
        state=State.PENDING, attempts=F("attempts") - 1, enqueued_at=None, updated_at=now
    )


@dataclass(frozen=True)
class Invitation:
    """A member's invitation or update to a meeting, as a reminder's check needs it."""

    state: str
    sent_at: datetime | None


def invitations_of(deliveries: list[Delivery]) -> dict[tuple[int, int], list[Invitation]]:
    """For each reminder among `deliveries`, by (meeting, member): their invitations and
    updates still on their way or sent shortly before a reminder is due. One query for a
    whole chunk; the check then goes by what the chunk found when it was claimed."""
    reminders = [delivery for delivery in deliveries if delivery.kind in REMINDER_OFFSETS]
    if not reminders:
        return {}
    pairs = {(delivery.meeting_id, delivery.user_id) for delivery in reminders}
    earliest = min(delivery.due_at for delivery in reminders) - REMINDER_AFTER_INVITE
    found: dict[tuple[int, int], list[Invitation]] = {pair: [] for pair in pairs}
    rows = (
        Delivery.objects.filter(
            meeting_id__in={meeting for meeting, _ in pairs},
            user_id__in={user for _, user in pairs},
            kind__in=CALENDAR_KINDS,
        )
        .filter(
            Q(state__in=[State.PENDING, State.SENDING]) | Q(state=State.SENT, sent_at__gte=earliest)
        )
        .values_list("meeting_id", "user_id", "state", "sent_at")
    )
    for meeting_id, user_id, state, sent_at in rows:
        if (meeting_id, user_id) in found:
            found[meeting_id, user_id].append(Invitation(state=state, sent_at=sent_at))
    return found


def _follows(delivery: Delivery) -> bool:
    series_id = delivery.meeting.series_id
    return (
        bool(series_id) and Follow.objects.filter(user=delivery.user, series_id=series_id).exists()
    )


def _minutes(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _deliver_claimed(
    delivery: Delivery,
    *,
    now: datetime,
    preloaded: Rsvp | None,
    invitations: list[Invitation] | None,
    parts: "render.SharedParts",
) -> str:
    try:
        reason, answer = _check(delivery, now=now, preloaded=preloaded, invitations=invitations)
        if reason == WAITING_FOR_INVITATION:
            _hold(delivery, now=now)
            return HELD
        if reason:
            _finish(delivery, state=State.SKIPPED, error=reason)
            return State.SKIPPED
        if delivery.kind in POLL_KINDS:
            message, snapshot = poll_render.build_message(delivery, now=now)
        else:
            message, snapshot = render.build_message(
                delivery, now=now, answer=answer, parts=parts.of(delivery.meeting)
            )
        smtp.send(message)
    except Exception as error:
        return _after_failure(delivery, error, now=now)
    _finish(delivery, state=State.SENT, snapshot=snapshot, now=now)
    return State.SENT


def claim(delivery_id: int, *, now: datetime | None = None) -> Delivery | None:
    """Take the row for sending; None if another worker has it, it is done, or its
    attempts are spent."""
    claimed = claim_chunk([delivery_id], now=now)
    return claimed[0][0] if claimed else None


def claim_chunk(
    delivery_ids: list[int], *, now: datetime | None = None
) -> list[tuple[Delivery, Rsvp | None]]:
    """Take for sending the rows among these that are due, not someone else's, and have
    attempts left, with the member's answer to each: three queries however many.

    One conditional UPDATE flips them to sending and says which rows it changed
    (RETURNING, which the ORM's update does not offer), so of two workers given the same
    ids each sends only the rows it won.
    """
    now = now or timezone.now()
    if not delivery_ids:
        return []
    won = _claim_returning(delivery_ids, now=now)
    if not won:
        return []
    deliveries = list(
        Delivery.objects.select_related(
            "meeting",
            "meeting__series",
            "user",
            "poll",
            "poll__chosen_slot",
            "poll__meeting",
            "poll__new_series",
            "voter",
        )
        .filter(pk__in=won)
        .order_by("due_at", "pk")
    )
    # Answers are to meetings: a poll's rows have none.
    about_meetings = [delivery for delivery in deliveries if delivery.meeting_id is not None]
    answers = {}
    if about_meetings:
        answers = {
            (answer.meeting_id, answer.user_id): answer
            for answer in Rsvp.objects.filter(
                meeting_id__in={delivery.meeting_id for delivery in about_meetings},
                user_id__in={delivery.user_id for delivery in about_meetings},
            )
        }
    return [
        (delivery, answers.get((delivery.meeting_id, delivery.user_id))) for delivery in deliveries
    ]


def _claim_returning(delivery_ids: list[int], *, now: datetime) -> list[int]:
    """The claim `claim_chunk` describes: pending and due, or claimed by a worker that
    has not finished within CLAIM_TIMEOUT; attempts left. Every claim counts as one."""
    ops = connection.ops
    name = ops.quote_name
    when = ops.adapt_datetimefield_value(now)
    stale = ops.adapt_datetimefield_value(now - CLAIM_TIMEOUT)
    ids = ", ".join(["%s"] * len(delivery_ids))
    # Only quoted names and placeholders are formatted in; every value is a parameter.
    sql = (
        f"UPDATE {name(Delivery._meta.db_table)} "  # noqa: S608
        f"SET {name('state')} = %s, {name('claimed_at')} = %s, "
        f"{name('attempts')} = {name('attempts')} + 1, {name('updated_at')} = %s "
        f"WHERE {name('id')} IN ({ids}) AND {name('attempts')} < %s "
        f"AND (({name('state')} = %s AND {name('due_at')} <= %s) "
        f"OR ({name('state')} = %s AND {name('claimed_at')} <= %s)) "
        f"RETURNING {name('id')}"
    )
    params = [
        State.SENDING.value,
        when,
        when,
        *delivery_ids,
        MAX_ATTEMPTS,
        State.PENDING.value,
        when,
        State.SENDING.value,
        stale,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _check(
    delivery: Delivery,
    *,
    now: datetime,
    preloaded: Rsvp | None,
    invitations: list[Invitation] | None = None,
) -> tuple[str, Rsvp | None]:
    """Why the message should no longer go out ("" if it should), and the member's answer.

    A calendar message is checked with the meeting locked, and the member's answer read
    again under that lock (an answer changing now plans a newer message); a reminder goes
    by the answer and the invitations loaded with its chunk, and takes no lock. If the
    meeting changed since a calendar message was planned it takes the member's next
    SEQUENCE then, so whatever is planned after it carries a higher one.
    """
    if delivery.kind not in ALL_CALENDAR_KINDS:
        reason = skip_reason(delivery, now=now, answer=preloaded, invitations=invitations)
        return reason, preloaded
    with transaction.atomic():
        answer = preloaded
        if delivery.kind in ALL_CALENDAR_KINDS:
            delivery.meeting = lock_meeting(delivery.meeting)
            answer = Rsvp.objects.filter(meeting_id=delivery.meeting_id, user=delivery.user).first()
        reason = skip_reason(delivery, now=now, answer=answer)
        renumber = (
            not reason
            and delivery.kind in ALL_CALENDAR_KINDS
            and delivery.sequence < delivery.meeting.sequence
        )
        if renumber:
            delivery.sequence = next_sequence(meeting=delivery.meeting, user=delivery.user)
            Delivery.objects.filter(pk=delivery.pk).update(sequence=delivery.sequence)
    return reason, answer


def calendar_messages_on_their_way(*, meeting: object, user: object) -> QuerySet[Delivery]:
    """Invitations, updates and seats for this member and meeting, planned and not sent yet
    (`meeting` and `user`: ids, or `OuterRef`s in a subquery)."""
    return Delivery.objects.filter(
        meeting=meeting,
        user=user,
        kind__in=CALENDAR_KINDS,
        state__in=[State.PENDING, State.SENDING],
    )


def _hold(delivery: Delivery, *, now: datetime) -> None:
    """Back to pending, the attempt given back: the first sweep after the invitation has
    gone enqueues it again."""
    Delivery.objects.filter(pk=delivery.pk, state=State.SENDING).update(
        state=State.PENDING,
        attempts=F("attempts") - 1,
        enqueued_at=None,
        last_error=WAITING_FOR_INVITATION,
        updated_at=now,
    )


def _after_failure(delivery: Delivery, error: Exception, *, now: datetime) -> str:
    failure = smtp.classify(error)
    if failure is not None and failure.blame == smtp.Blame.SERVER:
        status = outage.record_failure(reason=failure.description, now=now)
        outage.put_back(delivery, reason=failure.description, now=now)
        logger.error(
            "The mail server refused us (%s); sending paused until %s",
            failure.description,
            status.paused_until,
        )
        return PAUSED
    if failure is not None and failure.blame == smtp.Blame.RECIPIENT:
        logger.error("Delivery %s failed: %s", delivery.pk, failure.description)
        _finish(delivery, state=State.FAILED, error=failure.description)
        return State.FAILED
    if failure is None:
        description = f"Could not build or send the message: {type(error).__name__}: {error}"
    else:
        description = failure.description
    if delivery.attempts < MAX_ATTEMPTS:
        retry_in = backoff(delivery.attempts)
        Delivery.objects.filter(pk=delivery.pk, state=State.SENDING).update(
            state=State.PENDING,
            due_at=now + retry_in,
            enqueued_at=now,
            last_error=description,
            updated_at=now,
        )
        if failure is None and delivery.attempts == 1:
            # Not a mail error: most likely a bug. Its traceback is logged this once.
            logger.exception("Delivery %s: %s; retry in %s", delivery.pk, description, retry_in)
        else:
            logger.warning(
                "Delivery %s failed for now (%s); retry in %s", delivery.pk, description, retry_in
            )
        raise TransientFailure(description, retry_in) from error
    description = f"Gave up after {delivery.attempts} attempts: {description}"
    logger.error("Delivery %s failed: %s", delivery.pk, description)
    _finish(delivery, state=State.FAILED, error=description)
    return State.FAILED


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def _finish(
    delivery: Delivery,
    *,
    state: str,
    error: str = "",
    snapshot: dict[str, object] | None = None,
    now: datetime | None = None,
) -> None:
    if state == State.SENT and snapshot is not None:
        _mark_sent(delivery, snapshot=snapshot, now=now or timezone.now())
        return
    fields: dict[str, object] = {"state": state, "last_error": error, "updated_at": timezone.now()}
    if state == State.SENT:
        fields["sent_at"] = now or timezone.now()
    if snapshot is not None:
        fields["snapshot"] = snapshot
        fields["meeting_sequence"] = snapshot["meeting_sequence"]
    Delivery.objects.filter(pk=delivery.pk).update(**fields)


def _mark_sent(delivery: Delivery, *, snapshot: dict[str, object], now: datetime) -> None:
    """The UPDATE after every message sent, as one statement built once per database: the
    queryset `update` rebuilds it each time, and this runs once a message."""
    ops = connection.ops
    values = [
        State.SENT.value,
        "",
        ops.adapt_datetimefield_value(timezone.now()),
        ops.adapt_datetimefield_value(now),
        _SNAPSHOT_FIELD.get_db_prep_save(snapshot, connection),
        snapshot["meeting_sequence"],
        delivery.pk,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_mark_sent_sql(connection.vendor), values)


_SNAPSHOT_FIELD = Delivery._meta.get_field("snapshot")


@functools.cache
def _mark_sent_sql(vendor: str) -> str:
    name = connection.ops.quote_name
    columns = ("state", "last_error", "updated_at", "sent_at", "snapshot", "meeting_sequence")
    assignments = ", ".join(f"{name(column)} = %s" for column in columns)
    # Only quoted names are formatted in; every value is a parameter.
    return (
        f"UPDATE {name(Delivery._meta.db_table)} SET {assignments} "  # noqa: S608
        f"WHERE {name('id')} = %s"
    )


# --- does the message still stand? ----------------------------------------------------------


def skip_reason(
    delivery: Delivery,
    *,
    now: datetime,
    answer: Rsvp | None,
    invitations: list[Invitation] | None = None,
) -> str:
    """Why this message should no longer go out, or "" if it should (for a reminder that
    must wait for the member's invitation: WAITING_FOR_INVITATION). A reminder's
    `invitations`, if its chunk loaded them (`invitations_of`), save a query. Messages
    about a poll are checked by `polls.skip_reason`."""
    if delivery.kind in POLL_KINDS:
        return poll_mail.skip_reason(delivery, now=now)
    reason = _stale_reason(delivery, now=now, answer=answer, invitations=invitations)
    if reason or delivery.kind not in ALL_CALENDAR_KINDS:
        return reason
    newer = Delivery.objects.filter(
        meeting_id=delivery.meeting_id,
        user_id=delivery.user_id,
        kind__in=ALL_CALENDAR_KINDS,
        sequence__gt=delivery.sequence,
    ).exclude(state__in=[State.SKIPPED, State.FAILED])
    if newer.exists():
        return "A newer message about this meeting replaces this one."
    if delivery.kind == Kind.INVITE and _holds_it_already(delivery, answer=answer):
        # Yes, no, yes again within the settle delay: the cancellation was withdrawn, and
        # the calendar still holds the first invitation.
        return "The member's calendar already holds this meeting with this answer."
    return ""


def _holds_it_already(delivery: Delivery, *, answer: Rsvp | None) -> bool:
    last_sent = (
        Delivery.objects.filter(
            meeting_id=delivery.meeting_id,
            user_id=delivery.user_id,
            kind__in=ALL_CALENDAR_KINDS,
            state=State.SENT,
            sequence__lt=delivery.sequence,
        )
        .order_by("-sequence")
        .first()
    )
    return (
        last_sent is not None
        and last_sent.kind != Kind.CANCELLATION
        and last_sent.meeting_sequence == delivery.meeting.sequence
        and answer is not None
        and last_sent.snapshot.get("response") == answer.response
    )


def _stale_reason(
    delivery: Delivery,
    *,
    now: datetime,
    answer: Rsvp | None,
    invitations: list[Invitation] | None,
) -> str:
    meeting, user = delivery.meeting, delivery.user
    if not user.is_active or not user.email_enabled:
        return "The member turned e-mail off."
    if delivery.kind == Kind.HARVEST:
        return _harvest_reason(delivery)
    if delivery.kind == Kind.CANCELLATION:
        sent_before = Delivery.objects.filter(
            meeting=meeting, user=user, kind__in=CALENDAR_KINDS, state=State.SENT
        ).exists()
        if not sent_before:
            return "The member was never sent an invitation to cancel."
        return ""
    if meeting.is_cancelled:
        return "The meeting was cancelled."
    if meeting.starts_at <= now:
        return "The meeting started before this could be sent."
    if delivery.kind in PRACTICE_OFFSETS:
        return _practice_reason(delivery, now=now, answer=answer)
    if answer is not None and answer.response == Rsvp.Response.NO:
        return "The member answered no."
    if answer is not None and answer.is_waitlisted:
        return "The member is on the waitlist; they hear from us when a seat frees up."
    if delivery.kind in REMINDER_OFFSETS:
        return _reminder_reason(delivery, now=now, answer=answer, invitations=invitations)
    if delivery.kind == Kind.PROMOTION and (answer is None or not answer.holds_seat):
        return "The member no longer holds a seat."
    return ""


def _reminder_reason(
    delivery: Delivery,
    *,
    now: datetime,
    answer: Rsvp | None,
    invitations: list[Invitation] | None,
) -> str:
    meeting, user = delivery.meeting, delivery.user
    if meeting.sequence != delivery.meeting_sequence:
        return "The meeting changed after this reminder was planned; a new one is planned."
    preference = REMINDER_PREFERENCES[delivery.kind]
    if not user.reminders_enabled or not getattr(user, preference):
        return "The member turned this reminder off."
    if answer is None and not _follows(delivery):
        return "The member no longer follows this series."
    offset = REMINDER_OFFSETS[delivery.kind]
    if invitations is None:
        invitations = invitations_of([delivery]).get((meeting.pk, user.pk), [])
    # The member's invitations and updates still on their way, or sent just before.
    states = {
        invitation.state
        for invitation in invitations
        if invitation.state != State.SENT
        or invitation.sent_at >= delivery.due_at - REMINDER_AFTER_INVITE
    }
    if State.SENT in states:
        return (
            "The member was sent this meeting's invitation or an update minutes before; "
            "a reminder would repeat it."
        )
    # After an outage, a day-before reminder minutes before the meeting only confuses; the
    # hour-before one still goes.
    late = _too_late(meeting.starts_at - now, offset, what="this reminder")
    if late:
        return late
    if states:
        return WAITING_FOR_INVITATION
    return ""


def _too_late(starts_in: timedelta, offset: timedelta, *, what: str) -> str:
    """Why a message meant `offset` before the meeting is too late, with less than half of
    that left ("" while it is not)."""
    if starts_in >= offset / 2:
        return ""
    return (
        f"Too late to be useful: the meeting starts in {_minutes(starts_in)}, "
        f"less than half of the {_minutes(offset)} {what} gives."
    )


def _practice_reason(delivery: Delivery, *, now: datetime, answer: Rsvp | None) -> str:
    """Does a nudge, digest or role reminder still stand, with the roles as they are now?"""
    meeting, user = delivery.meeting, delivery.user
    late = _too_late(meeting.starts_at - now, PRACTICE_OFFSETS[delivery.kind], what="it")
    if late:
        return late
    places = meeting_places(meeting)
    if delivery.kind == Kind.ROLE_REMINDER:
        if not user.reminders_enabled:
            return "The member turned reminders off."
        if not any(place.held_by(user) for place in places):
            return "The member no longer holds a role in this meeting."
        return ""
    if delivery.kind in DIGEST_OFFSETS:
        if not is_organizer(user):
            return "The member is no longer an organizer."
        if not any(place.open for place in places):
            return "Every place in the meeting's roles was taken meanwhile."
        return ""
    if not user.nudge_open_roles:
        return "The member no longer wants to be asked to take a role."
    if answer is not None and answer.response == Rsvp.Response.NO:
        return "The member answered no."
    if answer is not None and answer.is_waitlisted:
        return "The member is on the waitlist: a role needs a seat."
    coming = answer is not None and answer.response == Rsvp.Response.YES
    if not coming and not _follows(delivery):
        return "The member no longer follows this series and did not answer yes."
    if any(place.held_by(user) for place in places):
        return "The member took a role in this meeting meanwhile."
    if not asks_for_takers(places):
        return "The open places this asked members to take were taken meanwhile."
    return ""


def _harvest_reason(delivery: Delivery) -> str:
    """A harvest goes once it is published, while it still is, to a member who still
    wants it; the meeting is over by then."""
    if not delivery.user.receive_harvests:
        return "The member no longer wants harvests by e-mail."
    harvest = Harvest.objects.filter(meeting_id=delivery.meeting_id).first()
    if harvest is None or harvest.state == Harvest.State.WITHDRAWN:
        return "The harvest was withdrawn before it could be sent."
    if not harvest.is_published:
        return "The harvest is not published."
    return ""
