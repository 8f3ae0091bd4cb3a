"""axe-core finds no serious or critical accessibility problem on the main pages.

axe is injected with an inline <script>, which the pages' CSP (script-src 'self') would
block, so these contexts are opened with bypass_csp=True. The CSP itself is exercised by the
newcomer journey, which runs without the bypass.
"""

import pytest
from django.utils import timezone

from meetings.models import Meeting

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


@pytest.mark.parametrize(
    ("path", "signed_in"),
    PAGES,
    ids=[f"{path}{' signed in' if signed_in else ''}" for path, signed_in in PAGES],
)
def test_page_has_no_serious_accessibility_violations(
    path,
    signed_in,
    copf_series,
    verified_member,
    new_context,
    sign_in,
    assert_accessible,
    live_server,
):
    context = new_context(timezone_id="Asia/Kolkata", bypass_csp=True)
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
