"""POST /me/timezone/: the zone banner's answers about the zone a member's device is in."""

import html
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from copf.middleware import TZ_KEEP_COOKIE, TZ_VISIT_COOKIE
from members.models import User
from tests.factories import UserFactory

URL = "/me/timezone/"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_july():
    with time_machine.travel(datetime(2026, 7, 1, 12, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def member(client) -> User:
    user = UserFactory(timezone="Europe/Lisbon")
    client.force_login(user)
    return user


def zone_of(user: User) -> str:
    user.refresh_from_db()
    return str(user.timezone)


def messages_on(response) -> list[str]:
    found = re.search(r'<ul class="messages">(.*?)</ul>', response.content.decode(), re.S)
    items = re.findall(r"<li[^>]*>([^<]*)</li>", found.group(1)) if found else []
    return [html.unescape(item) for item in items]


def text_of(response) -> str:
    page = re.sub(r"<(select|script|style).*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_makes_the_zone_the_profiles_and_goes_back(client, member):
    response = client.post(URL, {"timezone": "Asia/Tokyo", "action": "profile", "next": "/me/"})

    assert (response.status_code, response["Location"]) == (302, "/me/")
    assert zone_of(member) == "Asia/Tokyo"
    assert messages_on(client.get("/me/")) == ["Your profile's time zone is now Asia/Tokyo."]


def test_without_an_answer_makes_the_zone_the_profiles(client, member):
    client.post(URL, {"timezone": "Asia/Tokyo"})

    assert zone_of(member) == "Asia/Tokyo"


def test_stores_a_legacy_name_as_the_current_one(client, member):
    client.post(URL, {"timezone": "Asia/Calcutta"})

    assert zone_of(member) == "Asia/Kolkata"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "0", ""])
def test_goes_back_only_to_a_page_of_this_site(client, member, target):
    response = client.post(URL, {"timezone": "Asia/Tokyo", "next": target})

    assert response["Location"] == "/"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"timezone": "Mars/Base"},
            "“Mars/Base” is not a time zone we know. Pick one from the list, "
            "for example Europe/Berlin or Asia/Kolkata.",
        ),
        (
            {"timezone": "localtime", "action": "visit"},
            "“localtime” is not a time zone we know. Pick one from the list, "
            "for example Europe/Berlin or Asia/Kolkata.",
        ),
        ({}, "This field is required."),
        (
            {"timezone": "Asia/Tokyo", "action": "forever"},
            "Select a valid choice. forever is not one of the available choices.",
        ),
    ],
)
def test_refuses_what_is_not_a_zone_or_an_answer_with_a_400_and_changes_nothing(
    client, member, fields, message
):
    response = client.post(URL, fields)

    assert response.status_code == 400
    assert messages_on(response) == [message]
    assert zone_of(member) == "Europe/Lisbon"
    assert TZ_VISIT_COOKIE not in response.cookies
    assert TZ_KEEP_COOKIE not in response.cookies


def test_sends_a_visitor_to_log_in_first(client):
    response = client.post(URL, {"timezone": "Asia/Tokyo", "next": "/series/cop-f-east/"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/series/cop-f-east/"


def test_answers_only_a_post(client, member):
    response = client.get(URL, {"timezone": "Asia/Tokyo"})

    assert response.status_code == 405
    assert zone_of(member) == "Europe/Lisbon"


def test_refuses_a_post_without_the_csrf_token():
    user = UserFactory(timezone="Europe/Lisbon")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    response = browser.post(URL, {"timezone": "Asia/Tokyo"})

    assert response.status_code == 403
    assert zone_of(user) == "Europe/Lisbon"


def test_shows_times_in_the_zone_for_this_visit_without_touching_the_profile(client, member):
    response = client.post(URL, {"timezone": "Asia/Tokyo", "action": "visit", "next": "/"})

    cookie = response.cookies[TZ_VISIT_COOKIE]
    assert (cookie["max-age"], cookie["httponly"]) == ("", True)
    assert zone_of(member) == "Europe/Lisbon"
    page = client.get("/")
    assert messages_on(page) == ["Times are shown in Asia/Tokyo for this visit."]
    assert page.context["viewer_tz"].name == "Asia/Tokyo"
    assert "Times are shown in Asia/Tokyo (for this visit), with UTC beside them." in text_of(page)
    assert "Back to Lisbon, from your profile" in text_of(page)


def test_the_profiles_own_zone_for_this_visit_ends_the_visit(client, member):
    client.post(URL, {"timezone": "Asia/Tokyo", "action": "visit"})

    response = client.post(URL, {"timezone": "Europe/Lisbon", "action": "visit"})

    assert response.cookies[TZ_VISIT_COOKIE]["max-age"] == 0
    page = client.get("/")
    assert messages_on(page) == [
        "Times are shown in Asia/Tokyo for this visit.",
        "Times are shown in Europe/Lisbon again.",
    ]
    assert page.context["viewer_tz"].source == "profile"


def test_updating_the_profile_ends_a_visit_in_another_zone(client, member):
    client.post(URL, {"timezone": "Asia/Tokyo", "action": "visit"})

    response = client.post(URL, {"timezone": "America/Sao_Paulo", "action": "profile"})

    assert response.cookies[TZ_VISIT_COOKIE]["max-age"] == 0
    assert client.get("/").context["viewer_tz"].name == "America/Sao_Paulo"


def test_keeping_the_profiles_zone_remembers_the_devices_zone_for_a_year(client, member):
    response = client.post(URL, {"timezone": "Asia/Tokyo", "action": "keep"})

    cookie = response.cookies[TZ_KEEP_COOKIE]
    assert (cookie.value, cookie["max-age"], cookie["samesite"]) == (
        "Asia/Tokyo",
        365 * 24 * 60 * 60,
        "Lax",
    )
    assert zone_of(member) == "Europe/Lisbon"
    assert messages_on(client.get("/")) == [
        "Times stay in Europe/Lisbon, from your profile. We won't ask again while your device "
        "is in Asia/Tokyo."
    ]
