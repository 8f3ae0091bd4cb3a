from django.core.management.base import BaseCommand

from meetings import services


class Command(BaseCommand):
    help = "Create meeting rows for every series up to the rolling horizon (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        for slug, result in services.materialize_all_series().items():
            self.stdout.write(
                f"{slug}: {result.created} created, {result.updated} updated, "
                f"{result.removed} removed, {result.cancelled} cancelled"
            )
