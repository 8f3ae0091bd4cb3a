from django.contrib.auth.models import Group, Permission

from .models import organizer_permissions

ORGANIZERS = "Organizers"


def ensure_organizers_group(**kwargs: object) -> Group:
    """The Organizers group, with exactly the permissions to manage series and meetings."""
    group, _ = Group.objects.get_or_create(name=ORGANIZERS)
    permissions = Permission.objects.filter(
        content_type__app_label="meetings", codename__in=organizer_permissions()
    )
    group.permissions.set(permissions)
    return group
