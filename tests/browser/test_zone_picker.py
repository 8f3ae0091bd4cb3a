"""The zone picker's search box, and the banner for a member whose device is in another zone
than their profile, in Chromium.

Playwright's `timezone_id` is the zone the browser reports. Chromium names some zones by
their old names (Asia/Calcutta for Asia/Kolkata); the page must take them for the same zone.
"""

from typing import Any

import pytest
from allauth.account.models import EmailAddress

from members.models import User
from tests.factories import UserFactory

try:
    from playwright.sync_api import expect
except ImportError:  # The `browser` fixture skips these tests (or fails them on CI).
    expect = None

pytestmark = pytest.mark.django_db(transaction=True)
BANNER = "[data-zone-suggestion]"


def member_in(zone: str) -> User:
    user = UserFactory(timezone=zone)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def navigation_type(page: Any) -> str:
    return page.evaluate("() => performance.getEntriesByType('navigation')[0].type")


def test_a_visitor_finds_tokyo_by_typing_and_picks_it_with_the_keyboard(new_context, live_server):
    context = new_context(timezone_id="Asia/Kolkata")
    context.add_cookies([{"name": "tz", "value": "Asia/Kolkata", "url": live_server.url}])
    page = context.new_page()
    page.goto("/")
    search = page.get_by_role("searchbox", name="Search cities")
    picker = page.get_by_role("combobox", name="Show times in")
    expect(picker).to_have_value("Asia/Kolkata")

    search.focus()
    page.keyboard.type("tok")

    expect(page.locator(".zone-bar [role=status]")).to_have_text("3 matches")
    options = picker.locator("option")
    # In offset order; the first match is chosen until one picks another.
    assert options.evaluate_all("(all) => all.map((option) => option.value)") == [
        "Antarctica/Vostok",
        "Asia/Tokyo",
        "Asia/Vladivostok",
    ]
    expect(picker).to_have_value("Antarctica/Vostok")
    page.keyboard.press("Enter")  # from the box to the list, without sending the form
    expect(picker).to_be_focused()
    assert page.url == f"{live_server.url}/"
    page.keyboard.press("ArrowDown")
    expect(picker).to_have_value("Asia/Tokyo")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Show")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator(".zone-bar")).to_contain_text(
        "Times are shown in Asia/Tokyo (as you picked)"
    )
    expect(page.get_by_role("combobox", name="Show times in")).to_have_value("Asia/Tokyo")


def test_the_search_box_says_when_nothing_matches_and_keeps_the_choice(new_context, live_server):
    context = new_context(timezone_id="Asia/Kolkata")
    context.add_cookies([{"name": "tz", "value": "Asia/Kolkata", "url": live_server.url}])
    page = context.new_page()
    page.goto("/")

    page.get_by_role("searchbox", name="Search cities").fill("atlantis")

    expect(page.locator(".zone-bar [role=status]")).to_have_text(
        "No match: the list keeps your current choice."
    )
    picker = page.get_by_role("combobox", name="Show times in")
    expect(picker.locator("option")).to_have_count(1)
    expect(picker).to_have_value("Asia/Kolkata")


def test_a_member_in_tokyo_with_a_lisbon_profile_is_offered_tokyo_for_this_visit(
    new_context, sign_in
):
    member = member_in("Europe/Lisbon")
    context = new_context(timezone_id="Asia/Tokyo")
    sign_in(context, member)
    page = context.new_page()

    page.goto("/")

    banner = page.locator(BANNER)
    expect(banner).to_be_visible()
    expect(banner.locator("p")).to_have_text(
        "Your device is in Tokyo (UTC+09:00); your profile says Lisbon. Show times there?"
    )
    # The page reloaded once, after telling the server where the device is.
    assert navigation_type(page) == "reload"
    page.get_by_role("button", name="Use Tokyo for this visit").click()

    expect(page.locator(".zone-bar")).to_contain_text(
        "Times are shown in Asia/Tokyo (for this visit)"
    )
    expect(page.locator(".messages")).to_have_text("Times are shown in Asia/Tokyo for this visit.")
    expect(page.locator(BANNER)).to_have_count(0)
    page.goto("/me/")
    expect(page.locator(".zone-bar")).to_contain_text("Asia/Tokyo (for this visit)")
    member.refresh_from_db()
    assert str(member.timezone) == "Europe/Lisbon"

    page.get_by_role("button", name="Back to Lisbon, from your profile").click()

    expect(page.locator(".zone-bar")).to_contain_text("Europe/Lisbon (from your profile)")
    expect(page.locator(BANNER)).to_be_visible()


def test_a_member_can_make_the_devices_zone_their_profiles(new_context, sign_in):
    member = member_in("Europe/Lisbon")
    context = new_context(timezone_id="Asia/Tokyo")
    sign_in(context, member)
    page = context.new_page()
    page.goto("/me/")

    page.locator(BANNER).get_by_role("button", name="Update my profile").click()

    expect(page).to_have_url(f"{page.url.split('/me/')[0]}/me/")
    expect(page.locator(".messages")).to_have_text("Your profile's time zone is now Asia/Tokyo.")
    expect(page.locator(".zone-bar")).to_contain_text("Asia/Tokyo (from your profile)")
    expect(page.locator(BANNER)).to_have_count(0)
    member.refresh_from_db()
    assert str(member.timezone) == "Asia/Tokyo"


def test_a_member_who_keeps_their_profiles_zone_is_not_asked_again_in_that_zone(
    new_context, sign_in
):
    member = member_in("Europe/Lisbon")
    context = new_context(timezone_id="Asia/Tokyo")
    sign_in(context, member)
    page = context.new_page()
    page.goto("/")

    page.get_by_role("button", name="Keep Lisbon").click()

    expect(page.locator(".messages")).to_have_text(
        "Times stay in Europe/Lisbon, from your profile. We won't ask again while your device "
        "is in Asia/Tokyo."
    )
    expect(page.locator(BANNER)).to_have_count(0)
    page.goto("/me/")
    expect(page.locator(".zone-bar")).to_contain_text("Europe/Lisbon (from your profile)")
    expect(page.locator(BANNER)).to_have_count(0)
    assert navigation_type(page) == "navigate"
    member.refresh_from_db()
    assert str(member.timezone) == "Europe/Lisbon"


@pytest.mark.parametrize(
    ("profile", "device"),
    [
        ("Asia/Tokyo", "Asia/Tokyo"),
        ("Asia/Kolkata", "Asia/Kolkata"),
        ("Europe/Kyiv", "Europe/Kyiv"),
    ],
)
def test_no_banner_and_no_reload_when_the_device_is_in_the_profiles_zone(
    new_context, sign_in, profile, device
):
    # Chromium reports Asia/Kolkata as Asia/Calcutta and Europe/Kyiv as Europe/Kiev.
    member = member_in(profile)
    context = new_context(timezone_id=device)
    sign_in(context, member)
    page = context.new_page()

    page.goto("/")
    first_visit = navigation_type(page)
    page.goto("/me/")

    assert (first_visit, navigation_type(page)) == ("navigate", "navigate")
    expect(page.locator(".zone-bar")).to_contain_text(f"{profile} (from your profile)")
    expect(page.locator(BANNER)).to_have_count(0)


def test_an_offer_for_a_zone_the_device_has_left_is_replaced_by_the_right_one(
    new_context, sign_in, live_server
):
    member = member_in("Europe/Lisbon")
    context = new_context(timezone_id="Asia/Kolkata")
    # The browser last reported Tokyo; it is in Kolkata now.
    context.add_cookies([{"name": "tz", "value": "Asia/Tokyo", "url": live_server.url}])
    sign_in(context, member)
    page = context.new_page()

    page.goto("/")

    expect(page.locator(BANNER).locator("p")).to_have_text(
        "Your device is in Kolkata (UTC+05:30); your profile says Lisbon. Show times there?"
    )
    expect(page.locator(BANNER)).to_be_visible()
