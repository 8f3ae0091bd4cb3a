"""The practice on the meeting page: roles with their holders, the agenda and proposals,
and the harvest, with what this viewer may do with each."""

from datetime import datetime

from django import template
from django.utils import timezone

from meetings.models import Meeting

from ..models import AgendaItem, Harvest, Rsvp, User
from ..practice import access, agenda, attendance, harvests, roles
from ..practice.forms import ProposalForm
from .rsvp import member_part

register = template.Library()
LIBRARY = "practice"  # this module's name, as `{% load %}` knows it


@member_part("practice/_meeting_practice.html", library=register, library_name=LIBRARY)
def practice_panel(context: template.Context, meeting: Meeting) -> dict[str, object]:
    request = context["request"]
    user = request.user
    now = timezone.now()
    places = roles.meeting_places(meeting)
    mine = {place.role.slug for place in places if place.held_by(user)}
    organizer = access.is_organizer(user)
    member = access.is_member(user)
    items = list(meeting.agenda_items.select_related("proposer"))
    runner = organizer or (member and access.FACILITATOR in mine)
    harvest = (
        Harvest.objects.filter(meeting=meeting).prefetch_related("decisions__objections").first()
    )
    open_now = not meeting.is_cancelled and meeting.starts_at > now
    started = meeting.starts_at <= now
    return {
        "meeting": meeting,
        "places": places,
        "mine": mine,
        "member": member,
        "signed_in": user.is_authenticated,
        "organizer": organizer,
        "open": open_now,
        "agenda": agenda.agenda_of(meeting, items),
        "proposals": [item for item in items if item.status == AgendaItem.Status.PROPOSED]
        if runner
        else [],
        "own_items": [
            item for item in items if user.is_authenticated and item.proposer_id == user.pk
        ],
        "runner": runner,
        "proposal_form": ProposalForm() if member and open_now else None,
        "candidates": _candidates(meeting) if organizer and open_now else [],
        "harvest": harvest if harvest and harvests.may_read(user=user, harvest=harvest) else None,
        "harvest_withdrawn": harvest is not None and harvest.state == Harvest.State.WITHDRAWN,
        "harvest_exists": harvest is not None,
        "may_write_harvest": started
        and not meeting.is_cancelled
        and access.may_write_harvest(user=user, meeting=meeting, roles=mine),
        **_attendance(meeting, user=user, now=now, organizer=organizer, member=member, mine=mine),
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }


def _attendance(
    meeting: Meeting, *, user: object, now: datetime, organizer: bool, member: bool, mine: set[str]
) -> dict[str, object]:
    """Who came, once the call has opened: the count for everyone, the viewer's own state,
    "I was there" for a week after, and the roll to mark for the host, the facilitator and
    organizers. Two queries at most, however many members (none before the call opens)."""
    if meeting.is_cancelled or now < meeting.join_opens_at:
        return {"attendance": None}
    summary = attendance.meeting_summary(meeting=meeting, user=user)
    started = meeting.starts_at <= now
    # As `access.may_mark_attendance`, from what the panel already knows.
    marker = started and (organizer or (member and bool({access.HOST, access.FACILITATOR} & mine)))
    return {
        "attendance": summary,
        "my_attendance": attendance.State(summary.my_state).label
        if getattr(user, "is_authenticated", False)
        else "",
        "may_say_there": member
        and started
        and now < meeting.ends_at + attendance.SELF_REPORT_WINDOW
        and summary.mine is None,
        "roll": attendance.meeting_roll(meeting) if marker else None,
        "csv": organizer,
    }


def _candidates(meeting: Meeting) -> list[User]:
    """Whom an organizer may give a role: the members who said yes or maybe."""
    return list(
        User.objects.filter(
            is_active=True,
            rsvps__meeting=meeting,
            rsvps__response__in=[Rsvp.Response.YES, Rsvp.Response.MAYBE],
        ).order_by("display_name", "email")
    )
