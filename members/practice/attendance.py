"""Who came to a meeting: recorded when a member follows their join link, marked by the
host, the facilitator or an organizer from the start on, or added by the member ("I was
there") until a week after the end. No row is "not recorded".

Services write (`record_join`, `mark_attendance`, `add_self_attendance`); selectors read
(`meeting_summary`, `meeting_roll`, `my_record`), each one query however many members.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, models, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from meetings.models import Meeting

from ..models import Attendance, Rsvp, User
from . import BadInput, NotAllowed, PracticeRefused
from .access import is_member, may_mark_attendance

Source = Attendance.Source
COMING = (Rsvp.Response.YES, Rsvp.Response.MAYBE)
# How long after the end a member may still say they were there.
SELF_REPORT_WINDOW = timedelta(days=7)


class State(models.TextChoices):
    """What a member's attendance of one meeting comes to (not stored: worked out)."""

    ATTENDED = "attended", gettext_lazy("attended")
    NO_SHOW = "no-show", gettext_lazy("no-show")
    NOT_RECORDED = "not recorded", gettext_lazy("not recorded")


def state_of(*, present: bool | None, answer: str | None, taken: bool) -> State:
    """Attended if present; a no-show if they answered yes, attendance was taken (someone
    was marked) and they were not present; else not recorded."""
    if present:
        return State.ATTENDED
    if answer == Rsvp.Response.YES and taken:
        return State.NO_SHOW
    return State.NOT_RECORDED


class JoinClosed(PracticeRefused):
    """The call is not open: before a quarter of an hour ahead of the start, or over."""

    status = 409


class MeetingCancelled(PracticeRefused):
    status = 410


def check_join_open(*, meeting: Meeting, now: datetime) -> None:
    if meeting.is_cancelled:
        raise MeetingCancelled(_("This meeting was cancelled, so there is no call to join."))
    if now < meeting.join_opens_at:
        raise JoinClosed(
            _("The call opens 15 minutes before the start, at %(time)s UTC.")
            % {"time": _utc(meeting.join_opens_at)}
        )
    if now >= meeting.ends_at:
        raise JoinClosed(
            _("This meeting is over: its call closed at %(time)s UTC.")
            % {"time": _utc(meeting.ends_at)}
        )


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}"


def record_join(*, user: User, meeting: Meeting) -> Attendance:
    """The member followed their join link while the call is open: they are present.
    Joining only ever makes a row present; the first join's time is kept, and a marked
    row keeps its source and who marked it."""
    now = timezone.now()
    check_join_open(meeting=meeting, now=now)
    with transaction.atomic():
        row = _locked_row(meeting=meeting, user=user)
        if row is None:
            row, created = _create_or_lock(
                meeting=meeting, user=user, present=True, source=Source.JOIN_LINK, joined_at=now
            )
            if created:
                return row
        row.present = True
        row.joined_at = row.joined_at or now
        if row.source == Source.SELF:
            row.source = Source.JOIN_LINK
        row.save(update_fields=["present", "joined_at", "source", "updated_at"])
        return row


def _locked_row(*, meeting: Meeting, user: User) -> Attendance | None:
    return Attendance.objects.select_for_update().filter(meeting=meeting, user=user).first()


def _create_or_lock(*, meeting: Meeting, user: User, **fields: object) -> tuple[Attendance, bool]:
    """The member's row made with `fields` (True), or, when a request at the same moment
    made it first, that one, locked (False)."""
    try:
        with transaction.atomic():
            return Attendance.objects.create(meeting=meeting, user=user, **fields), True
    except IntegrityError:
        return _locked_row(meeting=meeting, user=user), False


def mark_attendance(*, by: User, meeting: Meeting, user: User, present: bool) -> Attendance:
    """The host, the facilitator or an organizer marks a member present or absent, from
    the start of the meeting on; only members who answered yes or maybe, or who are
    already recorded."""
    if not may_mark_attendance(user=by, meeting=meeting):
        raise NotAllowed(_("Only the host, the facilitator or an organizer marks attendance."))
    if meeting.is_cancelled:
        raise PracticeRefused(_("This meeting was cancelled: it takes no attendance."))
    if timezone.now() < meeting.starts_at:
        raise PracticeRefused(_("Attendance is marked from the start of the meeting."))
    with transaction.atomic():
        row = _locked_row(meeting=meeting, user=user)
        if row is None:
            answered = Rsvp.objects.filter(meeting=meeting, user=user, response__in=COMING).exists()
            if not answered:
                raise BadInput(_("This member did not answer yes or maybe to this meeting."))
            row, created = _create_or_lock(
                meeting=meeting, user=user, present=present, source=Source.MARKED, marked_by=by
            )
            if created:
                return row
        row.present = present
        row.source = Source.MARKED
        row.marked_by = by
        row.save(update_fields=["present", "source", "marked_by", "updated_at"])
        return row


def add_self_attendance(*, user: User, meeting: Meeting) -> Attendance:
    """The member says they were there: from the start until a week after the end. A
    member who is recorded present stays as they are; one marked absent asks the host."""
    if not is_member(user):
        raise NotAllowed(_("Confirm your e-mail address to say you were there."))
    if meeting.is_cancelled:
        raise PracticeRefused(_("This meeting was cancelled: it takes no attendance."))
    now = timezone.now()
    if now < meeting.starts_at:
        raise PracticeRefused(_("You can say you were there once the meeting has started."))
    if now >= meeting.ends_at + SELF_REPORT_WINDOW:
        raise PracticeRefused(_("You could say you were there until a week after the meeting."))
    with transaction.atomic():
        row = _locked_row(meeting=meeting, user=user)
        if row is None:
            row, _created = _create_or_lock(
                meeting=meeting, user=user, present=True, source=Source.SELF
            )
            return row
        if not row.present:
            raise PracticeRefused(
                _("You were marked absent; ask the host or an organizer to change it.")
            )
        return row


# Selectors


@dataclass(frozen=True)
class Summary:
    """A meeting's attendance for its page: the counts everyone sees, and the viewer's own."""

    attended: int
    taken: bool
    mine: Attendance | None
    my_answer: str | None

    @property
    def my_state(self) -> str:
        return state_of(
            present=self.mine.present if self.mine else None,
            answer=self.my_answer,
            taken=self.taken,
        )


def meeting_summary(*, meeting: Meeting, user: object) -> Summary:
    """One query: how many attended, whether attendance was taken, and the viewer's row and
    answer (for a signed-in viewer)."""
    signed_in = getattr(user, "is_authenticated", False)
    # A visitor matches no row (not `user=None`, which would find former members' rows).
    viewer = user.pk if signed_in else 0
    mine = Attendance.objects.filter(meeting=OuterRef("pk"), user_id=viewer)
    answer = Rsvp.objects.filter(meeting=OuterRef("pk"), user_id=viewer)
    row = (
        Meeting.objects.filter(pk=meeting.pk)
        .annotate(
            attended=Count("attendances", filter=Q(attendances__present=True), distinct=True),
            marked=Count("attendances", filter=Q(attendances__source=Source.MARKED), distinct=True),
            mine_id=Subquery(mine.values("pk")[:1]),
            mine_present=Subquery(mine.values("present")[:1]),
            mine_source=Subquery(mine.values("source")[:1]),
            mine_joined_at=Subquery(mine.values("joined_at")[:1]),
            my_answer=Subquery(answer.values("response")[:1]),
        )
        .values(
            "attended",
            "marked",
            "mine_id",
            "mine_present",
            "mine_source",
            "mine_joined_at",
            "my_answer",
        )
        .first()
    )
    if row is None:
        return Summary(attended=0, taken=False, mine=None, my_answer=None)
    mine_row = None
    if signed_in and row["mine_id"] is not None:
        mine_row = Attendance(
            pk=row["mine_id"],
            meeting=meeting,
            user=user,
            present=row["mine_present"],
            source=row["mine_source"],
            joined_at=row["mine_joined_at"],
        )
    return Summary(
        attended=row["attended"],
        taken=row["marked"] > 0,
        mine=mine_row,
        my_answer=row["my_answer"] if signed_in else None,
    )


@dataclass(frozen=True)
class RollEntry:
    """A member on a meeting's roll: their answer and what was recorded."""

    user: User
    answer: str | None
    present: bool | None
    source: str | None
    joined_at: datetime | None
    state: str

    @property
    def state_label(self) -> str:
        return str(State(self.state).label)


def meeting_roll(meeting: Meeting) -> list[RollEntry]:
    """The members who answered yes or maybe and anyone recorded, by name, as one query
    (whether attendance was taken is asked of the same rows)."""
    rows = Attendance.objects.filter(meeting=meeting, user=OuterRef("pk"))
    answers = Rsvp.objects.filter(meeting=meeting, user=OuterRef("pk"))
    people = list(
        User.objects.filter(Exists(answers.filter(response__in=COMING)) | Exists(rows))
        .annotate(
            answer=Subquery(answers.values("response")[:1]),
            present=Subquery(rows.values("present")[:1]),
            source=Subquery(rows.values("source")[:1]),
            joined_at=Subquery(rows.values("joined_at")[:1]),
            # Asked of the meeting, not the person: a former member's marked row counts.
            taken=Exists(Attendance.objects.filter(meeting=meeting, source=Source.MARKED)),
        )
        .order_by("display_name", "email", "pk")
    )
    return [
        RollEntry(
            user=person,
            answer=person.answer,
            present=person.present,
            source=person.source,
            joined_at=person.joined_at,
            state=state_of(present=person.present, answer=person.answer, taken=person.taken),
        )
        for person in people
    ]


@dataclass(frozen=True)
class RecordEntry:
    """One past meeting on a member's own record."""

    meeting: Meeting
    answer: str | None
    state: str

    @property
    def state_label(self) -> str:
        return str(State(self.state).label)


MY_RECORD_LIMIT = 50


def my_record(*, user: User, now: datetime | None = None) -> list[RecordEntry]:
    """The member's past meetings (answered or recorded), newest first, with what each
    came to; one query."""
    now = now or timezone.now()
    rows = Attendance.objects.filter(meeting=OuterRef("pk"), user=user)
    answers = Rsvp.objects.filter(meeting=OuterRef("pk"), user=user)
    meetings = (
        Meeting.objects.filter(ends_at__lte=now, status=Meeting.Status.SCHEDULED)
        .filter(Exists(answers) | Exists(rows))
        .annotate(
            answer=Subquery(answers.values("response")[:1]),
            present=Subquery(rows.values("present")[:1]),
            taken=Exists(Attendance.objects.filter(meeting=OuterRef("pk"), source=Source.MARKED)),
        )
        .select_related("series")
        .order_by("-starts_at", "-pk")[:MY_RECORD_LIMIT]
    )
    return [
        RecordEntry(
            meeting=meeting,
            answer=meeting.answer,
            state=state_of(present=meeting.present, answer=meeting.answer, taken=meeting.taken),
        )
        for meeting in meetings
    ]
