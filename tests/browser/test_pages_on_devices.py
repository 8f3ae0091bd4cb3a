"""Every page on a 390 × 844 phone and on a desktop: nothing wider than the screen, buttons
big enough to touch on the phone, and a screenshot of each kept under
test-artifacts/browser/ (CI keeps that folder as an artifact)."""

import pytest
from django.utils import timezone

from meetings.models import Meeting

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
DEVICES = [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")]
PAGES = [
    # (name, path, signed in); "meeting" stands for the next CoP-F West meeting.
    ("front", "/", False),
    ("front-later", "/?page=2", False),
    ("month", "/calendar/2030/1/", False),
    ("series", "/series/cop-f-west/", False),
    ("meeting", "meeting", False),
    ("log-in", "/accounts/login/", False),
    ("sign-up", "/accounts/signup/", False),
    ("password-reset", "/accounts/password/reset/", False),
    ("not-found", "/no-such-page/", False),
    ("front-member", "/", True),
    ("meeting-member", "meeting", True),
    ("me", "/me/", True),
    ("e-mail", "/accounts/email/", True),
]
# What people press: every visible one must be at least this big on a phone.
TOUCH_TARGETS = "button, .button, .button-secondary, .rsvp-anon a"
SMALLEST_TOUCH = 44


def next_west_meeting() -> Meeting:
    return (
        Meeting.objects.filter(series__slug="cop-f-west", starts_at__gt=timezone.now())
        .order_by("starts_at")
        .first()
    )


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(("name", "path", "signed_in"), PAGES, ids=[page[0] for page in PAGES])
def test_page_fits_the_screen_and_has_buttons_to_touch(
    name,
    path,
    signed_in,
    device,
    copf_series,
    verified_member,
    new_context,
    sign_in,
    screenshot,
    live_server,
):
    context = new_context(timezone_id="America/Sao_Paulo", **device)
    context.add_cookies([{"name": "tz", "value": "America/Sao_Paulo", "url": live_server.url}])
    if signed_in:
        sign_in(context, verified_member)
    page = context.new_page()

    page.goto(next_west_meeting().get_absolute_url() if path == "meeting" else path)

    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} is {overflow}px wider than the screen"
    if device is PHONE:
        too_small = page.evaluate(
            """([selector, smallest]) => [...document.querySelectorAll(selector)]
                .filter((element) => element.offsetParent !== null)
                .map((element) => [element.outerHTML.slice(0, 80),
                                   element.getBoundingClientRect()])
                .filter(([, box]) => box.height < smallest || box.width < smallest)
                .map(([html, box]) => `${html} ${box.width}x${box.height}`)""",
            [TOUCH_TARGETS, SMALLEST_TOUCH],
        )
        assert too_small == []
    screenshot(page, f"{'phone' if device is PHONE else 'desktop'}-{name}")
