"""axe-core finds no serious or critical accessibility problem on the main pages, in the
light theme and in the dark one (the pages follow the system's `prefers-color-scheme`).

axe is injected with an inline <script>, which the pages' CSP (script-src 'self') would
block, so these contexts are opened with bypass_csp=True. The CSP itself is exercised by the
newcomer journey, which runs without the bypass.
"""

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from meetings.models import Meeting
from tests.factories import UserFactory

try:
    from playwright.sync_api import expect
except ImportError:  # The `browser` fixture skips these tests (or fails them on CI).
    expect = None

PAGES = [
    # (path, signed in); "meeting" stands for the next CoP-F East meeting.
    ("/", False),
    ("/series/cop-f-east/", False),
    ("meeting", False),
    ("/accounts/signup/", False),
    ("/accounts/login/", False),
    ("/", True),
    ("meeting", True),
    ("/me/", True),
]


def next_east_meeting() -> Meeting:
    return (
        Meeting.objects.filter(series__slug="cop-f-east", starts_at__gt=timezone.now())
        .order_by("starts_at")
        .first()
    )


SCHEMES = ["light", "dark"]
PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(
    ("path", "signed_in"),
    PAGES,
    ids=[f"{path}{' signed in' if signed_in else ''}" for path, signed_in in PAGES],
)
def test_page_has_no_serious_accessibility_violations(
    path,
    signed_in,
    scheme,
    copf_series,
    verified_member,
    new_context,
    sign_in,
    assert_accessible,
    live_server,
):
    context = new_context(timezone_id="Asia/Kolkata", bypass_csp=True, color_scheme=scheme)
    # With the zone cookie already set, tz.js does not reload the page under axe.
    context.add_cookies([{"name": "tz", "value": "Asia/Kolkata", "url": live_server.url}])
    if signed_in:
        sign_in(context, verified_member)
    page = context.new_page()
    url = next_east_meeting().get_absolute_url() if path == "meeting" else path

    response = page.goto(url)

    assert response.status == 200
    assert (page.get_by_role("button", name="Log out").count() == 1) is signed_in
    assert_accessible(page)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_zone_banner_on_a_phone_has_no_serious_accessibility_violations(
    scheme, copf_series, new_context, sign_in, assert_accessible
):
    member = UserFactory(timezone="Europe/Lisbon")
    EmailAddress.objects.create(user=member, email=member.email, verified=True, primary=True)
    context = new_context(
        timezone_id="Asia/Tokyo", bypass_csp=True, color_scheme=scheme, viewport=PHONE
    )
    sign_in(context, member)
    page = context.new_page()

    page.goto("/")

    expect(page.locator("[data-zone-suggestion]")).to_be_visible()
    assert page.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches") is (
        scheme == "dark"
    )
    assert_accessible(page)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_zone_picker_with_its_search_box_on_a_phone_has_no_serious_violations(
    scheme, copf_series, new_context, assert_accessible, live_server
):
    context = new_context(
        timezone_id="Asia/Kolkata", bypass_csp=True, color_scheme=scheme, viewport=PHONE
    )
    context.add_cookies([{"name": "tz", "value": "Asia/Kolkata", "url": live_server.url}])
    page = context.new_page()
    page.goto("/")

    page.get_by_role("searchbox", name="Search cities").fill("São Paulo")

    expect(page.locator(".zone-bar [role=status]")).to_have_text("1 match")
    assert_accessible(page)


# Buttons and links that look like buttons: at least 44 x 44 px to a finger on a phone.
BUTTON_LIKE = (
    "button, .button, .button-secondary, .button-join, .rsvp-anon a, .pagination a,"
    " .month-nav a, .site-nav a, .account-links a"
)
SMALL_TARGETS_JS = """(selector) => Array.from(document.querySelectorAll(selector))
    .filter((element) => element.getClientRects().length > 0)
    .map((element) => {
        const box = element.getBoundingClientRect();
        return [element.outerHTML.slice(0, 100), Math.round(box.width), Math.round(box.height)];
    })
    .filter(([, width, height]) => width < 44 || height < 44)"""
ROW_TOPS_JS = """(selector) => Array.from(document.querySelectorAll(selector),
    (element) => Math.round(element.getBoundingClientRect().top))"""


@pytest.mark.parametrize(
    ("path", "signed_in"),
    [("/", False), ("meeting", False), ("/accounts/signup/", False), ("/me/", True)],
)
def test_on_a_phone_buttons_are_44_px_targets_and_the_header_keeps_to_two_rows(
    path, signed_in, copf_series, new_context, sign_in, live_server
):
    # A member in Tokyo whose profile says Lisbon: the zone banner's buttons count too.
    member = UserFactory(timezone="Europe/Lisbon", display_name="Maria Fernanda dos Santos")
    EmailAddress.objects.create(user=member, email=member.email, verified=True, primary=True)
    context = new_context(timezone_id="Asia/Tokyo", viewport=PHONE, has_touch=True)
    context.add_cookies([{"name": "tz", "value": "Asia/Tokyo", "url": live_server.url}])
    if signed_in:
        sign_in(context, member)
    page = context.new_page()

    page.goto(next_east_meeting().get_absolute_url() if path == "meeting" else path)

    if signed_in:
        expect(page.locator("[data-zone-suggestion]")).to_be_visible()
    assert page.evaluate(SMALL_TARGETS_JS, BUTTON_LIKE) == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    brand_row = page.evaluate(ROW_TOPS_JS, ".brand, .account-links > li")
    nav_row = page.evaluate(ROW_TOPS_JS, ".site-nav li")
    assert len(set(brand_row)) == 1
    assert len(set(nav_row)) == 1
    assert nav_row[0] > brand_row[0]
    assert page.locator(".site-header").bounding_box()["height"] <= 100
