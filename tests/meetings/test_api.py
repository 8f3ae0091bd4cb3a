"""The public API: what it answers, what it refuses, and that it tells nothing personal."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import caches
from django.test import Client

from meetings import api as api_module
from meetings.models import Meeting
from meetings.services import cancel_meeting, move_meeting
from members.models import Rsvp
from tests.factories import MeetingFactory, SeriesFactory, UserFactory

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
SITE = settings.SITE_URL
MONDAY = datetime(2027, 1, 11, 18, 30, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def fresh_throttle():
    """Each test starts with the whole allowance."""
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


@pytest.fixture
def west(db):
    return SeriesFactory(slug="cop-f-west", name="CoP-F West", capacity=None)


def meeting(series=None, starts_at=MONDAY, **fields) -> Meeting:
    return MeetingFactory(series=series, starts_at=starts_at, **fields)


def get(client: Client, path: str, **headers):
    return client.get(path, headers=headers)


def body(response) -> dict:
    return json.loads(response.content)


# --- meetings ------------------------------------------------------------------------------


def test_meetings_are_listed_soonest_first_in_utc_with_their_links(client, west):
    later = meeting(west, MONDAY + timedelta(days=7))
    first = meeting(west)

    found = body(get(client, "/api/v1/meetings/"))

    assert found["count"] == 2
    assert [m["id"] for m in found["results"]] == [first.pk, later.pk]
    assert found["results"][0] == {
        "id": first.pk,
        "title": first.title,
        "series": "cop-f-west",
        "series_name": "CoP-F West",
        "starts_at": "2027-01-11T18:30:00Z",
        "ends_at": "2027-01-11T20:00:00Z",
        "status": "scheduled",
        "is_extra": False,
        "url": f"{SITE}/meetings/{first.pk}/",
        "calendar_url": f"{SITE}/meetings/{first.pk}/calendar.ics",
        "capacity": None,
        "seats_left": None,
        "waitlist": False,
    }


def test_a_meeting_that_has_ended_is_not_listed_unless_asked_for(client, west):
    meeting(west, NOW - timedelta(days=7))

    assert body(get(client, "/api/v1/meetings/"))["count"] == 0
    assert body(get(client, "/api/v1/meetings/?from=2026-12-01T00:00:00Z"))["count"] == 1


def test_meetings_are_filtered_by_series_window_and_status(client, west):
    east = SeriesFactory(slug="cop-f-east")
    meeting(east, MONDAY - timedelta(hours=4))
    kept = meeting(west)
    cancel_meeting(meeting=meeting(west, MONDAY + timedelta(days=7)))
    meeting(west, MONDAY + timedelta(days=40))

    found = body(
        get(
            client,
            "/api/v1/meetings/?series=cop-f-west&status=scheduled"
            "&from=2027-01-05T00:00:00%2B01:00&to=2027-02-01T00:00:00Z",
        )
    )

    assert [m["id"] for m in found["results"]] == [kept.pk]


def test_a_cancelled_meeting_says_so(client, west):
    cancelled = meeting(west)
    cancel_meeting(meeting=cancelled)

    [found] = body(get(client, "/api/v1/meetings/"))["results"]

    assert found["status"] == "cancelled"


def test_pages_link_to_each_other(client, west):
    for days in range(5):
        meeting(west, MONDAY + timedelta(days=7 * days))

    first = body(get(client, "/api/v1/meetings/?page_size=2"))
    last = body(get(client, "/api/v1/meetings/?page_size=2&page=3"))

    assert (first["count"], len(first["results"]), first["previous"]) == (5, 2, None)
    assert first["next"] == f"{SITE}/api/v1/meetings/?page_size=2&page=2"
    assert (len(last["results"]), last["next"]) == (1, None)
    assert last["previous"] == f"{SITE}/api/v1/meetings/?page_size=2&page=2"


def test_seats_left_count_the_yes_answers_holding_a_seat_and_never_name_anyone(client, west):
    full = meeting(west, capacity=2)
    for name in ("Zoë Quill", "Ravi Menon"):
        Rsvp.objects.create(meeting=full, user=UserFactory(display_name=name), response="yes")
    roomy = meeting(west, MONDAY + timedelta(days=7), capacity=5)
    Rsvp.objects.create(meeting=roomy, user=UserFactory(), response="maybe")

    response = get(client, "/api/v1/meetings/")

    found = body(response)["results"]
    assert [(m["capacity"], m["seats_left"], m["waitlist"]) for m in found] == [
        (2, 0, True),
        (5, 5, False),
    ]
    page = response.content.decode()
    assert "Zoë" not in page
    assert "Ravi" not in page
    assert "@" not in page


def test_an_unknown_series_is_a_404_and_an_empty_window_an_empty_list(client, west):
    meeting(west)
    unknown = get(client, "/api/v1/meetings/?series=nope")
    empty = get(client, "/api/v1/meetings/?from=2027-01-05T00:00:00Z&to=2027-01-01T00:00:00Z")

    assert (unknown.status_code, body(unknown)) == (404, {"detail": "There is no series nope."})
    assert body(empty)["count"] == 0


def test_one_meeting_is_found_by_its_id_and_an_unknown_one_is_a_404(client, west):
    one = meeting(west)

    assert body(get(client, f"/api/v1/meetings/{one.pk}/"))["id"] == one.pk
    missing = get(client, "/api/v1/meetings/999999/")
    assert (missing.status_code, body(missing)) == (404, {"detail": "There is no meeting 999999."})


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("from=2027-01-05T00:00:00", "from: String should match pattern"),
        ("to=0.5", "to: String should match pattern"),
        ("from=2027-02-30T00:00:00Z", "is not a date and time"),
        ("status=maybe", "status"),
        ("page_size=101", "page_size"),
        ("page=0", "page"),
        ("from=tomorrow", "from"),
    ],
)
def test_a_bad_parameter_is_a_400_that_says_what_was_wrong(client, west, query, detail):
    response = get(client, f"/api/v1/meetings/?{query}")

    assert response.status_code == 400
    assert detail in body(response)["detail"]


# --- series --------------------------------------------------------------------------------


def test_series_are_listed_with_their_anchor_zone_and_feed(client, west):
    found = body(get(client, "/api/v1/series/"))

    assert found["results"] == [
        {
            "slug": "cop-f-west",
            "name": "CoP-F West",
            "description": west.description,
            "url": f"{SITE}/series/cop-f-west/",
            "calendar_url": f"{SITE}/series/cop-f-west/calendar.ics",
            "anchor_timezone": "UTC",
            "start_time": west.start_time.strftime("%H:%M"),
            "duration_minutes": 90,
            "capacity": None,
        }
    ]
    assert body(get(client, "/api/v1/series/cop-f-west/"))["slug"] == "cop-f-west"
    assert get(client, "/api/v1/series/nope/").status_code == 404


# --- caching, CORS, the rate limit ---------------------------------------------------------


def test_an_unchanged_list_is_a_304_and_a_change_gives_a_new_etag(client, west):
    one = meeting(west)
    first = get(client, "/api/v1/meetings/")

    again = get(client, "/api/v1/meetings/", If_None_Match=first["ETag"])
    move_meeting(meeting=one, starts_at=MONDAY + timedelta(hours=1))
    moved = get(client, "/api/v1/meetings/", If_None_Match=first["ETag"])

    assert first["Cache-Control"] == "public, max-age=60"
    assert (again.status_code, again.content) == (304, b"")
    assert moved.status_code == 200
    assert body(moved)["results"][0]["starts_at"] == "2027-01-11T19:30:00Z"


def test_an_upcoming_list_changes_its_etag_as_time_passes(client, clock, west):
    first = get(client, "/api/v1/meetings/")
    clock.shift(timedelta(minutes=1))

    assert get(client, "/api/v1/meetings/")["ETag"] != first["ETag"]


def test_any_site_may_read_the_api_but_not_the_rest_of_the_site(client, west):
    api = get(client, "/api/v1/meetings/", Origin="https://circle.example.net")
    page = get(client, "/", Origin="https://circle.example.net")
    preflight = client.options(
        "/api/v1/meetings/",
        headers={"Origin": "https://x.example", "Access-Control-Request-Method": "GET"},
    )

    assert api["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in page
    assert preflight["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"


def test_the_api_only_reads(client, west):
    assert client.post("/api/v1/meetings/").status_code == 405


def test_too_many_requests_from_one_address_get_a_429_with_retry_after(client, west, monkeypatch):
    [throttle] = api_module.api.throttle
    monkeypatch.setattr(throttle, "num_requests", 3)

    statuses = [get(client, "/api/v1/series/").status_code for _ in range(4)]
    refused = get(client, "/api/v1/series/")
    elsewhere = client.get("/api/v1/series/", REMOTE_ADDR="192.0.2.7")

    assert statuses == [200, 200, 200, 429]
    assert int(refused["Retry-After"]) > 0
    assert body(refused) == {"detail": "Too many requests."}
    assert elsewhere.status_code == 200


def test_a_list_costs_the_same_queries_for_one_meeting_or_fifty(
    client, west, django_assert_num_queries
):
    meeting(west)
    # The schedule's version, the count, and the page of meetings with their series and
    # seats taken (the throttle counts in memory).
    with django_assert_num_queries(3):
        get(client, "/api/v1/meetings/")
    for days in range(1, 50):
        meeting(west, MONDAY + timedelta(days=days))
    with django_assert_num_queries(3):
        assert body(get(client, "/api/v1/meetings/?page_size=100"))["count"] == 50


def test_the_schema_and_its_docs_page_are_served(client):
    schema = body(get(client, "/api/v1/openapi.json"))
    docs = get(client, "/api/v1/docs")

    assert set(schema["paths"]) == {
        "/api/v1/series/",
        "/api/v1/series/{slug}/",
        "/api/v1/meetings/",
        "/api/v1/meetings/{meeting_id}/",
    }
    assert docs.status_code == 200
    assert "script-src 'self'" in docs["Content-Security-Policy"]
