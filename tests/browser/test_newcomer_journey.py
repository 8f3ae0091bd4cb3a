"""A newcomer finds the next session, answers it, joins CoP-F, confirms their address and is
back on the meeting with their answer recorded: on a 390 × 844 phone in São Paulo and on a
desktop in Tokyo, in Chromium, under the real Content-Security-Policy.

Nothing is frozen: the seeded meetings are the real coming ones, so the dates come from the
database and only the wall-clock times (fixed in UTC) are written down here.
"""

import re

import pytest
from django.core.cache import cache

from meetings.models import Meeting, Series
from members.models import Rsvp, User

try:
    from playwright.sync_api import expect
except ImportError:  # The `browser` fixture skips these tests (or fails them on CI).
    expect = None

PASSWORD = "a quiet river at dawn"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
JOURNEYS = [
    pytest.param("America/Sao_Paulo", PHONE, "15:30", "phone", id="phone-sao-paulo"),
    pytest.param("Asia/Tokyo", DESKTOP, "03:30", "desktop", id="desktop-tokyo"),
]


@pytest.fixture(autouse=True)
def empty_rate_limits():
    """allauth counts sign-ups and confirmation mails per address in the cache, which other
    tests' runs may have filled."""
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(("zone", "device", "west_local", "name"), JOURNEYS)
def test_a_newcomer_answers_the_next_west_session_through_sign_up_and_confirmation(
    zone, device, west_local, name, copf_series, new_context, screenshot, mailoutbox
):
    # An organizer has replaced the seed's placeholder with West's real call address.
    Series.objects.filter(slug="cop-f-west").update(join_url="https://meet.example.net/west")
    Meeting.objects.filter(series__slug="cop-f-west").update(join_url="")
    context = new_context(timezone_id=zone, **device)
    page = context.new_page()
    csp_errors = []
    page.on(
        "console",
        lambda message: (
            csp_errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    # 1. The front page learns the browser's zone and shows each track's next session.
    page.goto("/")
    expect(page.locator(".zone-bar")).to_contain_text(f"{zone} (from your browser)")
    west = page.locator(".next-card", has=page.get_by_role("heading", name="CoP-F West"))
    expect(west.locator(".when-local")).to_contain_text(west_local)
    expect(west.locator(".when-utc")).to_contain_text("18:30–20:00 UTC")
    expect(west.locator(".badge")).to_have_text(re.compile(r"^(in \d+ \w+|tomorrow)$"))
    first_card = page.locator(".next-card").first.locator(".when-local")
    box = first_card.bounding_box()
    assert box["y"] + box["height"] <= device["viewport"]["height"], "not visible unscrolled"
    if zone == "Asia/Tokyo":
        expect(west.locator(".track-fit.is-night")).to_contain_text("may suit you better")
    screenshot(page, f"journey-{name}-01-front-page")

    # 2. Yes leads to sign-up, with the zone filled in and the answer kept.
    west.get_by_role("link", name="Yes").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/\?next=%2Fmeetings%2F\d+%2F$"))
    meeting = Meeting.objects.get(pk=int(re.search(r"meetings%2F(\d+)", page.url)[1]))
    assert meeting.series.slug == "cop-f-west"
    expect(page.locator("select[name=timezone]")).to_have_value(zone)
    page.get_by_label("Your name").fill("Asha")
    page.get_by_label("E-mail").fill("asha@example.org")
    for field in page.locator("input[type=password]").all():
        field.fill(PASSWORD)
    screenshot(page, f"journey-{name}-02-sign-up")
    page.locator("main form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    screenshot(page, f"journey-{name}-03-check-your-mail")
    assert Rsvp.objects.count() == 0

    # 3. One click on the mailed link confirms, signs in and brings the member back.
    (message,) = mailoutbox
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body)[0]
    page.goto(link)
    expect(page).to_have_url(re.compile(rf"/meetings/{meeting.pk}/$"))
    yes = page.locator("form[data-rsvp] button[name=response][value=yes]")
    expect(yes).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[data-coming-count]")).to_contain_text("1 coming")
    expect(page.locator(".join-box")).to_contain_text("The link opens 15 minutes before the start")
    screenshot(page, f"journey-{name}-04-answered")
    member = User.objects.get(email="asha@example.org")
    assert (member.display_name, str(member.timezone)) == ("Asha", zone)
    assert list(Rsvp.objects.values_list("user", "meeting", "response")) == [
        (member.pk, meeting.pk, "yes")
    ]

    # 4. Changing the answer updates who's coming in place, without a new page.
    page.evaluate("() => { window.stillTheSamePage = true; }")
    page.locator("form[data-rsvp] button[name=response][value=maybe]").click()
    expect(page.locator("[data-coming-count]")).to_have_text("0 coming, 1 maybe.")
    assert page.evaluate("() => window.stillTheSamePage === true")
    screenshot(page, f"journey-{name}-05-maybe")

    assert csp_errors == []


def test_the_front_page_in_tokyo_says_west_is_in_the_night(copf_series, new_context):
    page = new_context(timezone_id="Asia/Tokyo", **DESKTOP).new_page()
    page.goto("/")

    west = page.locator(".next-card", has=page.get_by_role("heading", name="CoP-F West"))
    expect(west.locator(".when-local")).to_contain_text("03:30–05:00 JST")
    expect(west.locator(".track-fit")).to_contain_text(
        "in the middle of the night. CoP-F East, at 23:00 on Monday, may suit you better."
    )
