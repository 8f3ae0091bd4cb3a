"""The practice in Chromium, under the real Content-Security-Policy: a member takes the
facilitator role and proposes an agenda item, an organizer accepts it, and once the meeting
has started the harvester publishes a harvest with a consent decision. axe-core finds no
serious or critical problem on the pages on the way, in the light theme and the dark one.

Nothing is frozen: the meeting starts a week from now, whatever today is. For the harvest
the clock travels to ten minutes after the start, in the live server too (it runs in this
process), rather than the meeting being moved: the data stay what members made them.

axe is injected as an inline <script>, which the CSP forbids, so each page axe reads is
opened again in a context of its own with the CSP bypassed (as test_accessibility.py does);
the journey itself runs with the CSP on and fails on any violation in the console.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from meetings.models import Meeting
from members.models import AgendaItem, Harvest, RoleAssignment, Rsvp, User
from members.practice.roles import give_default_roles
from tests.factories import MeetingFactory, SeriesFactory
from tests.members.practice.support import member, organizer

try:
    from playwright.sync_api import expect
except ImportError:  # The `browser` fixture skips these tests (or fails them on CI).
    expect = None

ZONE = "Europe/Lisbon"
DESKTOP = {"width": 1280, "height": 800}
SCHEMES = ["light", "dark"]
TITLE = "A round on feedback"
DESCRIPTION = "Each of us gives one piece of feedback, then we reflect on how it landed."
PRACTISED = "We practised **consent decisions** and a round of check-ins."
DECISION = "We meet in small groups of three between sessions."
OBJECTION = "Three is too many for people in far-apart time zones."
INTEGRATION = "Groups of two are fine too; each group picks its own hour."


@pytest.fixture(autouse=True)
def empty_caches():
    """Cached page bodies from other tests' runs must not stand in for this one's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def meeting(transactional_db: None) -> Meeting:
    """CoP-F East with its five roles, meeting a week from now for 90 minutes."""
    series = SeriesFactory(name="CoP-F East", slug="cop-f-east", anchor_timezone=ZONE)
    give_default_roles(series=series)
    starts_at = timezone.now().replace(second=0, microsecond=0) + timedelta(days=7)
    return MeetingFactory(series=series, starts_at=starts_at)


@pytest.fixture
def open_page(new_context, sign_in, live_server):
    """A desktop page in Lisbon, signed in as `user` (or a visitor for None); `for_axe`
    bypasses the CSP so axe-core can be injected."""

    def open_as(user: User | None, *, for_axe: bool = False, scheme: str = "light"):
        context = new_context(
            timezone_id=ZONE, viewport=DESKTOP, bypass_csp=for_axe, color_scheme=scheme
        )
        # With the zone cookie already set, tz.js does not reload the page.
        context.add_cookies([{"name": "tz", "value": ZONE, "url": live_server.url}])
        if user is not None:
            sign_in(context, user)
        return context.new_page()

    return open_as


@pytest.fixture
def csp_errors() -> list[str]:
    return []


@pytest.fixture
def journey_page(open_page, csp_errors):
    """A page for the journey, under the real CSP, whose violations land in `csp_errors`."""

    def open_as(user: User | None):
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


@pytest.fixture
def check_page(open_page, assert_accessible, screenshot):
    """axe-core on `path` as `user` sees it now, light and dark; a screenshot of each."""

    def check(user: User | None, path: str, name: str) -> None:
        for scheme in SCHEMES:
            page = open_page(user, for_axe=True, scheme=scheme)
            response = page.goto(path)
            assert response.status == 200
            assert_accessible(page)
            screenshot(page, f"practice-{name}-{scheme}")

    return check


def role_line(page, name: str):
    """The line of the roles list for the role called exactly `name`."""
    return page.locator(".roles .role", has=page.get_by_text(name, exact=True))


def test_a_member_facilitates_and_proposes_the_organizer_accepts_the_harvester_publishes(
    meeting, journey_page, check_page, screenshot, csp_errors
):
    ama = member("Ama", timezone=ZONE)
    hana = member("Hana", timezone=ZONE)
    olu = organizer("Olu")
    path = meeting.get_absolute_url()

    # 1. Ama takes the facilitator role in one click: she holds it, and her answer is yes.
    page = journey_page(ama)
    page.goto(path)
    page.get_by_role("button", name="Take the Facilitator role").click()
    expect(page.locator(".messages")).to_have_text(
        "You are Facilitator of this meeting, and your answer is yes."
    )
    expect(role_line(page, "Facilitator").locator(".role-holder")).to_have_text("Ama")
    expect(role_line(page, "Facilitator").get_by_role("button")).to_have_text("Give it back")
    yes = page.locator("form[data-rsvp] button[name=response][value=yes]")
    expect(yes).to_have_attribute("aria-pressed", "true")

    # 2. She proposes an agenda item; it waits for a decision.
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Description").fill(DESCRIPTION)
    page.get_by_label("Minutes it needs").fill("20")
    page.get_by_role("button", name="Propose", exact=True).click()
    expect(page.locator(".messages")).to_have_text(
        "Thank you: the facilitator will see your proposal."
    )
    expect(page.locator(".own-proposals strong")).to_have_text(TITLE)
    expect(page.locator(".own-proposals .tag")).to_have_text("Proposed")
    screenshot(page, "practice-01-member-facilitates-and-proposes")
    check_page(ama, path, "member-meeting")

    # Hana, before the start, takes the harvester's place.
    harvester_page = journey_page(hana)
    harvester_page.goto(path)
    harvester_page.get_by_role("button", name="Take the Harvester / note-taker role").click()
    expect(
        role_line(harvester_page, "Harvester / note-taker").locator(".role-holder")
    ).to_have_text("Hana")

    # 3. Olu, an organizer, accepts the proposal: the agenda lists it with its minutes.
    organizer_page = journey_page(olu)
    organizer_page.goto(path)
    organizer_page.get_by_role("button", name=f"Accept “{TITLE}”").click()
    expect(organizer_page.locator(".messages")).to_have_text(f"“{TITLE}” is on the agenda.")
    expect(organizer_page.locator(".agenda .agenda-item")).to_have_count(1)
    item = organizer_page.locator(".agenda .agenda-item")
    expect(item.locator("strong")).to_have_text(TITLE)
    expect(item.locator(".muted")).to_have_text("(20 minutes, proposed by Ama)")
    expect(item.locator(".small")).to_have_text(DESCRIPTION)
    expect(organizer_page.locator(".proposals")).to_have_count(0)
    screenshot(organizer_page, "practice-02-organizer-accepts")
    check_page(olu, path, "organizer-meeting")

    # Ama sees what became of her proposal.
    page.reload()
    expect(page.locator(".own-proposals .tag")).to_have_text("Accepted")

    assert list(RoleAssignment.objects.values_list("user", "role").order_by("user")) == [
        (ama.pk, "facilitator"),
        (hana.pk, "harvester"),
    ]
    assert list(Rsvp.objects.values_list("user", "response").order_by("user")) == [
        (ama.pk, Rsvp.Response.YES),
        (hana.pk, Rsvp.Response.YES),
    ]
    assert list(AgendaItem.objects.values_list("title", "minutes", "status", "decided_by")) == [
        (TITLE, 20, AgendaItem.Status.ACCEPTED, olu.pk)
    ]

    # 4. Ten minutes into the meeting, Hana writes the harvest and publishes it.
    with time_machine.travel(meeting.starts_at + timedelta(minutes=10), tick=True):
        harvester_page.goto(path)
        expect(harvester_page.locator("#practice")).to_contain_text(
            "Roles closed when the meeting started."
        )
        harvester_page.get_by_role("link", name="Write the harvest").click()
        expect(harvester_page).to_have_url(re.compile(rf"{path}harvest/$"))
        check_page(hana, f"{path}harvest/", "harvest-form")
        harvester_page.get_by_label("What we practised").fill(PRACTISED)
        harvester_page.get_by_label("Decision 1", exact=True).fill(DECISION)
        objection = harvester_page.get_by_role("group", name="Objection 1", exact=True)
        objection.get_by_label("To decision").select_option(label="Decision 1")
        objection.get_by_label("Objection", exact=True).fill(OBJECTION)
        objection.get_by_label("How it was integrated").fill(INTEGRATION)
        screenshot(harvester_page, "practice-03-harvester-writes")
        harvester_page.get_by_role("button", name="Publish", exact=True).click()

        # The meeting page shows it, the bold as <strong>, the decision with its objection.
        expect(harvester_page.locator(".messages")).to_have_text("The harvest is published.")
        assert_shows_the_harvest(harvester_page.locator("#harvest"))
        heading = harvester_page.get_by_role("heading", name="Harvest", exact=True)
        expect(heading).to_have_count(1)
        screenshot(harvester_page, "practice-04-harvest-on-the-meeting-page")
        check_page(hana, path, "harvester-meeting")

        # So does the series' harvests page, for everyone.
        visitor_page = journey_page(None)
        visitor_page.goto("/series/cop-f-east/harvests/")
        assert_shows_the_harvest(visitor_page.locator("article.harvest"))
        screenshot(visitor_page, "practice-05-series-harvests")
        check_page(None, "/series/cop-f-east/harvests/", "series-harvests")

    harvest_row = Harvest.objects.get(meeting=meeting)
    assert harvest_row.state == Harvest.State.PUBLISHED
    assert list(
        harvest_row.decisions.values_list(
            "proposal", "objections__objection", "objections__integration"
        )
    ) == [(DECISION, OBJECTION, INTEGRATION)]
    assert csp_errors == []


def assert_shows_the_harvest(harvest) -> None:
    expect(harvest.locator(".harvest-text strong")).to_have_text("consent decisions")
    expect(harvest.locator(".harvest-text")).to_have_text(
        "We practised consent decisions and a round of check-ins."
    )
    expect(harvest.locator(".harvest-decisions .decision")).to_have_text(DECISION)
    expect(harvest.locator(".objections dt")).to_have_text(["Objection 1", "How it was integrated"])
    expect(harvest.locator(".objections dd")).to_have_text([OBJECTION, INTEGRATION])
