"""The zone bar and the zone banner that every page gets from the context processor."""

import html
import re
from datetime import UTC, datetime

import pytest
import time_machine

from copf.middleware import TZ_COOKIE, TZ_KEEP_COOKIE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
BANNER_TEXT = "Your device is in Tokyo (UTC+09:00); your profile says Lisbon. Show times there?"


@pytest.fixture(autouse=True)
def in_july():
    with time_machine.travel(datetime(2026, 7, 1, 12, tzinfo=UTC), tick=False):
        yield


def banner_of(response) -> str | None:
    found = re.search(
        r"<section class=\"zone-suggestion\".*?</section>", response.content.decode(), re.S
    )
    return found.group(0) if found else None


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def page_for(client, *, profile: str | None, device: str | None, **cookies: str):
    if profile:
        client.force_login(UserFactory(timezone=profile))
    if device:
        client.cookies[TZ_COOKIE] = device
    for name, value in cookies.items():
        client.cookies[name] = value
    return client.get("/")


def test_a_member_whose_device_is_elsewhere_gets_the_banner_hidden_until_the_script_confirms(
    client,
):
    banner = banner_of(page_for(client, profile="Europe/Lisbon", device="Asia/Tokyo"))

    assert banner is not None
    assert 'data-device-zone="Asia/Tokyo" hidden>' in banner
    assert text_of(banner) == (
        f"{BANNER_TEXT} Use Tokyo for this visit Update my profile Keep Lisbon"
    )
    assert '<form method="post" action="/me/timezone/"' in banner
    assert '<input type="hidden" name="timezone" value="Asia/Tokyo">' in banner
    assert '<input type="hidden" name="next" value="/">' in banner
    assert re.findall(r'name="action" value="(\w+)"', banner) == ["visit", "profile", "keep"]


def test_the_banner_names_the_device_zone_under_its_current_name(client):
    banner = banner_of(page_for(client, profile="Europe/Lisbon", device="Asia/Calcutta"))

    assert text_of(banner).startswith(
        "Your device is in Kolkata (UTC+05:30); your profile says Lisbon."
    )
    assert '<input type="hidden" name="timezone" value="Asia/Kolkata">' in banner


@pytest.mark.parametrize(
    ("profile", "device"),
    [
        pytest.param("Europe/Lisbon", "Europe/Lisbon", id="same zone"),
        pytest.param("Asia/Kolkata", "Asia/Calcutta", id="same zone under an old name"),
        pytest.param("Europe/Lisbon", None, id="no word from the browser yet"),
        pytest.param("Europe/Lisbon", "Mars/Base", id="a zone we do not know"),
        pytest.param(None, "Asia/Tokyo", id="a visitor"),
    ],
)
def test_no_banner_when_there_is_nothing_to_offer(client, profile, device):
    assert banner_of(page_for(client, profile=profile, device=device)) is None


def test_no_banner_for_the_device_zone_the_member_chose_to_keep_their_profile_in(client):
    response = page_for(
        client, profile="Europe/Lisbon", device="Asia/Tokyo", **{TZ_KEEP_COOKIE: "Asia/Tokyo"}
    )

    assert banner_of(response) is None


def test_the_banner_comes_back_when_the_device_moves_to_yet_another_zone(client):
    response = page_for(
        client, profile="Europe/Lisbon", device="Asia/Tokyo", **{TZ_KEEP_COOKIE: "Asia/Seoul"}
    )

    assert text_of(banner_of(response)).startswith(BANNER_TEXT)


def test_the_page_tells_the_script_the_members_profile_zone(client):
    response = page_for(client, profile="Europe/Lisbon", device="Asia/Tokyo")

    assert '<body data-tz-source="profile" data-profile-tz="Europe/Lisbon">' in (
        response.content.decode()
    )


def test_a_visitors_page_tells_the_script_no_profile_zone(client):
    response = page_for(client, profile=None, device="Asia/Tokyo")

    assert '<body data-tz-source="cookie">' in response.content.decode()


def test_the_zone_bar_offers_the_picker_with_the_visitors_zone_selected(client):
    response = page_for(client, profile=None, device="Asia/Tokyo")

    page = response.content.decode()
    assert '<label for="tz-picker">Show times in</label>' in page
    assert '<option value="Asia/Tokyo" selected>Tokyo (UTC+09:00)</option>' in page
    assert page.count('name="tz"') == 1
