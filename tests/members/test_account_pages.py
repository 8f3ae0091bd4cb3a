"""django-allauth's pages in the site's own design and words (templates/account/,
templates/allauth/): one vocabulary, labels above fields, help and errors tied to them."""

import re

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.cache import cache
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from pytest_django.asserts import assertInHTML

from members.models import User
from tests.factories import UserFactory

PASSWORD = "a long pass phrase"  # UserFactory's
# What allauth says and the site does not: "Sign In", "Sign up", "Signup", "Sign Out", "Email".
FOREIGN_WORDS = re.compile(r"\bsign[ -]?(in|up|out)\b|\bemail\b", re.IGNORECASE)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_rate_limits():
    cache.clear()
    yield
    cache.clear()


def verified_member(**fields: object) -> User:
    user = UserFactory(**fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html_of(response) -> str:
    return response.content.decode()


def text_of(html: str) -> str:
    """The visible text with whitespace folded (the zone picker's 600 names left out)."""
    html = re.sub(r"<select.*?</select>", " ", html, flags=re.S)
    html = re.sub(r"<(title|script|style).*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def heading_of(html: str) -> str:
    [h1] = re.findall(r"<h1[^>]*>(.*?)</h1>", html, flags=re.S)
    return text_of(h1)


def title_of(html: str) -> str:
    [title] = re.findall(r"<title>(.*?)</title>", html, flags=re.S)
    return " ".join(title.split())


def card_of(html: str) -> str:
    """The account box: the page without the site's header, zone bar and footer."""
    return html[html.index('<div class="auth-card">') : html.index("</main>")]


def field_names(html: str) -> list[str]:
    """The names of the inputs a person fills in on the account box, in page order."""
    card = card_of(html)
    return re.findall(r'<(?:input|select)(?![^>]*type="hidden")[^>]*\bname="([^"]+)"', card)


def labels_of(html: str) -> list[str]:
    card = card_of(html)
    return [text_of(label) for label in re.findall(r"<label[^>]*>(.*?)</label>", card, re.S)]


def reset_key_path(user: User) -> str:
    uid = user_pk_to_url_str(user)
    return f"/accounts/password/reset/key/{uid}-{default_token_generator.make_token(user)}/"


# Every page a member can meet, as (what it is, how to get there, its heading).
def visitor(path: str):
    return lambda: Client().get(path, follow=True)


def member(path: str, **fields: object):
    return lambda: signed_in(verified_member(**fields)).get(path, follow=True)


def reset_from_key():
    user = verified_member()
    return Client().get(reset_key_path(user), follow=True)


def password_set():
    user = verified_member()
    user.set_unusable_password()
    user.save()
    return signed_in(user).get("/accounts/password/set/")


PAGES = {
    "join": (visitor("/accounts/signup/"), "Join CoP-F"),
    "log in": (visitor("/accounts/login/"), "Log in"),
    "log out": (member("/accounts/logout/"), "Log out"),
    "password reset": (visitor("/accounts/password/reset/"), "Reset your password"),
    "password reset sent": (visitor("/accounts/password/reset/done/"), "Check your inbox"),
    "password reset from key": (reset_from_key, "Choose a new password"),
    "password reset from a bad key": (
        visitor("/accounts/password/reset/key/1-nonsense/"),
        "This link does not work",
    ),
    "password reset done": (
        visitor("/accounts/password/reset/key/done/"),
        "Your password is changed",
    ),
    "password change": (member("/accounts/password/change/"), "Change your password"),
    "password set": (password_set, "Set a password"),
    "e-mail address": (member("/accounts/email/"), "Your e-mail address"),
    "confirm with a bad key": (
        visitor("/accounts/confirm-email/nonsense/"),
        "This link does not work",
    ),
    "verification sent": (visitor("/accounts/confirm-email/"), "Check your inbox"),
    "account inactive": (visitor("/accounts/inactive/"), "This account is switched off"),
    "reauthenticate": (member("/accounts/reauthenticate/"), "Confirm it is you"),
}
# The rate-limit page (429) is one of the error pages: tests/copf/test_views.py.


class TestEveryAccountPage:
    @pytest.mark.parametrize(("page", "heading"), PAGES.values(), ids=PAGES.keys())
    def test_is_in_the_site_design_with_our_heading(self, page, heading):
        response = page()

        html = html_of(response)
        assert response.status_code == 200
        assert heading_of(html) == heading
        assert title_of(html) == f"{heading} · CoP-F"
        assert 'href="/static/css/site.css"' in html
        assert '<a class="brand" href="/">' in html

    @pytest.mark.parametrize(("page", "heading"), PAGES.values(), ids=PAGES.keys())
    def test_speaks_our_words_not_allauths(self, page, heading):
        text = text_of(html_of(page()))

        assert FOREIGN_WORDS.findall(text) == []

    def test_the_form_pages_sit_in_the_centred_account_box(self):
        for path in ("/accounts/signup/", "/accounts/login/", "/accounts/password/reset/"):
            html = html_of(Client().get(path))

            assert html.count('<div class="auth-card">') == 1, path
            assert html.count('class="stacked-form" novalidate') == 1, path

    def test_verified_email_required_says_what_to_do(self):
        request = RequestFactory().get("/me/")
        request.user = verified_member()
        request.session = {}
        request._messages = FallbackStorage(request)

        html = render_to_string("account/verified_email_required.html", request=request)

        assert heading_of(html) == "Confirm your e-mail address first"
        assert (
            text_of(html).count(
                "This page needs a confirmed address. We have sent you an e-mail with a link: "
                "open it, then come back here."
            )
            == 1
        )
        assert '<a href="/accounts/email/">Change your address or get a new link</a>' in html


class TestJoin:
    def test_asks_name_e_mail_password_and_zone_in_that_order(self):
        html = html_of(Client().get("/accounts/signup/"))

        assert field_names(html) == ["display_name", "email", "password1", "password2", "timezone"]
        assert labels_of(html) == [
            "Your name",
            "E-mail address",
            "Password",
            "Password (again)",
            "Time zone",
        ]

    def test_the_zone_is_pre_filled_from_the_browser(self):
        client = Client()
        client.cookies["tz"] = "America/Sao_Paulo"

        html = html_of(client.get("/accounts/signup/"))

        assert '<option value="America/Sao_Paulo" selected>' in html

    def test_help_sits_under_its_field_and_is_tied_to_it(self):
        html = html_of(Client().get("/accounts/signup/"))

        assertInHTML(
            '<div class="field"><label for="id_display_name">Your name</label>'
            '<input type="text" name="display_name" maxlength="100" required'
            ' aria-describedby="id_display_name_helptext" id="id_display_name">'
            '<div class="help" id="id_display_name_helptext">'
            "How other members see you, e.g. your first name.</div></div>",
            html,
        )

    def test_an_error_stands_under_its_field_is_tied_to_it_and_summed_up_as_an_alert(self):
        response = Client().post(
            "/accounts/signup/",
            {
                "display_name": "Asha",
                "email": "not an address",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "timezone": "UTC",
            },
        )

        html = html_of(response)
        assert response.status_code == 200
        assert title_of(html) == "Error: Join CoP-F · CoP-F"
        assertInHTML(
            '<div class="field has-error"><label for="id_email">E-mail address</label>'
            '<input type="email" name="email" value="not an address" autocomplete="email"'
            ' placeholder="Email address" maxlength="320" required aria-invalid="true"'
            ' aria-describedby="id_email_error" id="id_email">'
            '<ul class="errorlist" id="id_email_error"><li>Enter a valid email address.</li></ul>'
            "</div>",
            html,
        )
        assertInHTML(
            '<div class="error-summary" role="alert">'
            '<p class="error-summary-title"><strong>Please check the form:</strong></p>'
            '<ul class="errorlist">'
            '<li><a href="#id_email">Enter a valid email address.</a></li></ul></div>',
            html,
        )
        assert not User.objects.exists()

    def test_the_button_says_join(self):
        html = html_of(Client().get("/accounts/signup/"))

        assertInHTML('<div class="form-actions"><button type="submit">Join</button></div>', html)

    def test_links_to_log_in_keeping_next(self):
        html = html_of(Client().get("/accounts/signup/?next=/meetings/7/"))

        assertInHTML('<input type="hidden" name="next" value="/meetings/7/">', html)
        assertInHTML(
            '<p class="auth-links">Already a member?'
            ' <a href="/accounts/login/?next=%2Fmeetings%2F7%2F">Log in</a></p>',
            html,
        )

    def test_a_refused_form_still_keeps_next_in_the_form_and_the_link(self):
        response = Client().post(
            "/accounts/signup/", {"email": "not an address", "next": "/meetings/7/"}
        )

        html = html_of(response)
        assertInHTML('<input type="hidden" name="next" value="/meetings/7/">', html)
        assert '<a href="/accounts/login/?next=%2Fmeetings%2F7%2F">Log in</a>' in html


class TestLogIn:
    def test_labels_the_fields_in_our_words_and_offers_a_reset(self):
        html = html_of(Client().get("/accounts/login/"))

        assert field_names(html) == ["login", "password", "remember"]
        assert labels_of(html) == [
            "E-mail address",
            "Password",
            "Keep me logged in on this device",
        ]
        assertInHTML(
            '<div class="help" id="id_password_helptext">'
            '<a href="/accounts/password/reset/">Forgotten your password?</a></div>',
            html,
        )
        assertInHTML('<div class="form-actions"><button type="submit">Log in</button></div>', html)

    def test_links_to_join_keeping_next(self):
        html = html_of(Client().get("/accounts/login/?next=/meetings/7/"))

        assertInHTML('<input type="hidden" name="next" value="/meetings/7/">', html)
        assertInHTML(
            '<p class="auth-links">New to CoP-F?'
            ' <a href="/accounts/signup/?next=%2Fmeetings%2F7%2F">Join</a></p>',
            html,
        )

    def test_a_wrong_password_is_summed_up_and_keeps_next(self):
        user = verified_member()

        response = Client().post(
            "/accounts/login/",
            {"login": user.email, "password": "not it at all", "next": "/meetings/7/"},
        )

        html = html_of(response)
        assertInHTML(
            '<div class="error-summary" role="alert">'
            '<p class="error-summary-title"><strong>Please check the form:</strong></p>'
            '<ul class="errorlist">'
            "<li>The email address and/or password you specified are not correct.</li>"
            "</ul></div>",
            html,
        )
        assertInHTML('<input type="hidden" name="next" value="/meetings/7/">', html)
        assert '<a href="/accounts/signup/?next=%2Fmeetings%2F7%2F">Join</a>' in html

    def test_says_who_is_logged_in_by_name(self):
        user = verified_member(display_name="Asha")
        client = Client()

        response = client.post(
            "/accounts/login/", {"login": user.email, "password": PASSWORD}, follow=True
        )

        assertInHTML(
            '<ul class="messages"><li class="success">You are logged in as Asha.</li></ul>',
            html_of(response),
        )

    def test_logging_out_says_so_in_our_words(self):
        client = signed_in(verified_member())

        response = client.post("/accounts/logout/", follow=True)

        assertInHTML(
            '<ul class="messages"><li class="success">You have logged out.</li></ul>',
            html_of(response),
        )


class TestPasswordRules:
    """Django's AUTH_PASSWORD_VALIDATORS help, under the field that sets a password."""

    RULES = password_validators_help_text_html()

    def assert_rules_tied_to_password1(self, html: str) -> None:
        assertInHTML(f'<div class="help" id="id_password1_helptext">{self.RULES}</div>', html)
        [password1] = re.findall(r'<input[^>]*name="password1"[^>]*>', html)
        assert 'aria-describedby="id_password1_helptext"' in password1

    def test_are_shown_when_joining(self):
        self.assert_rules_tied_to_password1(html_of(Client().get("/accounts/signup/")))

    def test_are_shown_when_choosing_a_new_password_from_the_mail(self):
        self.assert_rules_tied_to_password1(html_of(reset_from_key()))

    def test_are_shown_when_changing_the_password(self):
        client = signed_in(verified_member())

        self.assert_rules_tied_to_password1(html_of(client.get("/accounts/password/change/")))

    def test_are_shown_when_setting_a_password(self):
        self.assert_rules_tied_to_password1(html_of(password_set()))

    def test_are_not_shown_when_logging_in(self):
        html = html_of(Client().get("/accounts/login/"))

        assert "Your password must contain at least 8 characters." not in html

    def test_a_broken_rule_is_named_under_the_field(self):
        client = signed_in(verified_member())

        response = client.post(
            "/accounts/password/change/",
            {"oldpassword": PASSWORD, "password1": "12345678", "password2": "12345678"},
        )

        assertInHTML(
            '<ul class="errorlist" id="id_password1_error">'
            "<li>This password is too common.</li>"
            "<li>This password is entirely numeric.</li></ul>",
            html_of(response),
        )


class TestPasswordChange:
    def test_labels_the_three_fields(self):
        html = html_of(signed_in(verified_member()).get("/accounts/password/change/"))

        assert labels_of(html) == ["Current password", "New password", "New password (again)"]
        assertInHTML(
            '<div class="form-actions"><button type="submit">Change password</button>'
            '<a href="/me/">Back to your profile</a></div>',
            html,
        )


class TestEmailAddress:
    def test_shows_the_current_address_and_asks_for_a_new_one(self):
        user = verified_member(email="asha@example.org")

        html = html_of(signed_in(user).get("/accounts/email/"))

        assertInHTML(
            '<div class="field"><label for="current_email">Current address</label>'
            '<input type="email" id="current_email" value="asha@example.org" readonly></div>',
            html,
        )
        assert labels_of(html) == ["Current address", "New address"]
        assert field_names(html) == ["email"]

    def test_a_change_waiting_for_confirmation_can_be_sent_again_or_cancelled(self):
        user = verified_member(email="asha@example.org")
        EmailAddress.objects.create(user=user, email="new@example.org", verified=False)

        html = html_of(signed_in(user).get("/accounts/email/"))

        assertInHTML(
            '<div class="help" id="new_email_helptext">'
            "Not confirmed yet: open the link we sent to it."
            '<button type="submit" form="pending-email" name="action_send" class="secondary">'
            "Send the link again</button>"
            '<button type="submit" form="pending-email" name="action_remove" class="secondary">'
            "Cancel the change</button></div>",
            html,
        )
        assert '<form id="pending-email" method="post" action="/accounts/email/" hidden>' in html

    def test_sending_the_link_again_says_so_in_our_words(self):
        user = UserFactory(email="asha@example.org")
        EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)

        response = signed_in(user).post(
            "/accounts/email/", {"email": user.email, "action_send": ""}, follow=True
        )

        assertInHTML(
            '<ul class="messages"><li class="info">'
            "We have sent a confirmation link to asha@example.org.</li></ul>",
            html_of(response),
        )
