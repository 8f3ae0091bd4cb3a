from django.core.management.base import BaseCommand

from members.deliveries import sweep


class Command(BaseCommand):
    help = "Run one sweep: plan due messages and hand them to the workers (as the beat does)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Say what would be planned and sent; change nothing.",
        )

    def handle(self, *args: object, dry_run: bool = False, **options: object) -> None:
        result = sweep.send_due(dry_run=dry_run)
        if dry_run:
            self.stdout.write(
                f"Would plan {result.planned} and send {len(result.due)} deliveries "
                f"(dry run: nothing changed)."
            )
        else:
            self.stdout.write(
                f"Planned {result.planned} and enqueued {len(result.due)} deliveries."
            )
