"""A poll in Chromium, under the real Content-Security-Policy: an organizer in Berlin makes
a poll with the form, members in Tokyo and New York vote, each seeing the slots in their own
zone, and the organizer closes it on a slot: the meeting is then on the schedule. axe-core
finds no serious or critical problem on the poll page, in the light theme and the dark one.

Nothing is frozen: the slots are a week from now, whatever today is.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone

from meetings.models import Meeting
from members.models import Poll, PollVote, Rsvp, User
from tests.members.polls.support import member, organizer

try:
    from playwright.sync_api import expect
except ImportError:  # The `browser` fixture skips these tests (or fails them on CI).
    expect = None

BERLIN, TOKYO, NEW_YORK = "Europe/Berlin", "Asia/Tokyo", "America/New_York"
DESKTOP = {"width": 1280, "height": 800}
TITLE = "A track for the Pacific"


@pytest.fixture(autouse=True)
def empty_caches():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def open_page(new_context, sign_in, live_server):
    """A desktop page signed in as `user`, in their zone; `for_axe` bypasses the CSP so
    axe-core can be injected."""

    def open_as(user: User, *, for_axe: bool = False, scheme: str = "light"):
        zone = str(user.timezone)
        context = new_context(
            timezone_id=zone, viewport=DESKTOP, bypass_csp=for_axe, color_scheme=scheme
        )
        context.add_cookies([{"name": "tz", "value": zone, "url": live_server.url}])
        sign_in(context, user)
        return context.new_page()

    return open_as


@pytest.fixture
def csp_errors() -> list[str]:
    return []


@pytest.fixture
def journey_page(open_page, csp_errors):
    def open_as(user: User):
        page = open_page(user)
        page.on(
            "console",
            lambda message: (
                csp_errors.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    return open_as


def berlin(days: int, at: time) -> datetime:
    day = timezone.now().astimezone(ZoneInfo(BERLIN)).date() + timedelta(days=days)
    return datetime.combine(day, at, tzinfo=ZoneInfo(BERLIN))


def vote(page, path: str, *choices: str) -> None:
    page.goto(path)
    slots = page.locator("fieldset.poll-slot")
    expect(slots).to_have_count(len(choices))
    for n, choice in enumerate(choices):
        slots.nth(n).get_by_label(choice, exact=True).check()
    page.get_by_role("button", name="Save my votes").click()
    expect(page.locator(".messages")).to_have_text("Your votes are saved.")


def test_an_organizer_makes_a_poll_members_in_two_zones_vote_and_it_closes_into_a_meeting(
    transactional_db, journey_page, open_page, assert_accessible, screenshot, csp_errors
):
    olu = organizer("Olu", timezone=BERLIN)
    kenji = member("Kenji", timezone=TOKYO)
    ana = member("Ana", timezone=NEW_YORK)
    early, late = berlin(7, time(9, 0)), berlin(8, time(15, 0))

    # 1. Olu makes the poll: two slots in his zone, which the form starts in.
    page = journey_page(olu)
    page.goto("/polls/new/")
    expect(page.get_by_label("Your time zone")).to_have_value(BERLIN)
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Length in minutes").fill("60")
    page.get_by_label("Deadline for votes").fill(f"{berlin(3, time(12, 0)):%Y-%m-%dT%H:%M}")
    page.get_by_label("Slots, one a line").fill(f"{early:%Y-%m-%d %H:%M}\n{late:%Y-%m-%d %H:%M}")
    page.get_by_role("button", name="Open the poll").click()
    expect(page.locator(".messages")).to_have_text(
        "The poll is open: share it, and watch the votes come in."
    )
    poll = Poll.objects.get()
    assert list(poll.slots.values_list("starts_at", flat=True)) == [early, late]
    path = poll.get_absolute_url()

    # 2. Kenji in Tokyo sees the Berlin morning in his afternoon and votes for it;
    # Ana in New York sees it at 03:00, her night, and votes for the afternoon.
    kenji_page = journey_page(kenji)
    kenji_page.goto(path)
    first = kenji_page.locator("fieldset.poll-slot").first.locator("legend")
    expect(first).to_contain_text(f"{early.astimezone(ZoneInfo(TOKYO)):%H:%M}")
    expect(first).to_contain_text("JST")
    vote(kenji_page, path, "Yes", "If need be")
    ana_page = journey_page(ana)
    ana_page.goto(path)
    expect(ana_page.locator("fieldset.poll-slot").first.locator("legend")).to_contain_text("night")
    vote(ana_page, path, "No", "Yes")
    screenshot(ana_page, "polls-01-ana-voted")

    # 3. Olu sees both in the grid, and axe finds nothing serious on the page.
    page.goto(path)
    expect(page.locator(".poll-grid thead th")).to_contain_text(["Kenji", "Ana"])
    expect(page.locator(".poll-grid tbody tr")).to_have_count(2)
    screenshot(page, "polls-02-organizer-results")
    for scheme in ("light", "dark"):
        axe_page = open_page(olu, for_axe=True, scheme=scheme)
        assert axe_page.goto(path).status == 200
        assert_accessible(axe_page)
        screenshot(axe_page, f"polls-03-poll-page-{scheme}")

    # 4. He closes it on the afternoon slot: the meeting is on the schedule.
    page.get_by_label("Slot", exact=True).select_option(str(poll.slots.get(starts_at=late).pk))
    page.get_by_role("button", name="Close the poll on this slot").click()
    expect(page.locator(".messages")).to_have_text(
        "The poll is closed, and the meeting is on the schedule."
    )
    meeting = Meeting.objects.get(title=TITLE)
    assert meeting.starts_at == late
    page.goto("/")
    expect(page.locator(f'a[href="{meeting.get_absolute_url()}"]').first).to_have_text(TITLE)
    screenshot(page, "polls-04-schedule")

    assert sorted(PollVote.objects.values_list("voter__user__display_name", "choice")) == [
        ("Ana", "no"),
        ("Ana", "yes"),
        ("Kenji", "if_need_be"),
        ("Kenji", "yes"),
    ]
    assert sorted(Rsvp.objects.values_list("user__display_name", "response")) == [
        ("Ana", "yes"),
        ("Kenji", "maybe"),
    ]
    assert csp_errors == []
