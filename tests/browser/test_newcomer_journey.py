"""A newcomer in India finds a session, joins, confirms their e-mail and answers, in Chromium.

Nothing is frozen: the seeded meetings are the real coming ones, so the dates come from the
database and only the wall-clock times (fixed in UTC) are written down here.
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from meetings.models import Meeting
from members.models import Rsvp, User

try:
    from playwright.sync_api import expect
except ImportError:  # The `browser` fixture skips these tests (or fails them on CI).
    expect = None

KOLKATA = ZoneInfo("Asia/Kolkata")
UTC = ZoneInfo("UTC")
PASSWORD = "a quiet river at dawn"


def short_day(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b %Y}"


def test_newcomer_in_kolkata_signs_up_and_answers_a_west_meeting(
    copf_series, new_context, screenshot, mailoutbox, live_server
):
    context = new_context(timezone_id="Asia/Kolkata")
    page = context.new_page()
    # The journey runs under the real CSP: tz.js and rsvp.js must work with it.
    csp_errors = []

    def note_csp_error(message):
        if "Content Security Policy" in message.text:
            csp_errors.append(message.text)

    page.on("console", note_csp_error)

    # 1. The schedule learns the browser's zone (tz.js sets the cookie and reloads once).
    page.goto("/")
    zone_bar = page.locator(".zone-bar")
    expect(zone_bar).to_contain_text("Times are shown in Asia/Kolkata (from your browser)")
    # Chromium's ICU still says Asia/Calcutta; the server stores and shows today's name.
    cookies = {cookie["name"]: cookie["value"] for cookie in context.cookies()}
    assert cookies["tz"] in {"Asia/Kolkata", "Asia/Calcutta"}
    east = page.locator("li.meeting", has=page.locator(".tag", has_text="CoP-F East")).first
    expect(east.locator(".meeting-time time")).to_have_text("19:30–21:00 IST")
    expect(east.locator(".meeting-time .utc")).to_have_text("(14:00–15:30 UTC)")
    screenshot(page, "01-schedule")

    # 2. Sign up; the zone is already picked from the cookie.
    page.get_by_role("link", name="Join").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    expect(page.locator("select[name=timezone]")).to_have_value("Asia/Kolkata")
    page.fill("input[name=email]", "asha@example.org")
    page.fill("input[name=display_name]", "Asha")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    screenshot(page, "02-signup")
    page.locator("form[action$='/accounts/signup/'] button[type=submit]").click()
    expect(page.locator("main")).to_contain_text(
        re.compile(r"We have sent an e-?mail to you for verification")
    )
    screenshot(page, "03-verification-sent")
    member = User.objects.get(email="asha@example.org")
    assert str(member.timezone) == "Asia/Kolkata"

    # 3. Open the link from the mail: one click confirms the address and signs the member in.
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["asha@example.org"]
    link = re.search(r"https?://\S+", mailoutbox[0].body).group(0)
    assert link.startswith(f"{live_server.url}/accounts/")
    page.goto(link)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    screenshot(page, "05-signed-in")

    # 4. Open the next West meeting from its series page and answer yes, in place.
    page.goto("/series/cop-f-west/")
    page.locator("ul.meetings li.meeting .meeting-title a").first.click()
    expect(page).to_have_url(re.compile(r"/meetings/\d+/$"))
    meeting = Meeting.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    assert meeting.series.slug == "cop-f-west"
    assert meeting.starts_at > timezone.now()
    assert f"{meeting.starts_at.astimezone(UTC):%H:%M}" == "18:30"
    rsvp_form = page.locator("form[data-rsvp]")
    yes = rsvp_form.locator("button[name=response][value=yes]")
    no = rsvp_form.locator("button[name=response][value=no]")
    page.evaluate("() => { window.stillTheSamePage = true; }")
    yes.click()
    expect(yes).to_have_attribute("aria-pressed", "true")
    expect(rsvp_form.locator("[data-rsvp-status]")).to_contain_text("You're coming")
    assert page.evaluate("() => window.stillTheSamePage === true")  # updated in place
    screenshot(page, "06-rsvp-yes")
    assert list(Rsvp.objects.filter(user=member).values_list("meeting_id", "response")) == [
        (meeting.pk, "yes")
    ]

    # 5. /me/ lists it in the member's zone: 18:30 UTC is half past midnight the next day.
    page.goto("/me/")
    expect(page.locator(".zone-bar")).to_contain_text("Asia/Kolkata (from your profile)")
    answers = page.locator("section[aria-labelledby=answers-heading]")
    item = answers.locator("li.meeting", has=page.locator(f"a[href='/meetings/{meeting.pk}/']"))
    local_start = meeting.starts_at.astimezone(KOLKATA)
    utc_start = meeting.starts_at.astimezone(UTC)
    assert local_start.date() > utc_start.date()
    expect(item.locator(".meeting-time")).to_have_text(
        f"{short_day(local_start)}, 00:00–01:30 IST ({short_day(utc_start)}, 18:30–20:00 UTC)"
    )
    expect(item.locator(".my-answer")).to_have_text("Your answer: Yes")
    screenshot(page, "07-my-meetings")

    # 6. Change the answer to no from the meeting page: still one row, now "no".
    page.goto(meeting.get_absolute_url())
    no.click()
    expect(no).to_have_attribute("aria-pressed", "true")
    expect(yes).to_have_attribute("aria-pressed", "false")
    expect(rsvp_form.locator("[data-rsvp-status]")).to_contain_text("You're not coming")
    screenshot(page, "08-rsvp-no")
    assert list(Rsvp.objects.filter(user=member).values_list("meeting_id", "response")) == [
        (meeting.pk, "no")
    ]

    assert csp_errors == []
