"""What each meeting's roles are and who holds them: the reads of `roles`, kept apart from
taking and giving back so that the delivery pipeline, which answering yes plans messages
through, can read them too."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from meetings.models import Meeting

from ..models import Role, RoleAssignment, User


@dataclass
class Place:
    """A role in one meeting with the members holding it."""

    role: Role
    holders: list[RoleAssignment] = field(default_factory=list)

    @property
    def open(self) -> int:
        return max(self.role.places - len(self.holders), 0)

    def held_by(self, user: object) -> bool:
        return any(holder.user_id == getattr(user, "pk", None) for holder in self.holders)


def roles_for(meetings: Iterable[Meeting]) -> dict[int, list[Role]]:
    """Each meeting's roles, in order: its series' roles with the meeting's own in place
    of those with the same slug, and without those given no places. One query."""
    meetings = list(meetings)
    series_ids = {meeting.series_id for meeting in meetings if meeting.series_id}
    rows = Role.objects.filter(
        Q(series_id__in=series_ids) | Q(meeting_id__in=[meeting.pk for meeting in meetings])
    )
    of_series: dict[int, dict[str, Role]] = defaultdict(dict)
    of_meeting: dict[int, dict[str, Role]] = defaultdict(dict)
    for role in rows:
        if role.series_id:
            of_series[role.series_id][role.slug] = role
        else:
            of_meeting[role.meeting_id][role.slug] = role
    result = {}
    for meeting in meetings:
        inherited = of_series.get(meeting.series_id, {})
        roles = {**inherited, **of_meeting.get(meeting.pk, {})}
        # A meeting's own role stands where the series' role it replaces stands.
        stands = {slug: inherited.get(slug, role) for slug, role in roles.items()}
        result[meeting.pk] = sorted(
            (role for role in roles.values() if role.places),
            key=lambda role: role_order(stands[role.slug]),
        )
    return result


def role_order(role: Role) -> tuple[int, bool, int]:
    return (role.position, role.series_id is None, role.pk)


def places_for(meetings: Iterable[Meeting]) -> dict[int, list[Place]]:
    """Each meeting's roles with their holders: two queries however many meetings."""
    meetings = list(meetings)
    roles = roles_for(meetings)
    holders: dict[tuple[int, str], list[RoleAssignment]] = defaultdict(list)
    for assignment in RoleAssignment.objects.filter(meeting__in=meetings).select_related("user"):
        holders[assignment.meeting_id, assignment.role].append(assignment)
    return {
        meeting.pk: [
            Place(role=role, holders=holders[meeting.pk, role.slug]) for role in roles[meeting.pk]
        ]
        for meeting in meetings
    }


def meeting_places(meeting: Meeting) -> list[Place]:
    return places_for([meeting])[meeting.pk]


def holder_names(
    meeting: Meeting, places: list[Place] | None = None
) -> list[tuple[str, list[str]]]:
    """(role, names of its holders) for each held role: what invitations and calendars
    say of who does what. From `places` when the caller has them."""
    places = meeting_places(meeting) if places is None else places
    return [
        (place.role.name, [display_name(holder.user) for holder in place.holders])
        for place in places
        if place.holders
    ]


def display_name(user: User | None) -> str:
    """The name other people see: never any part of an e-mail address."""
    if user is None:
        return _("a former member")
    return user.display_name or _("a member")
