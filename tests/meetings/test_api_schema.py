"""The API against its own OpenAPI schema, by schemathesis: every operation, with generated
parameters valid and not, answers without a server error and as the schema says."""

from datetime import timedelta

import pytest
import schemathesis
from django.core.cache import caches
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings

from meetings.api import api
from meetings.services import cancel_meeting
from members.models import Rsvp
from tests.factories import MeetingFactory, SeriesFactory, UserFactory

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))
schema.app = get_wsgi_application()


@pytest.fixture
def schedule(db):
    """Two series, meetings past and coming, one cancelled, one full."""
    west = SeriesFactory(slug="cop-f-west", name="CoP-F West", capacity=1)
    SeriesFactory(slug="cop-f-east", name="CoP-F East")
    soon = timezone.now().replace(microsecond=0) + timedelta(days=3)
    full = MeetingFactory(series=west, starts_at=soon)
    Rsvp.objects.create(meeting=full, user=UserFactory(), response="yes")
    cancel_meeting(meeting=MeetingFactory(series=west, starts_at=soon + timedelta(days=7)))
    MeetingFactory(series=None, starts_at=soon - timedelta(days=30), is_extra=True)


@pytest.fixture(autouse=True)
def one_connection():
    """The WSGI handler closes the database connection after each request, as a server
    should; the test's transaction lives on it, so keep it open as Django's test client
    does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def unlimited():
    """Generated requests come faster than the rate limit allows a person; each example
    starts with a full allowance, so 429 stays for the test that asks for it."""
    caches["ratelimit"].clear()


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_answer_matches_the_schema_and_none_is_a_server_error(case, schedule):
    caches["ratelimit"].clear()
    case.call_and_validate(headers={"Host": "127.0.0.1"})
