"""Roles that rotate: what each meeting needs, who holds it, and who might next.

A series names its roles (`Role` rows with `series` set); a meeting can change one for
itself (a row with `meeting` set and the same slug) or add its own. Taking a role is
answering yes: the role holder takes a seat. Places are checked and taken with the meeting
locked, so two members taking the last place at once cannot both get it.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from meetings.models import Meeting, Series
from meetings.services import lock_meeting

from ..models import Role, RoleAssignment, Rsvp, User
from ..services import RsvpRefused, set_rsvp
from . import BadInput, NotAllowed, PracticeRefused
from .access import FACILITATOR, is_member, is_organizer

# What each meeting needs and who holds it, read where taking a role cannot be imported
# (the delivery pipeline, which `set_rsvp` plans messages through); here for every caller.
from .places import (  # noqa: F401
    Place,
    display_name,
    holder_names,
    meeting_places,
    places_for,
    role_order,
    roles_for,
)

# (slug, name, ask for it when open): what a CoP-F meeting needs, one of each.
DEFAULT_ROLES = [
    ("facilitator", "Facilitator", True),
    ("co-facilitator", "Co-facilitator", False),
    ("timekeeper", "Timekeeper", False),
    ("harvester", "Harvester / note-taker", True),
    ("host", "Host", False),
]
CO_FACILITATOR = "co-facilitator"
HISTORY = timedelta(days=365)


def give_default_roles(*, series: Series) -> list[Role]:
    return [
        Role.objects.get_or_create(
            series=series,
            slug=slug,
            defaults={"name": name, "places": 1, "position": position, "nudge": nudge},
        )[0]
        for position, (slug, name, nudge) in enumerate(DEFAULT_ROLES)
    ]


# --- taking and giving back ----------------------------------------------------------------


def take_role(
    *, user: User, meeting: Meeting, role: str, now: datetime | None = None
) -> RoleAssignment:
    """The member takes an open place in `role` and so answers yes, taking a seat."""
    if not is_member(user):
        raise NotAllowed(_("Confirm your e-mail address to take a role."))
    return _hold(user=user, meeting=meeting, role=role, by=user, now=now)


def assign_role(
    *, organizer: User, user: User, meeting: Meeting, role: str, now: datetime | None = None
) -> RoleAssignment:
    """An organizer gives a place in `role` to a member, who so answers yes."""
    if not is_organizer(organizer):
        raise NotAllowed(_("Only organizers can give a role to someone else."))
    if not user.is_active:
        raise BadInput(_("That member's account is closed."))
    return _hold(user=user, meeting=meeting, role=role, by=organizer, now=now)


def give_back_role(*, user: User, meeting: Meeting, role: str, now: datetime | None = None) -> None:
    """The member gives their place back; their answer stays yes."""
    _release(user=user, meeting=meeting, role=role, now=now)


def unassign_role(
    *, organizer: User, user: User, meeting: Meeting, role: str, now: datetime | None = None
) -> None:
    if not is_organizer(organizer):
        raise NotAllowed(_("Only organizers can take a role from someone else."))
    _release(user=user, meeting=meeting, role=role, now=now)


def _hold(
    *, user: User, meeting: Meeting, role: str, by: User, now: datetime | None
) -> RoleAssignment:
    now = now or timezone.now()
    with transaction.atomic():
        meeting = lock_meeting(meeting, changing=True)
        _check_open(meeting, now=now)
        place = _place(meeting, role)
        if place.held_by(user):
            raise PracticeRefused(
                _("%(name)s already holds this role.") % {"name": display_name(user)}
            )
        if not place.open:
            raise PracticeRefused(
                _("The last place as %(role)s was taken just before you. Try another role.")
                % {"role": place.role.name}
            )
        try:
            with transaction.atomic():
                assignment = RoleAssignment.objects.create(
                    meeting=meeting, role=role, user=user, assigned_by=by
                )
        except IntegrityError as error:
            raise PracticeRefused(_("This role was just given to this member.")) from error
        try:
            answer = set_rsvp(user=user, meeting=meeting, response=Rsvp.Response.YES, now=now)
        except RsvpRefused as refusal:
            raise PracticeRefused(str(refusal)) from refusal
        if answer.rsvp.is_waitlisted:
            # Holding a role takes a seat; undone with the rest of this transaction.
            raise PracticeRefused(
                _("This meeting is full: a role needs a seat. Ask an organizer for one.")
            )
    return assignment


def _release(*, user: User, meeting: Meeting, role: str, now: datetime | None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        meeting = lock_meeting(meeting, changing=True)
        _check_open(meeting, now=now)
        deleted, _count = RoleAssignment.objects.filter(
            meeting=meeting, role=role, user=user
        ).delete()
        if not deleted:
            raise PracticeRefused(_("That role is not held by this member (any more)."))


def _check_open(meeting: Meeting, *, now: datetime) -> None:
    if meeting.is_cancelled:
        raise PracticeRefused(_("This meeting was cancelled, so it takes no roles."))
    if meeting.starts_at <= now:
        raise PracticeRefused(_("Roles closed when this meeting started."))


def _place(meeting: Meeting, role: str) -> Place:
    for place in meeting_places(meeting):
        if place.role.slug == role:
            return place
    raise BadInput(_("This meeting has no such role."))


# --- the rota --------------------------------------------------------------------------


def times_held(
    *, users: Iterable[int] | None = None, now: datetime | None = None
) -> dict[int, dict[str, int]]:
    """How often each member held each role in held meetings of the last 12 months:
    {user id: {role slug: count}}. One query."""
    now = now or timezone.now()
    rows = RoleAssignment.objects.filter(
        meeting__starts_at__gte=now - HISTORY,
        meeting__starts_at__lt=now,
        meeting__status=Meeting.Status.SCHEDULED,
    )
    if users is not None:
        rows = rows.filter(user_id__in=list(users))
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for user_id, role, held in rows.values_list("user_id", "role").annotate(held=Count("pk")):
        counts[user_id][role] = held
    return counts


@dataclass(frozen=True)
class Suggestion:
    user: User
    held: int  # times in this role in the last 12 months
    reason: str


def suggestions(
    *,
    meeting: Meeting,
    places: list[Place],
    coming: list[User],
    counts: dict[int, dict[str, int]],
    limit: int = 3,
) -> dict[str, list[Suggestion]]:
    """For each open place, members who said yes and hold no role in this meeting: those
    who held it least first, so practice spreads. Where the facilitator is new to it, the
    co-facilitator place goes first to those who have facilitated most."""
    holding = {holder.user_id for place in places for holder in place.holders}
    free = [user for user in coming if user.pk not in holding]
    facilitators = next((place.holders for place in places if place.role.slug == FACILITATOR), [])
    first_timer = any(
        not counts.get(holder.user_id, {}).get(FACILITATOR) for holder in facilitators
    )
    result = {}
    for place in places:
        if not place.open:
            continue
        slug = place.role.slug
        if slug == CO_FACILITATOR and first_timer:
            ranked = sorted(
                free,
                key=lambda user: (-counts.get(user.pk, {}).get(FACILITATOR, 0), display_name(user)),
            )
            picks = [
                Suggestion(
                    user=user,
                    held=counts.get(user.pk, {}).get(slug, 0),
                    reason=ngettext(
                        "has facilitated %(count)s time: a partner for a first-time facilitator",
                        "has facilitated %(count)s times: a partner for a first-time facilitator",
                        counts[user.pk][FACILITATOR],
                    )
                    % {"count": counts[user.pk][FACILITATOR]},
                )
                for user in ranked
                if counts.get(user.pk, {}).get(FACILITATOR, 0)
            ]
        else:
            ranked = sorted(
                free, key=lambda user: (counts.get(user.pk, {}).get(slug, 0), display_name(user))
            )
            picks = [
                Suggestion(
                    user=user,
                    held=counts.get(user.pk, {}).get(slug, 0),
                    reason=_("never held it")
                    if not counts.get(user.pk, {}).get(slug)
                    else ngettext(
                        "held it %(count)s time", "held it %(count)s times", counts[user.pk][slug]
                    )
                    % {"count": counts[user.pk][slug]},
                )
                for user in ranked
            ]
        result[slug] = picks[:limit]
    return result


ROTA_LENGTH = 8


@dataclass(frozen=True)
class RotaRow:
    """One meeting on the rota: its place in each of the rota's roles, None where this
    meeting does without that role."""

    meeting: Meeting
    places: list[Place | None]


@dataclass(frozen=True)
class Rota:
    roles: list[Role]  # each slug once, named as the series names it
    rows: list[RotaRow]


def rota(*, series: Series, now: datetime | None = None, length: int = ROTA_LENGTH) -> Rota:
    """The series' next `length` meetings that have not started, cancelled ones included,
    with their places in each of the series' roles and in those a meeting adds for itself.
    Four queries."""
    now = now or timezone.now()
    meetings = list(
        Meeting.objects.filter(series=series, starts_at__gt=now).order_by("starts_at", "pk")[
            :length
        ]
    )
    places = places_for(meetings)
    named = {role.slug: role for role in Role.objects.filter(series=series, places__gt=0)}
    for place in (place for found in places.values() for place in found):
        named.setdefault(place.role.slug, place.role)
    roles = sorted(named.values(), key=role_order)
    rows = []
    for meeting in meetings:
        by_slug = {place.role.slug: place for place in places[meeting.pk]}
        rows.append(RotaRow(meeting=meeting, places=[by_slug.get(role.slug) for role in roles]))
    return Rota(roles=roles, rows=rows)


@dataclass(frozen=True)
class RoleHistory:
    """How often one member held each of the rota's roles in the last 12 months."""

    user: User
    held: list[int]  # in the order of the rota's roles


@dataclass(frozen=True)
class RotaAdvice:
    history: list[RoleHistory]
    suggestions: dict[tuple[int, str], list[Suggestion]]  # by (meeting id, role slug)


def rota_advice(*, rota: Rota, now: datetime | None = None) -> RotaAdvice:
    """What organizers see beside the rota: how often each member held each role in the
    last 12 months (those who held one, and those with a seat in a meeting on the rota),
    and suggestions for each open place in the meetings not cancelled. At most three
    queries."""
    now = now or timezone.now()
    taking = [row.meeting for row in rota.rows if not row.meeting.is_cancelled]
    coming: dict[int, list[User]] = defaultdict(list)
    people: dict[int, User] = {}
    answers = (
        Rsvp.objects.holding_seats()
        .filter(meeting__in=taking, user__is_active=True)
        .select_related("user")
        .order_by("user__display_name", "user_id")
    )
    for answer in answers:
        coming[answer.meeting_id].append(answer.user)
        people[answer.user_id] = answer.user
    counts = times_held(now=now)
    slugs = [role.slug for role in rota.roles]
    held_here = [user_id for user_id, held in counts.items() if set(held) & set(slugs)]
    people |= User.objects.filter(is_active=True).in_bulk(set(held_here) - set(people))
    history = [
        RoleHistory(user=user, held=[counts.get(user.pk, {}).get(slug, 0) for slug in slugs])
        for user in sorted(
            people.values(), key=lambda user: (display_name(user).casefold(), user.pk)
        )
    ]
    advice: dict[tuple[int, str], list[Suggestion]] = {}
    for row in rota.rows:
        if row.meeting.is_cancelled:
            continue
        found = suggestions(
            meeting=row.meeting,
            places=[place for place in row.places if place is not None],
            coming=coming[row.meeting.pk],
            counts=counts,
        )
        advice.update(((row.meeting.pk, slug), picks) for slug, picks in found.items())
    return RotaAdvice(history=history, suggestions=advice)
