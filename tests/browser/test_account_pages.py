"""The account pages and error pages in Chromium, on a 390 × 844 phone and a desktop: axe
finds nothing serious, nothing is wider than the screen, and a screenshot of each is kept.

axe is injected with an inline <script>, which the pages' CSP would block, so these contexts
are opened with bypass_csp=True (the newcomer journey runs under the real policy).
"""

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.core.cache import cache

from members.models import User

try:
    from playwright.sync_api import expect
except ImportError:  # The `browser` fixture skips these tests (or fails them on CI).
    expect = None

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def reset_key_path(user: User) -> str:
    uid = user_pk_to_url_str(user)
    return f"/accounts/password/reset/key/{uid}-{default_token_generator.make_token(user)}/"


# (name, path or a function of the member giving it, signed in, status, heading)
PAGES = [
    ("join", "/accounts/signup/", False, 200, "Join CoP-F"),
    ("log-in", "/accounts/login/", False, 200, "Log in"),
    ("password-reset", "/accounts/password/reset/", False, 200, "Reset your password"),
    ("password-reset-sent", "/accounts/password/reset/done/", False, 200, "Check your inbox"),
    ("password-from-key", reset_key_path, False, 200, "Choose a new password"),
    ("verification-sent", "/accounts/confirm-email/", False, 200, "Check your inbox"),
    (
        "confirm-bad-link",
        "/accounts/confirm-email/nonsense/",
        False,
        200,
        "This link does not work",
    ),
    ("e-mail", "/accounts/email/", True, 200, "Your e-mail address"),
    ("password-change", "/accounts/password/change/", True, 200, "Change your password"),
    ("log-out", "/accounts/logout/", True, 200, "Log out"),
    ("not-found", "/no-such-page/", False, 404, "We cannot find that page"),
]


@pytest.mark.parametrize("device", ["phone", "desktop"])
@pytest.mark.parametrize(
    ("name", "path", "signed_in", "status", "heading"), PAGES, ids=[page[0] for page in PAGES]
)
def test_account_and_error_pages_are_accessible_and_fit_the_screen(
    name,
    path,
    signed_in,
    status,
    heading,
    device,
    verified_member,
    new_context,
    sign_in,
    assert_accessible,
    screenshot,
    live_server,
):
    context = new_context(
        timezone_id="Asia/Kolkata", bypass_csp=True, **(PHONE if device == "phone" else DESKTOP)
    )
    # With the zone cookie already set, tz.js does not reload the page under axe.
    context.add_cookies([{"name": "tz", "value": "Asia/Kolkata", "url": live_server.url}])
    if signed_in:
        sign_in(context, verified_member)
    page = context.new_page()

    response = page.goto(path(verified_member) if callable(path) else path)

    assert response.status == status
    expect(page.locator("h1")).to_have_text(heading)
    assert (
        page.evaluate("() => document.documentElement.scrollWidth") <= page.viewport_size["width"]
    )
    screenshot(page, f"accounts-{name}-{device}")
    assert_accessible(page)


def test_a_refused_join_form_is_accessible_with_its_errors(
    new_context, assert_accessible, screenshot, live_server, transactional_db
):
    context = new_context(timezone_id="Asia/Kolkata", bypass_csp=True, **PHONE)
    context.add_cookies([{"name": "tz", "value": "Asia/Kolkata", "url": live_server.url}])
    page = context.new_page()
    page.goto("/accounts/signup/")

    page.fill("input[name=email]", "not an address")
    page.fill("input[name=password1]", "1234")
    page.locator("form[action$='/accounts/signup/'] button[type=submit]").click()

    expect(page.locator(".error-summary[role=alert]")).to_be_visible()
    expect(page.locator("#id_email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_email")).to_have_accessible_description("Enter a valid email address.")
    screenshot(page, "accounts-join-errors-phone")
    assert_accessible(page)


def test_too_many_password_links_get_the_429_page(
    verified_member, new_context, assert_accessible, screenshot, live_server
):
    cache.clear()
    context = new_context(timezone_id="Asia/Kolkata", bypass_csp=True, **PHONE)
    context.add_cookies([{"name": "tz", "value": "Asia/Kolkata", "url": live_server.url}])
    page = context.new_page()
    statuses = []
    for _ in range(4):
        page.goto("/accounts/password/reset/")
        page.fill("input[name=email]", verified_member.email)
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.locator("form[action$='/accounts/password/reset/'] button[type=submit]").click()
        statuses.append(answer.value.status)

    assert statuses == [302, 302, 302, 429]
    expect(page.locator("h1")).to_have_text("Too many tries in a short time")
    screenshot(page, "accounts-rate-limited-phone")
    assert_accessible(page)
    cache.clear()
