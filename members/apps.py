from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MembersConfig(AppConfig):
    name = "members"

    def ready(self) -> None:
        post_migrate.connect(give_organizers_roles, sender=self)


def give_organizers_roles(**kwargs: object) -> None:
    """Organizers manage the roles of series and meetings, beside the schedule itself."""
    from django.contrib.auth.models import Permission

    from meetings.permissions import ensure_organizers_group

    group = ensure_organizers_group()
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="members",
            codename__in=[f"{action}_role" for action in ("add", "change", "delete", "view")],
        )
    )
