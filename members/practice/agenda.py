"""An agenda members shape: anyone taking part proposes, the facilitator (or an organizer)
accepts and orders or declines, and the proposer sees what became of it."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings.models import Meeting
from meetings.services import lock_meeting

from ..models import AgendaItem, User
from . import BadInput, NotAllowed, PracticeRefused, validated
from .access import is_member, may_run_agenda

Status = AgendaItem.Status


@dataclass(frozen=True)
class Agenda:
    """A meeting's accepted items in order, and how their minutes compare with its length."""

    items: list[AgendaItem]
    minutes: int
    meeting_minutes: int

    @property
    def over_by(self) -> int:
        """How many planned minutes more than the meeting lasts (0 if it fits)."""
        return max(self.minutes - self.meeting_minutes, 0)


def agenda_of(meeting: Meeting, items: list[AgendaItem] | None = None) -> Agenda:
    if items is None:
        items = list(meeting.agenda_items.select_related("proposer"))
    accepted = [item for item in items if item.status == Status.ACCEPTED]
    return Agenda(
        items=accepted,
        minutes=sum(item.minutes for item in accepted),
        meeting_minutes=int(meeting.duration.total_seconds() // 60),
    )


def propose_item(
    *,
    user: User,
    meeting: Meeting,
    title: str,
    description: str,
    minutes: int,
    now: datetime | None = None,
) -> AgendaItem:
    if not is_member(user):
        raise NotAllowed(_("Confirm your e-mail address to propose an agenda item."))
    with transaction.atomic():
        meeting = lock_meeting(meeting, changing=True)
        _check_open(meeting, now=now)
        item = AgendaItem(
            meeting=meeting, proposer=user, title=title, description=description, minutes=minutes
        )
        validated(item, exclude=("meeting", "proposer"))
        item.save()
    return item


def decide_item(
    *, user: User, item: AgendaItem, accept: bool, now: datetime | None = None
) -> AgendaItem:
    """Accept the item (at the end of the agenda) or decline it."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = lock_meeting(item.meeting, changing=True)
        _check_runner(user, meeting)
        _check_open(meeting, now=now)
        item = _fresh(item, meeting)
        status = Status.ACCEPTED if accept else Status.DECLINED
        if item.status == status:
            return item
        position = 0
        if accept:
            last = meeting.agenda_items.filter(status=Status.ACCEPTED).order_by("-position")
            position = (last.values_list("position", flat=True).first() or 0) + 1
        item.status, item.position = status, position
        item.decided_by, item.decided_at = user, now
        item.save(update_fields=["status", "position", "decided_by", "decided_at", "updated_at"])
    return item


def move_item(
    *, user: User, item: AgendaItem, up: bool, now: datetime | None = None
) -> list[AgendaItem]:
    """Swap an accepted item with the one before (`up`) or after it; the new order."""
    with transaction.atomic():
        meeting = lock_meeting(item.meeting, changing=True)
        _check_runner(user, meeting)
        _check_open(meeting, now=now)
        item = _fresh(item, meeting)
        if item.status != Status.ACCEPTED:
            raise BadInput(_("Only accepted items have a place on the agenda."))
        order = list(meeting.agenda_items.filter(status=Status.ACCEPTED))
        index = [entry.pk for entry in order].index(item.pk)
        other = index - 1 if up else index + 1
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
        for position, entry in enumerate(order, start=1):
            if entry.position != position:
                entry.position = position
                entry.save(update_fields=["position", "updated_at"])
    return order


def withdraw_item(*, user: User, item: AgendaItem, now: datetime | None = None) -> None:
    """The proposer takes back an item not decided yet."""
    with transaction.atomic():
        meeting = lock_meeting(item.meeting, changing=True)
        _check_open(meeting, now=now)
        item = _fresh(item, meeting)
        if item.proposer_id != user.pk:
            raise NotAllowed(_("Only the member who proposed an item can withdraw it."))
        if item.status != Status.PROPOSED:
            raise PracticeRefused(_("This item was decided already; ask the facilitator."))
        item.delete()


def _check_runner(user: User, meeting: Meeting) -> None:
    if not may_run_agenda(user=user, meeting=meeting):
        raise NotAllowed(_("Only the facilitator and organizers decide on the agenda."))


def _check_open(meeting: Meeting, *, now: datetime | None) -> None:
    now = now or timezone.now()
    if meeting.is_cancelled:
        raise PracticeRefused(_("This meeting was cancelled."))
    if meeting.starts_at <= now:
        raise PracticeRefused(_("This meeting has started: its agenda is settled."))


def _fresh(item: AgendaItem, meeting: Meeting) -> AgendaItem:
    """The item as it is now, under the meeting's lock; gone is a clear refusal."""
    fresh = meeting.agenda_items.filter(pk=item.pk).first()
    if fresh is None:
        raise PracticeRefused(_("This agenda item was withdrawn."))
    return fresh
