"""Every form on every page submits in Chromium without a CSRF failure, and does what it says.

Pages that sent `Referrer-Policy: no-referrer` made Chromium send `Origin: null` with their
own form posts, and Django's CSRF check refused every one (issue 8). The test client sends
no Origin header, so only a real browser shows it. The forms are found in each page's DOM,
not listed by hand: a form no handler here knows fails the test by name, and the forms
submitted are compared with the (page, form) pairs each test expects. Every form is sent
from a fresh load of its page, by a member signed in again if a log-out came before; deleting
the account is the last form of the last page.

The meetings are a week from now, so nothing depends on today's date.
"""

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.urls import Resolver404, resolve
from django.utils import timezone

from meetings.models import Meeting, Series
from members import links
from members.models import AgendaItem, Follow, Rsvp, User
from tests.factories import MeetingFactory, SeriesFactory, UserFactory

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Locator, Page, Response

try:
    from playwright.sync_api import expect
except ImportError:  # The `browser` fixture skips these tests (or fails them on CI).
    expect = None

PASSWORD = "a long pass phrase"  # UserFactory's
NEW_PASSWORD = "a new and longer pass phrase"
CSRF_FAILURE = "CSRF verification failed"
ZONE_PICKER = "zone picker (GET ?tz=)"
# After these the page is gone for good: nothing more is sent from it.
ENDS_THE_ACCOUNT = {"members:delete_account"}

# Each form in document order: how it is sent, where to, and whether it picks a zone. The
# attributes are read, not form.action / form.method: a field named "action" shadows those.
FORMS_JS = """() => Array.from(document.forms, (form) => [
    (form.getAttribute("method") || "get").toLowerCase(),
    new URL(form.getAttribute("action") || "", document.baseURI).pathname,
    form.querySelector("select[name=tz]") !== null,
])"""


@dataclass(frozen=True)
class FoundForm:
    """A form as the browser sees it: on which page, which one, and where it sends."""

    page: str  # the page's path pattern, e.g. "/meetings/<id>/"
    index: int  # its place in document.forms
    method: str
    action: str  # the path it sends to
    nth: int  # its place among the page's forms with the same method and action
    name: str  # the view it sends to (or ZONE_PICKER)

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.page, self.method, self.action, self.nth)


class Refused(Exception):
    """A form was answered with Django's CSRF failure page."""


def find_forms(page: "Page", label: str) -> list[FoundForm]:
    seen: Counter[tuple[str, str]] = Counter()
    forms = []
    for index, (method, action, picks_zone) in enumerate(page.evaluate(FORMS_JS)):
        forms.append(
            FoundForm(
                page=label,
                index=index,
                method=method,
                action=action,
                nth=seen[(method, action)],
                name=form_name(label, method, action, picks_zone=picks_zone),
            )
        )
        seen[(method, action)] += 1
    return forms


def form_name(label: str, method: str, action: str, *, picks_zone: bool) -> str:
    if method == "get" and picks_zone:
        return ZONE_PICKER
    try:
        view = resolve(action).view_name
    except Resolver404:
        pytest.fail(f"A form on {label} sends to {action}, which no URL answers", pytrace=False)
    return view if method == "post" else f"{method.upper()} {view}"


def form_on(page: "Page", form: FoundForm) -> "Locator":
    return page.locator("form").nth(form.index)


def submit(
    page: "Page", form: FoundForm, button: "Locator", *, statuses: frozenset[int] | None = None
) -> "Response":
    """Click `button` and return the answer to the form's own request.

    A CSRF refusal raises Refused (the test lists them all at the end); any other answer
    must have one of `statuses` (by default a page or a redirect).
    """

    def answers_the_form(response: "Response") -> bool:
        return (
            response.request.method == form.method.upper()
            and urlsplit(response.url).path == form.action
        )

    with page.expect_response(answers_the_form) as answer:
        button.click()
    response = answer.value
    if response.status == 403:
        refusal = re.search(rf"{CSRF_FAILURE}[^<]*", response.text())
        if refusal:
            raise Refused(
                f"{form.name} on {form.page} ({form.method.upper()} {form.action})"
                f" ended on 403 {refusal.group(0).strip()}"
            )
    assert response.status in (statuses or {200, 302, 303}), (form, response.status)
    return response


@dataclass
class Visitor:
    """One person going through pages and sending each form they find there once."""

    open_tab: Callable[[], "Page"]  # a tab ready for the next visit
    member: User
    mailoutbox: list[Any]
    page: "Page | None" = None
    submitted: list[FoundForm] = field(default_factory=list)
    found: set[tuple[str, str, str, int]] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)

    def submit_every_form(self, label: str, path: str) -> None:
        done: set[tuple[str, str, str, int]] = set()
        while True:
            self.page = self.open_tab()
            response = self.page.goto(path)
            assert response.status == 200, (path, response.status)
            assert urlsplit(self.page.url).path == path
            forms = find_forms(self.page, label)
            self.found.update(form.key for form in forms)
            waiting = [form for form in forms if form.key not in done]
            if not waiting:
                return
            form = waiting[0]
            handler = HANDLERS.get(form.name)
            if handler is None:
                pytest.fail(
                    f"No handler here submits the form {form.name} on {label}: add one",
                    pytrace=False,
                )
            try:
                handler(self, form)
            except Refused as refusal:
                self.refused.append(str(refusal))
            done.add(form.key)
            self.submitted.append(form)
            if form.name in ENDS_THE_ACCOUNT:
                return

    def submitted_pairs(self) -> list[tuple[str, str]]:
        return sorted((form.page, form.name) for form in self.submitted)

    def mails_to(self, address: str) -> int:
        return sum(address in message.to for message in self.mailoutbox)


def assert_nothing_refused(visitor: Visitor) -> None:
    if visitor.refused:
        pytest.fail(
            "CSRF refused these forms:\n" + "\n".join(f"- {line}" for line in visitor.refused),
            pytrace=False,
        )


# What each form does, and the proof that it did it. ------------------------------------


def pick_a_zone(visitor: Visitor, form: FoundForm) -> None:
    page = visitor.page
    picker = form_on(page, form)
    picker.locator("select[name=tz]").select_option("Pacific/Auckland")
    submit(page, form, picker.get_by_role("button", name="Show"))
    expect(page.locator(".zone-bar")).to_contain_text(
        "Times are shown in Pacific/Auckland (as you picked)"
    )


def log_out(visitor: Visitor, form: FoundForm) -> None:
    page = visitor.page
    submit(page, form, form_on(page, form).locator("button[type=submit]"))
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


def answer_a_meeting(visitor: Visitor, form: FoundForm) -> None:
    page, member = visitor.page, visitor.member
    meeting_id = resolve(form.action).kwargs["pk"]
    rsvp_form = form_on(page, form)
    choices = rsvp_form.locator("button[name=response]")
    if choices.count() == 1:
        # The page an answer link leads a member to: one button for the answer they chose.
        answer = choices.get_attribute("value")
        submit(page, form, choices)
        assert Rsvp.objects.get(user=member, meeting_id=meeting_id).response == answer
        return
    current = Rsvp.objects.filter(user=member, meeting_id=meeting_id).first()
    answer = "yes" if current is None or current.response != "yes" else "maybe"
    button = rsvp_form.locator(f"button[name=response][value={answer}]")
    if not EmailAddress.objects.filter(user=member, verified=True).exists():
        # Answers wait for a confirmed address: a refusal, but not a CSRF one.
        submit(page, form, button, statuses=frozenset({403}))
        expect(rsvp_form.locator("[data-rsvp-status]")).to_contain_text(
            "Confirm your e-mail address first"
        )
        assert not Rsvp.objects.filter(user=member, meeting_id=meeting_id).exists()
        return
    submit(page, form, button)
    expect(button).to_have_attribute("aria-pressed", "true")
    assert Rsvp.objects.get(user=member, meeting_id=meeting_id).response == answer


def follow_or_unfollow(visitor: Visitor, form: FoundForm) -> None:
    page, member = visitor.page, visitor.member
    slug = resolve(form.action).kwargs["slug"]
    button = form_on(page, form).locator("button[name=action]")
    action = button.get_attribute("value")
    submit(page, form, button)
    series = Series.objects.get(slug=slug)
    if action == "follow":
        expect(page.locator(".messages")).to_have_text(f"You follow {series.name}.")
    else:
        expect(page.locator(".messages")).to_have_text(f"You no longer follow {series.name}.")
    assert Follow.objects.filter(user=member, series=series).exists() is (action == "follow")


def save_profile(visitor: Visitor, form: FoundForm) -> None:
    page, member = visitor.page, visitor.member
    member.refresh_from_db()
    zone = "America/Sao_Paulo" if str(member.timezone) != "America/Sao_Paulo" else "Asia/Tokyo"
    settings_form = form_on(page, form)
    settings_form.locator("select[name=timezone]").select_option(zone)
    submit(page, form, settings_form.get_by_role("button", name="Save"))
    expect(page.locator(".messages")).to_have_text("Your profile is saved.")
    expect(page.locator(".zone-bar")).to_contain_text(f"{zone} (from your profile)")
    member.refresh_from_db()
    assert str(member.timezone) == zone


def answer_the_zone_banner(visitor: Visitor, form: FoundForm) -> None:
    """The banner for a member whose browser (Asia/Kolkata) is in another zone than the
    profile (just changed by save_profile): make the browser's zone the profile's."""
    page, member = visitor.page, visitor.member
    banner = form_on(page, form)
    submit(page, form, banner.get_by_role("button", name="Update my profile"))
    expect(page.locator(".messages")).to_have_text("Your profile's time zone is now Asia/Kolkata.")
    expect(page.locator("[data-zone-suggestion]")).to_have_count(0)
    member.refresh_from_db()
    assert str(member.timezone) == "Asia/Kolkata"


def rotate_feed(visitor: Visitor, form: FoundForm) -> None:
    page, member = visitor.page, visitor.member
    member.refresh_from_db()
    old_token = member.feed_token
    submit(page, form, form_on(page, form).get_by_role("button", name="Get a new address"))
    expect(page.locator(".messages")).to_contain_text("Your personal feed has a new address.")
    member.refresh_from_db()
    assert member.feed_token != old_token
    expect(page.locator("#personal-feed-url")).to_have_value(
        re.compile(rf"/feeds/{member.feed_token}\.ics$")
    )


def confirm_an_emailed_answer(visitor: Visitor, form: FoundForm) -> None:
    page = visitor.page
    link = links.read_rsvp_token(resolve(form.action).kwargs["token"])
    submit(page, form, form_on(page, form).get_by_role("button"))
    expect(page.get_by_role("link", name="See the meeting")).to_be_visible()
    rsvp = Rsvp.objects.get(user_id=link.user_id, meeting_id=link.meeting_id)
    assert rsvp.response == link.response


def unsubscribe(visitor: Visitor, form: FoundForm) -> None:
    page = visitor.page
    user_id = links.read_unsubscribe_token(resolve(form.action).kwargs["token"])
    submit(page, form, form_on(page, form).get_by_role("button", name="Stop meeting e-mail"))
    expect(page.locator("h1")).to_have_text("Meeting e-mail stopped")
    assert User.objects.get(pk=user_id).email_enabled is False


def manage_email(visitor: Visitor, form: FoundForm) -> None:
    """The three forms that post to allauth's e-mail view."""
    page, member = visitor.page, visitor.member
    email_form = form_on(page, form)
    if email_form.get_attribute("id") == "pending-email":
        # Its buttons sit in the form above, tied to it by form="pending-email".
        new_address = email_form.locator("input[name=email]").get_attribute("value")
        submit(page, form, page.locator("button[form=pending-email][name=action_remove]"))
        expect(page.locator("input#new_email")).to_have_count(0)
        assert not EmailAddress.objects.filter(user=member, email=new_address).exists()
    elif email_form.locator("button[name=action_send]").count():
        # "Send the confirmation link again". allauth sends one per address every three
        # minutes and skips the rest quietly; each form here is tried as if on its own.
        cache.clear()
        sent = visitor.mails_to(member.email)
        submit(page, form, email_form.locator("button[name=action_send]"))
        expect(page.locator(".messages")).to_contain_text(
            f"We have sent a confirmation link to {member.email}."
        )
        assert visitor.mails_to(member.email) == sent + 1
    else:
        new_address = f"new-{member.pk}@example.org"
        email_form.locator("input[name=email]").fill(new_address)
        submit(page, form, email_form.locator("button[name=action_add]"))
        expect(page.locator("input#new_email")).to_have_value(new_address)
        assert EmailAddress.objects.filter(user=member, email=new_address, verified=False).exists()
        assert visitor.mails_to(new_address) == 1


def change_password(visitor: Visitor, form: FoundForm) -> None:
    page, member = visitor.page, visitor.member
    password_form = form_on(page, form)
    password_form.locator("input[name=oldpassword]").fill(PASSWORD)
    password_form.locator("input[name=password1]").fill(NEW_PASSWORD)
    password_form.locator("input[name=password2]").fill(NEW_PASSWORD)
    submit(page, form, password_form.locator("button[type=submit]"))
    expect(page.locator(".messages")).to_contain_text("Password successfully changed.")
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)


def delete_account(visitor: Visitor, form: FoundForm) -> None:
    page, member = visitor.page, visitor.member
    delete_form = form_on(page, form)
    delete_form.locator("input[name=confirm]").fill("DELETE")
    submit(page, form, delete_form.get_by_role("button", name="Delete my account"))
    expect(page.locator(".messages")).to_have_text("Your account and all your answers are deleted.")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    assert not User.objects.filter(pk=member.pk).exists()


def log_in(visitor: Visitor, form: FoundForm) -> None:
    page, member = visitor.page, visitor.member
    login_form = form_on(page, form)
    login_form.locator("input[name=login]").fill(member.email)
    login_form.locator("input[name=password]").fill(PASSWORD)
    submit(page, form, login_form.locator("button[type=submit]"))
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def sign_up(visitor: Visitor, form: FoundForm) -> None:
    page = visitor.page
    signup_form = form_on(page, form)
    signup_form.locator("input[name=email]").fill("newcomer@example.org")
    signup_form.locator("input[name=display_name]").fill("Newcomer")
    signup_form.locator("select[name=timezone]").select_option("Africa/Nairobi")
    signup_form.locator("input[name=password1]").fill(NEW_PASSWORD)
    signup_form.locator("input[name=password2]").fill(NEW_PASSWORD)
    submit(page, form, signup_form.locator("button[type=submit]"))
    expect(page.locator("main")).to_contain_text(
        re.compile(r"We have sent an e-?mail to you for verification")
    )
    newcomer = User.objects.get(email="newcomer@example.org")
    assert str(newcomer.timezone) == "Africa/Nairobi"
    assert visitor.mails_to("newcomer@example.org") == 1


def reset_password(visitor: Visitor, form: FoundForm) -> None:
    page, member = visitor.page, visitor.member
    reset_form = form_on(page, form)
    reset_form.locator("input[name=email]").fill(member.email)
    submit(page, form, reset_form.locator("button[type=submit]"))
    expect(page).to_have_url(re.compile(r"/accounts/password/reset/done/$"))
    assert visitor.mails_to(member.email) == 1


def propose_an_item(visitor: Visitor, form: FoundForm) -> None:
    page, member = visitor.page, visitor.member
    proposal = form_on(page, form)
    proposal.locator("input[name=title]").fill("Rounds on feedback")
    proposal.locator("textarea[name=description]").fill("How we give feedback in a round.")
    proposal.locator("input[name=minutes]").fill("20")
    submit(page, form, proposal.get_by_role("button", name="Propose"))
    expect(page.locator(".messages")).to_contain_text("the facilitator will see your proposal")
    assert list(AgendaItem.objects.filter(proposer=member).values_list("title", "minutes")) == [
        ("Rounds on feedback", 20)
    ]


def withdraw_an_item(visitor: Visitor, form: FoundForm) -> None:
    page, member = visitor.page, visitor.member
    [title] = AgendaItem.objects.filter(proposer=member).values_list("title", flat=True)
    submit(page, form, form_on(page, form).get_by_role("button", name=f"Withdraw “{title}”"))
    expect(page.locator(".messages")).to_contain_text(f"You withdrew “{title}”.")
    assert not AgendaItem.objects.filter(proposer=member).exists()


HANDLERS: dict[str, Callable[[Visitor, FoundForm], None]] = {
    ZONE_PICKER: pick_a_zone,
    "account_logout": log_out,
    "members:rsvp": answer_a_meeting,
    "members:follow": follow_or_unfollow,
    "members:profile": save_profile,
    "members:set_timezone": answer_the_zone_banner,
    "members:rotate_feed": rotate_feed,
    "members:rsvp_link": confirm_an_emailed_answer,
    "members:propose_item": propose_an_item,
    "members:withdraw_item": withdraw_an_item,
    "members:unsubscribe": unsubscribe,
    "account_email": manage_email,
    "account_change_password": change_password,
    "members:delete_account": delete_account,
    "account_login": log_in,
    "account_signup": sign_up,
    "account_reset_password": reset_password,
}


# The place, the people and the tabs. ----------------------------------------------------


@pytest.fixture
def east_and_west(transactional_db: None) -> tuple[Meeting, Meeting]:
    """The two series with one meeting each, a week from now."""
    next_week = (timezone.now() + timedelta(days=7)).replace(second=0, microsecond=0)
    east = SeriesFactory(slug="cop-f-east", name="CoP-F East")
    west = SeriesFactory(slug="cop-f-west", name="CoP-F West")
    return (
        MeetingFactory(series=east, starts_at=next_week),
        MeetingFactory(series=west, starts_at=next_week + timedelta(hours=4, minutes=30)),
    )


def page_in(context: "BrowserContext", live_server: Any) -> "Page":
    # With the zone cookie already set, tz.js does not reload a page under the test.
    context.add_cookies([{"name": "tz", "value": "Asia/Kolkata", "url": live_server.url}])
    return context.new_page()


def signed_in_tab(
    new_context: Callable[..., "BrowserContext"], sign_in: Callable, live_server: Any, member: User
) -> Callable[[], "Page"]:
    """The member's one tab, signed in again before each visit (the last one may have
    logged out)."""
    context = new_context(timezone_id="Asia/Kolkata")
    page = page_in(context, live_server)

    def open_tab() -> "Page":
        # Fresh from the database: a changed password changes the session's hash.
        sign_in(context, User.objects.get(pk=member.pk))
        return page

    return open_tab


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_a_signed_in_member_can_send_every_form_on_every_page(
    east_and_west, verified_member, new_context, sign_in, live_server, mailoutbox
):
    east_meeting, _ = east_and_west
    # Following East and not West, /me/ offers both an Unfollow and a Follow button.
    Follow.objects.create(user=verified_member, series=east_meeting.series)
    answer_link = path_of(
        links.rsvp_url(user_id=verified_member.pk, meeting_id=east_meeting.pk, response="no")
    )
    unsubscribe_link = path_of(links.unsubscribe_url(user_id=verified_member.pk))
    visitor = Visitor(
        open_tab=signed_in_tab(new_context, sign_in, live_server, verified_member),
        member=verified_member,
        mailoutbox=mailoutbox,
    )
    pages = [
        ("/", "/"),
        ("/series/<slug>/", "/series/cop-f-east/"),
        ("/meetings/<id>/", east_meeting.get_absolute_url()),
        ("/meetings/<id>/rsvp/<answer>/", f"{east_meeting.get_absolute_url()}rsvp/maybe/"),
        ("/calendar/<year>/<month>/", "/calendar/2030/1/"),
        ("/me/", "/me/"),
        ("/rsvp/<token>/", answer_link),
        ("/unsubscribe/<token>/", unsubscribe_link),
        ("/accounts/email/", "/accounts/email/"),
        ("/accounts/password/change/", "/accounts/password/change/"),
        ("/accounts/logout/", "/accounts/logout/"),
        ("/me/delete/", "/me/delete/"),  # Last: it deletes the member.
    ]

    for label, path in pages:
        visitor.submit_every_form(label, path)

    assert_nothing_refused(visitor)
    assert {form.key for form in visitor.submitted} == visitor.found
    assert visitor.submitted_pairs() == sorted(
        [
            ("/", "account_logout"),
            # Each track's next meeting, on its card and on the list.
            ("/", "members:rsvp"),
            ("/", "members:rsvp"),
            ("/", "members:rsvp"),
            ("/", "members:rsvp"),
            ("/series/<slug>/", "account_logout"),
            ("/series/<slug>/", "members:follow"),
            ("/series/<slug>/", "members:rsvp"),
            ("/meetings/<id>/", "account_logout"),
            ("/meetings/<id>/", "members:rsvp"),
            ("/meetings/<id>/", "members:propose_item"),
            ("/meetings/<id>/", "members:withdraw_item"),
            ("/me/", "account_logout"),
            ("/me/", "members:rotate_feed"),
            ("/me/", "members:follow"),
            ("/me/", "members:follow"),
            ("/me/", "members:profile"),
            ("/me/", "members:set_timezone"),
            ("/rsvp/<token>/", "account_logout"),
            ("/rsvp/<token>/", "members:rsvp_link"),
            ("/unsubscribe/<token>/", "account_logout"),
            ("/unsubscribe/<token>/", "members:unsubscribe"),
            ("/accounts/email/", "account_logout"),
            ("/accounts/email/", "account_email"),
            ("/accounts/email/", "account_email"),
            ("/accounts/password/change/", "account_logout"),
            ("/accounts/password/change/", "account_change_password"),
            ("/accounts/logout/", "account_logout"),
            ("/accounts/logout/", "account_logout"),
            ("/me/delete/", "account_logout"),
            ("/me/delete/", "members:delete_account"),
            ("/meetings/<id>/rsvp/<answer>/", "account_logout"),
            ("/meetings/<id>/rsvp/<answer>/", "members:rsvp"),
            ("/calendar/<year>/<month>/", "account_logout"),
        ]
    )


def test_a_member_with_an_unconfirmed_address_can_send_every_form_on_their_pages(
    east_and_west, new_context, sign_in, live_server, mailoutbox
):
    east_meeting, _ = east_and_west
    member = UserFactory(timezone="Asia/Kolkata")
    EmailAddress.objects.create(user=member, email=member.email, verified=False, primary=True)
    visitor = Visitor(
        open_tab=signed_in_tab(new_context, sign_in, live_server, member),
        member=member,
        mailoutbox=mailoutbox,
    )

    visitor.submit_every_form("/me/", "/me/")
    visitor.submit_every_form("/meetings/<id>/", east_meeting.get_absolute_url())

    assert_nothing_refused(visitor)
    assert {form.key for form in visitor.submitted} == visitor.found
    assert visitor.submitted_pairs() == sorted(
        [
            ("/me/", "account_logout"),
            ("/me/", "account_email"),
            ("/me/", "members:rotate_feed"),
            ("/me/", "members:follow"),
            ("/me/", "members:follow"),
            ("/me/", "members:profile"),
            ("/me/", "members:set_timezone"),
            ("/meetings/<id>/", "account_logout"),
            ("/meetings/<id>/", "members:rsvp"),
            ("/meetings/<id>/", "account_email"),
        ]
    )


def test_a_visitor_can_send_every_form_on_every_page_open_to_them(
    east_and_west, verified_member, new_context, live_server, mailoutbox
):
    east_meeting, _ = east_and_west
    answer_link = path_of(
        links.rsvp_url(user_id=verified_member.pk, meeting_id=east_meeting.pk, response="yes")
    )
    unsubscribe_link = path_of(links.unsubscribe_url(user_id=verified_member.pk))
    # The e-mail links work without a session; the log-in form uses the member's account.
    visitor = Visitor(
        # A fresh browser for every form: logging in must not carry over.
        open_tab=lambda: page_in(new_context(timezone_id="Asia/Kolkata"), live_server),
        member=verified_member,
        mailoutbox=mailoutbox,
    )
    pages = [
        ("/", "/"),
        ("/series/<slug>/", "/series/cop-f-east/"),
        ("/meetings/<id>/", east_meeting.get_absolute_url()),
        ("/calendar/<year>/<month>/", "/calendar/2030/1/"),
        ("/rsvp/<token>/", answer_link),
        ("/unsubscribe/<token>/", unsubscribe_link),
        ("/accounts/login/", "/accounts/login/"),
        ("/accounts/signup/", "/accounts/signup/"),
        ("/accounts/password/reset/", "/accounts/password/reset/"),
    ]

    for label, path in pages:
        visitor.submit_every_form(label, path)

    assert_nothing_refused(visitor)
    assert {form.key for form in visitor.submitted} == visitor.found
    assert visitor.submitted_pairs() == sorted(
        [
            ("/", ZONE_PICKER),
            ("/series/<slug>/", ZONE_PICKER),
            ("/meetings/<id>/", ZONE_PICKER),
            ("/calendar/<year>/<month>/", ZONE_PICKER),
            ("/rsvp/<token>/", ZONE_PICKER),
            ("/rsvp/<token>/", "members:rsvp_link"),
            ("/unsubscribe/<token>/", ZONE_PICKER),
            ("/unsubscribe/<token>/", "members:unsubscribe"),
            ("/accounts/login/", ZONE_PICKER),
            ("/accounts/login/", "account_login"),
            ("/accounts/signup/", ZONE_PICKER),
            ("/accounts/signup/", "account_signup"),
            ("/accounts/password/reset/", ZONE_PICKER),
            ("/accounts/password/reset/", "account_reset_password"),
        ]
    )
