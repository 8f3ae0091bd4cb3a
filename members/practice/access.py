"""Who may do what with a meeting's roles, agenda and harvest. Checked on the server by
every service; pages ask the same functions to show only what a member can do."""

from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q, QuerySet

from meetings.models import Meeting

from ..models import RoleAssignment, User
from ..selectors import is_verified

FACILITATOR = "facilitator"
HOST = "host"
HARVESTER = "harvester"
# The permission that makes an organizer (the Organizers group holds it).
ORGANIZER_APP, ORGANIZER_PERMISSION = "meetings", "change_meeting"


def is_organizer(user: object) -> bool:
    """Organizers manage series and meetings: the Organizers group (or anyone given its
    permission), staff and superusers."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_staff or user.has_perm(f"{ORGANIZER_APP}.{ORGANIZER_PERMISSION}"))
    )


def organizers() -> QuerySet[User]:
    """The active members `is_organizer` says yes to, as one query: staff, superusers, and
    those given the permission themselves or through a group."""
    permission = Permission.objects.filter(
        codename=ORGANIZER_PERMISSION, content_type__app_label=ORGANIZER_APP
    )
    return User.objects.filter(
        Q(is_superuser=True)
        | Q(is_staff=True)
        | Exists(permission.filter(user=OuterRef("pk")))
        | Exists(permission.filter(group__user=OuterRef("pk"))),
        is_active=True,
    )


def is_member(user: object) -> bool:
    """A signed-in member with a confirmed address: the one who can take part."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and is_verified(user))


def held_roles(*, user: object, meeting: Meeting) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        RoleAssignment.objects.filter(meeting=meeting, user=user).values_list("role", flat=True)
    )


def may_run_agenda(*, user: User, meeting: Meeting, roles: set[str] | None = None) -> bool:
    """Accept, order or decline proposals: the facilitator and organizers."""
    if is_organizer(user):
        return True
    roles = held_roles(user=user, meeting=meeting) if roles is None else roles
    return is_member(user) and FACILITATOR in roles


def may_write_harvest(*, user: User, meeting: Meeting, roles: set[str] | None = None) -> bool:
    """Write and publish the harvest: the harvester, the facilitator and organizers."""
    if is_organizer(user):
        return True
    roles = held_roles(user=user, meeting=meeting) if roles is None else roles
    return is_member(user) and bool({FACILITATOR, HARVESTER} & roles)


def may_mark_attendance(*, user: User, meeting: Meeting, roles: set[str] | None = None) -> bool:
    """Mark who came: the host, the facilitator and organizers."""
    if is_organizer(user):
        return True
    roles = held_roles(user=user, meeting=meeting) if roles is None else roles
    return is_member(user) and bool({HOST, FACILITATOR} & roles)
