"""`manage.py seed_copf`: CoP-F East and West, their meetings and the roles they need."""

from datetime import UTC, date, datetime, time, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from meetings.models import PLACEHOLDER_JOIN_URL, Meeting, Series
from members.models import Role

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
class TestSeedCopf:
    def test_creates_east_and_west_with_their_meetings(self):
        output = run("seed_copf")

        east, west = Series.objects.get(slug="cop-f-east"), Series.objects.get(slug="cop-f-west")
        assert (east.name, east.start_time, west.name, west.start_time) == (
            "CoP-F East",
            time(14, 0),
            "CoP-F West",
            time(18, 30),
        )
        for series in (east, west):
            assert (series.rrule, series.anchor_timezone.key, series.start_date) == (
                "FREQ=MONTHLY;BYDAY=2MO",
                "UTC",
                date(2023, 5, 8),
            )
            assert series.duration == timedelta(minutes=90)
            assert "no one teaches anyone" in series.description
        assert east.meetings.first().starts_at == datetime(2026, 12, 14, 14, 0, tzinfo=UTC)
        assert west.meetings.first().starts_at == datetime(2026, 12, 14, 18, 30, tzinfo=UTC)
        assert "Created cop-f-east; 12 meetings created" in output

    def test_gives_east_and_west_the_placeholder_call_address_for_an_organizer_to_replace(self):
        run("seed_copf")

        links = Series.objects.order_by("slug").values_list("slug", "join_url")
        assert list(links) == [
            ("cop-f-east", "https://example.org/replace-with-your-call-link"),
            ("cop-f-west", "https://example.org/replace-with-your-call-link"),
        ]
        assert set(Meeting.objects.values_list("join_url", flat=True)) == {PLACEHOLDER_JOIN_URL}

    def test_keeps_the_call_address_an_organizer_entered(self):
        run("seed_copf")
        Series.objects.filter(slug="cop-f-west").update(join_url="https://meet.jit.si/copf-west")

        run("seed_copf")

        assert Series.objects.get(slug="cop-f-west").join_url == "https://meet.jit.si/copf-west"
        assert Series.objects.get(slug="cop-f-east").join_url == PLACEHOLDER_JOIN_URL

    def test_is_idempotent_and_keeps_admin_changes(self):
        run("seed_copf")
        Series.objects.filter(slug="cop-f-east").update(name="CoP-F East (Asia/Europe)")

        output = run("seed_copf")

        assert Series.objects.count() == 2
        assert Meeting.objects.count() == 24
        assert Series.objects.get(slug="cop-f-east").name == "CoP-F East (Asia/Europe)"
        assert "Kept cop-f-east; 0 meetings created" in output

    def test_names_the_five_roles_of_a_cop_f_meeting_and_asks_for_facilitator_and_harvester(
        self,
    ):
        run("seed_copf")

        for slug in ["cop-f-east", "cop-f-west"]:
            roles = Role.objects.filter(series__slug=slug).order_by("position")
            assert [(role.slug, role.name, role.places, role.nudge) for role in roles] == [
                ("facilitator", "Facilitator", 1, True),
                ("co-facilitator", "Co-facilitator", 1, False),
                ("timekeeper", "Timekeeper", 1, False),
                ("harvester", "Harvester / note-taker", 1, True),
                ("host", "Host", 1, False),
            ]

    def test_keeps_the_roles_an_organizer_changed(self):
        run("seed_copf")
        Role.objects.filter(series__slug="cop-f-east", slug="host").delete()
        Role.objects.filter(series__slug="cop-f-east", slug="timekeeper").update(places=2)

        run("seed_copf")

        east = Role.objects.filter(series__slug="cop-f-east")
        assert sorted(east.values_list("slug", "places")) == [
            ("co-facilitator", 1),
            ("facilitator", 1),
            ("harvester", 1),
            ("timekeeper", 2),
        ]
