"""An organizer builds a series' rule with the recurrence builder and cancels meetings with a
message, in Chromium, under the real Content-Security-Policy.

Nothing is frozen: the series start in the past and the meetings cancelled are the seeded
coming ones, so no step depends on today's date.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from meetings.models import PLACEHOLDER_JOIN_URL, Meeting, Series
from members.models import User
from tests.factories import UserFactory

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page

try:
    from playwright.sync_api import expect
except ImportError:  # The `browser` fixture skips these tests (or fails them on CI).
    expect = None

ADD_SERIES = "/admin/meetings/series/add/"


@pytest.fixture
def organizer(transactional_db: None) -> User:
    return UserFactory(is_staff=True, is_superuser=True, timezone="UTC")


@pytest.fixture
def csp_errors() -> Callable[["Page"], list[str]]:
    """Start noting the page's Content-Security-Policy violations; returns the list."""

    def watch(page: "Page") -> list[str]:
        errors: list[str] = []

        def note(message: "ConsoleMessage") -> None:
            if "Content Security Policy" in message.text:
                errors.append(message.text)

        page.on("console", note)
        return errors

    return watch


def fill_new_series(page: "Page", *, name: str, slug: str) -> None:
    # The slug first: the admin's prepopulate script then leaves it as typed.
    page.fill("#id_slug", slug)
    page.fill("#id_name", name)
    page.fill("#id_join_url", f"https://meet.example.net/{slug}")
    page.fill("#id_start_date", "2025-01-13")
    page.fill("#id_start_time", "14:00")
    page.fill("#id_duration", "01:30:00")


def test_organizer_builds_a_second_monday_monthly_rule_and_saves_it(
    organizer, new_context, sign_in, csp_errors, screenshot
):
    context = new_context()
    sign_in(context, organizer)
    page = context.new_page()
    errors = csp_errors(page)

    page.goto(ADD_SERIES)
    builder = page.locator("fieldset.rrule-builder")
    rule = page.locator("#id_rrule")
    expect(builder).to_be_visible()
    # A new series starts from what the controls show: weekly, on the start date's weekday.
    expect(rule).to_have_value("FREQ=WEEKLY")
    fill_new_series(page, name="Practice circle", slug="practice-circle")
    builder.get_by_label("Repeats").select_option(label="Monthly")
    builder.locator("[data-rrule-monthly]").select_option(
        label="a weekday of the month (“the second Monday”)"
    )
    builder.get_by_label("Which weekday of the month").select_option(label="second")
    builder.get_by_label("Weekday", exact=True).select_option(label="Monday")
    expect(rule).to_have_value("FREQ=MONTHLY;BYDAY=2MO")
    screenshot(page, "admin-01-series-builder")
    page.locator("input[name=_continue]").click()

    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    series = Series.objects.get(slug="practice-circle")
    assert series.rrule == "FREQ=MONTHLY;BYDAY=2MO"
    assert {start.weekday() for start in series.meetings.values_list("starts_at", flat=True)} == {0}
    assert all(
        8 <= start.day <= 14 for start in series.meetings.values_list("starts_at", flat=True)
    )
    # The saved rule is read back into the controls.
    expect(builder.get_by_label("Repeats")).to_have_value("MONTHLY")
    expect(builder.get_by_label("Which weekday of the month")).to_have_value("2")
    expect(builder.get_by_label("Weekday", exact=True)).to_have_value("MO")
    expect(page.locator(".field-schedule_in_words .readonly")).to_have_text(
        "Every month on the second Monday, 14:00–15:30 UTC"
    )
    expect(page.locator(".series-preview tbody tr")).to_have_count(6)
    screenshot(page, "admin-02-series-saved")
    assert errors == []


def test_a_rule_the_builder_cannot_show_is_a_custom_rule_kept_as_typed(
    organizer, new_context, sign_in, csp_errors
):
    context = new_context()
    sign_in(context, organizer)
    page = context.new_page()
    errors = csp_errors(page)
    page.goto(ADD_SERIES)
    builder = page.locator("fieldset.rrule-builder")
    rule = page.locator("#id_rrule")
    custom = builder.locator("[data-rrule-custom]")

    rule.fill("FREQ=MONTHLY;BYDAY=MO,WE;BYSETPOS=-1")
    expect(custom).to_be_visible()
    expect(custom).to_contain_text("Custom rule")
    expect(builder.get_by_label("Repeats")).to_be_hidden()

    rule.fill("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH")
    expect(custom).to_be_hidden()
    expect(builder.get_by_label("Repeats")).to_have_value("WEEKLY")
    expect(builder.get_by_label("every")).to_have_value("2")
    expect(builder.get_by_label("Tuesday")).to_be_checked()
    expect(builder.get_by_label("Thursday")).to_be_checked()
    expect(builder.get_by_label("Monday")).not_to_be_checked()
    expect(builder.locator("[data-rrule-unit]")).to_have_text("weeks")

    rule.fill("rrule:freq=monthly;byday=-1fr;until=20271231")
    expect(custom).to_be_hidden()
    expect(builder.get_by_label("Repeats")).to_have_value("MONTHLY")
    expect(builder.get_by_label("Which weekday of the month")).to_have_value("-1")
    expect(builder.get_by_label("Weekday", exact=True)).to_have_value("FR")
    expect(builder.get_by_label("Ends")).to_have_value("until")
    expect(builder.get_by_label("last date")).to_have_value("2027-12-31")

    rule.fill("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH")
    rule.fill("FREQ=DAILY;BYHOUR=9")
    expect(custom).to_be_visible()
    builder.get_by_role("button", name="Replace it with a rule from the builder").click()
    expect(custom).to_be_hidden()
    expect(rule).to_have_value("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH")

    builder.get_by_label("Ends").select_option(label="after a number of meetings")
    builder.locator("[data-rrule-count]").fill("6")
    expect(rule).to_have_value("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=6")
    assert errors == []


def test_without_javascript_the_raw_rule_works_as_before(organizer, new_context, sign_in):
    context = new_context(java_script_enabled=False)
    sign_in(context, organizer)
    page = context.new_page()

    page.goto(ADD_SERIES)
    expect(page.locator("fieldset.rrule-builder")).to_be_hidden()
    fill_new_series(page, name="Harvest circle", slug="harvest-circle")
    page.fill("#id_rrule", "FREQ=MONTHLY;BYDAY=-1FR")
    page.locator("input[name=_save]").click()

    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    assert Series.objects.get(slug="harvest-circle").rrule == "FREQ=MONTHLY;BYDAY=-1FR"


def test_organizer_cancels_two_meetings_with_a_message_after_confirming(
    copf_series, organizer, new_context, sign_in, csp_errors, screenshot
):
    context = new_context()
    sign_in(context, organizer)
    page = context.new_page()
    errors = csp_errors(page)
    east = list(Meeting.objects.filter(series__slug="cop-f-east").order_by("starts_at")[:2])

    page.goto(f"/admin/meetings/meeting/?series__id__exact={east[0].series_id}")
    for meeting in east:
        page.locator(f"input[name=_selected_action][value='{meeting.pk}']").check()
    page.locator("select[name=action]").select_option("cancel_selected")
    page.locator("button[name=index]").click()

    expect(page.locator("h1")).to_have_text("Cancel these 2 meetings?")
    expect(page.locator("ul.meetings-to-cancel li")).to_have_count(2)
    page.get_by_label("Message to members (optional)").fill("We take a summer break.")
    screenshot(page, "admin-03-cancel-selected")
    assert set(Meeting.objects.values_list("status", flat=True)) == {"scheduled"}
    page.get_by_role("button", name="Yes, cancel these meetings").click()

    expect(page.locator(".messagelist")).to_contain_text("Cancelled 2 meetings")
    cancelled = Meeting.objects.filter(status=Meeting.Status.CANCELLED).order_by("starts_at")
    assert list(cancelled.values_list("pk", "cancellation_message", "sequence")) == [
        (meeting.pk, "We take a summer break.", 1) for meeting in east
    ]
    assert errors == []


def test_the_seeded_series_are_flagged_until_their_call_address_is_replaced(
    copf_series, organizer, new_context, sign_in, csp_errors
):
    context = new_context()
    sign_in(context, organizer)
    page = context.new_page()
    errors = csp_errors(page)

    page.goto("/admin/meetings/series/")
    expect(page.locator("td.field-call_address")).to_have_text(
        ["Placeholder: replace it", "Placeholder: replace it"]
    )
    page.get_by_role("link", name="CoP-F East").click()
    expect(page.locator(".messagelist .warning")).to_contain_text(PLACEHOLDER_JOIN_URL)
    page.fill("#id_join_url", "https://meet.jit.si/copf-east")
    page.locator("input[name=_save]").click()

    expect(page.locator("td.field-call_address")).to_have_text(
        ["meet.jit.si", "Placeholder: replace it"]
    )
    assert errors == []


def test_the_series_page_and_the_cancel_pages_are_accessible(
    copf_series, organizer, new_context, sign_in, assert_accessible
):
    # axe is injected as an inline script, which the CSP would block (see conftest).
    context = new_context(bypass_csp=True)
    sign_in(context, organizer)
    page = context.new_page()
    east = Series.objects.get(slug="cop-f-east")
    meeting = east.meetings.order_by("starts_at").first()

    page.goto(f"/admin/meetings/series/{east.pk}/change/")
    expect(page.locator("fieldset.rrule-builder")).to_be_visible()
    assert_accessible(page)
    page.goto(f"/admin/meetings/meeting/{meeting.pk}/cancel/")
    assert_accessible(page)
    page.goto(f"/admin/meetings/meeting/?series__id__exact={east.pk}")
    page.locator(f"input[name=_selected_action][value='{meeting.pk}']").check()
    page.locator("select[name=action]").select_option("cancel_selected")
    page.locator("button[name=index]").click()
    expect(page.locator("h1")).to_have_text("Cancel this meeting?")
    assert_accessible(page)
