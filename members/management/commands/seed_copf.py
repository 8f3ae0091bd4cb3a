from datetime import date, time, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction

from meetings import services
from meetings.models import PLACEHOLDER_JOIN_URL, Series
from members.practice.roles import give_default_roles

DESCRIPTION = (
    "The Community of Practice for Facilitators is a sociocracy community where no one "
    "teaches anyone: members learn from each other by practising facilitation together and "
    "sharing real experiences from the circles they serve."
)

COPF_SERIES = (
    {"slug": "cop-f-east", "name": "CoP-F East", "start_time": time(14, 0)},
    {"slug": "cop-f-west", "name": "CoP-F West", "start_time": time(18, 30)},
)


class Command(BaseCommand):
    help = (
        "Create the CoP-F East and West series, with the roles their meetings need, if they "
        "do not exist (idempotent)."
    )

    def handle(self, *args: object, **options: object) -> None:
        for spec in COPF_SERIES:
            with transaction.atomic():
                series, created = Series.objects.get_or_create(
                    slug=spec["slug"],
                    defaults={
                        "name": spec["name"],
                        "description": DESCRIPTION,
                        "rrule": "FREQ=MONTHLY;BYDAY=2MO",
                        "anchor_timezone": "UTC",
                        "start_date": date(2023, 5, 8),
                        "start_time": spec["start_time"],
                        "duration": timedelta(minutes=90),
                        "join_url": PLACEHOLDER_JOIN_URL,
                    },
                )
                if created:
                    give_default_roles(series=series)
            result = services.materialize_series(series=series)
            verb = "Created" if created else "Kept"
            self.stdout.write(f"{verb} {series.slug}; {result.created} meetings created")
