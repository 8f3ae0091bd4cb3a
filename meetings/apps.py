from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MeetingsConfig(AppConfig):
    name = "meetings"

    def ready(self) -> None:
        from .permissions import ensure_organizers_group

        post_migrate.connect(ensure_organizers_group, sender=self)
