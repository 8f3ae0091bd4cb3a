from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from meetings.models import Meeting

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
class TestMaterializeMeetings:
    def test_extends_every_series_to_the_horizon(self):
        run("seed_copf")

        with time_machine.travel(NOW + timedelta(days=31), tick=False):
            output = run("materialize_meetings")

        assert "cop-f-east: 1 created, 0 updated, 0 removed, 0 cancelled" in output
        assert Meeting.objects.count() == 26
