"""`/insights/` in Chromium under the real Content-Security-Policy: the charts (pygal SVG as
`data:` images) load with no violation in the console, on a phone and on a desktop, and the
page is no wider than a phone's screen (the tables scroll in their own regions)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import Attendance, Rsvp
from tests.factories import MeetingFactory, SeriesFactory, UserFactory
from tests.members.practice.support import organizer

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def held(transactional_db: None) -> None:
    """A meeting 20 days ago that two members came to, from Kolkata and Sydney."""
    series = SeriesFactory(slug="east", name="CoP-F East")
    starts_at = timezone.now().replace(second=0, microsecond=0) - timedelta(days=20)
    meeting = MeetingFactory(series=series, starts_at=starts_at)
    for zone in ("Asia/Kolkata", "Australia/Sydney"):
        user = UserFactory(timezone=zone)
        Rsvp.objects.create(meeting=meeting, user=user, response=Rsvp.Response.YES)
        Attendance.objects.create(
            meeting=meeting, user=user, present=True, source=Attendance.Source.JOIN_LINK
        )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_insights_charts_load_under_the_csp_and_fit_a_phone(
    held, new_context, sign_in, screenshot, viewport
):
    context = new_context(viewport=viewport, timezone_id="UTC")
    sign_in(context, organizer())
    page = context.new_page()
    console = []
    page.on("console", lambda message: console.append(message.text))

    response = page.goto("/insights/")

    assert response.status == 200
    charts = page.locator("img.insights-chart")
    assert charts.count() == 3
    widths = charts.evaluate_all("images => images.map(image => image.naturalWidth)")
    assert all(width > 0 for width in widths), widths
    assert [text for text in console if "Content Security Policy" in text] == []
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    screenshot(page, f"insights-{viewport['width']}")


def test_insights_page_has_no_serious_accessibility_problem(
    held, new_context, sign_in, assert_accessible
):
    context = new_context(viewport=DESKTOP, bypass_csp=True)
    sign_in(context, organizer())
    page = context.new_page()
    page.goto("/insights/")

    assert_accessible(page)
