"""The mail django-allauth sends is ours (templates/account/email/): CoP-F's words in a text
and an HTML part, and the confirmation link confirms in one click."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.test import Client
from pytest_django.asserts import assertInHTML

from members.models import User
from tests.factories import UserFactory

PASSWORD = "a long pass phrase"
# What allauth's own templates would have put in: the request's host as the site's name.
STOCK_WORDS = re.compile(r"Hello from|testserver!|127\.0\.0\.1|example\.com|Thank you for using")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_rate_limits():
    cache.clear()
    yield
    cache.clear()


def join(client: Client, **overrides: str):
    return client.post(
        "/accounts/signup/",
        {
            "display_name": "Asha",
            "email": "asha@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "timezone": "Asia/Kolkata",
            **overrides,
        },
    )


def html_part(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def confirmation_link(message) -> str:
    [link] = re.findall(r"http://testserver/accounts/confirm-email/[^/\s]+/", message.body)
    return link


def verified_member(**fields: object) -> User:
    user = UserFactory(**fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


class TestTheConfirmationMail:
    def test_has_our_subject_and_a_plain_text_part_that_names_cop_f(self):
        join(Client())

        [message] = mail.outbox
        link = confirmation_link(message)
        assert message.to == ["asha@example.org"]
        assert message.subject == "[CoP-F] Confirm your e-mail address to finish joining"
        assert message.body == (
            "Hello Asha,\n"
            "\n"
            "Thank you for joining CoP-F. One step is left: confirm that this e-mail address"
            " is yours.\n"
            "\n"
            "Confirm your address:\n"
            f"{link}\n"
            "\n"
            "Opening the link confirms your address at once. It works for a few days.\n"
            "\n"
            "If you did not join CoP-F, ignore this e-mail: the account is never used without"
            " this confirmation.\n"
            "\n"
            "-- \n"
            "CoP-F, the Community of Practice for Facilitators"
        )

    def test_has_an_html_part_with_a_big_confirm_button(self):
        join(Client())

        [message] = mail.outbox
        link = confirmation_link(message)
        html = html_part(message)
        assert html.startswith("<!doctype html>")
        assert '<meta name="color-scheme" content="light dark">' in html
        assertInHTML(
            f'<a href="{link}" style="display:inline-block;padding:14px 28px;'
            "border-radius:6px;font-family:system-ui,-apple-system,'Segoe UI',Roboto,"
            "Helvetica,Arial,sans-serif;font-size:18px;font-weight:700;line-height:1.2;"
            'color:#ffffff;text-decoration:none;">Confirm your address</a>',
            html,
        )
        assertInHTML(f'<a href="{link}" style="word-break:break-all;">{link}</a>', html)
        assertInHTML('<p style="margin:0 0 16px 0;">Hello Asha,</p>', html)

    def test_the_html_part_is_styled_inline_only(self):
        join(Client())

        html = html_part(mail.outbox[0])
        assert "<style" not in html
        assert "<link" not in html
        assert "class=" not in html

    def test_says_nothing_of_the_stock_greeting_or_host(self):
        join(Client())

        [message] = mail.outbox
        assert STOCK_WORDS.findall(message.subject + message.body + html_part(message)) == []

    def test_one_get_of_the_link_confirms_and_logs_in_the_browser_that_joined(self):
        client = Client()
        join(client)

        response = client.get(confirmation_link(mail.outbox[0]))

        assert (response.status_code, response["Location"]) == (302, "/me/")
        address = EmailAddress.objects.get(email="asha@example.org")
        assert address.verified is True
        assert client.session["_auth_user_id"] == str(address.user_id)

    def test_one_get_of_the_link_confirms_from_another_browser_too(self):
        join(Client())
        other_browser = Client()

        response = other_browser.get(confirmation_link(mail.outbox[0]))

        assert response.status_code == 302
        assert EmailAddress.objects.get(email="asha@example.org").verified is True
        assert "_auth_user_id" not in other_browser.session

    def test_a_second_get_of_the_link_changes_nothing_and_says_it_no_longer_works(self):
        client = Client()
        join(client)
        link = confirmation_link(mail.outbox[0])
        client.get(link)

        response = Client().get(link)

        assert response.status_code == 200
        assert "This link does not work" in response.content.decode()
        assert EmailAddress.objects.filter(verified=True).count() == 1

    def test_an_added_address_gets_its_own_subject_and_wording(self):
        user = verified_member(display_name="Asha")
        client = Client()
        client.force_login(user)

        client.post("/accounts/email/", {"email": "new@example.org", "action_add": ""})

        [message] = mail.outbox
        assert message.to == ["new@example.org"]
        assert message.subject == "[CoP-F] Confirm your new e-mail address"
        assert message.body.startswith(
            "Hello Asha,\n\nYou added this address to your CoP-F account. Confirm that it is"
            " yours to start using it.\n\nConfirm your address:\nhttp://testserver/accounts/"
            "confirm-email/"
        )
        assert "Confirm your address</a>" in html_part(message)


class TestThePasswordMail:
    def test_has_our_subject_both_parts_and_the_link(self):
        user = verified_member(display_name="Asha")

        Client().post("/accounts/password/reset/", {"email": user.email})

        [message] = mail.outbox
        [link] = re.findall(r"http://testserver/accounts/password/reset/key/\S+/", message.body)
        assert message.subject == "[CoP-F] Choose a new password"
        assert message.body == (
            "Hello Asha,\n"
            "\n"
            "Someone, probably you, asked to reset the password of your CoP-F account."
            " Choose a new password here:\n"
            f"{link}\n"
            "\n"
            "The link works once, for a few days.\n"
            "\n"
            "If you did not ask, ignore this e-mail: your password stays as it is.\n"
            "\n"
            "-- \n"
            "CoP-F, the Community of Practice for Facilitators"
        )
        assert f'<a href="{link}" style="display:inline-block;' in html_part(message)
        assert STOCK_WORDS.findall(message.body + html_part(message)) == []

    def test_for_an_unknown_address_says_so_and_greets_no_one_by_name(self):
        someone_else = verified_member(display_name="Asha")
        client = Client()
        client.force_login(someone_else)

        client.post("/accounts/password/reset/", {"email": "nobody@example.org"})

        [message] = mail.outbox
        assert message.to == ["nobody@example.org"]
        assert message.subject == "[CoP-F] No account for this address"
        assert message.body == (
            "Hello,\n"
            "\n"
            "Someone, probably you, asked to reset the CoP-F password for nobody@example.org,"
            " but no account uses this address. Did you join with another one?\n"
            "\n"
            "To join with this address:\n"
            "http://testserver/accounts/signup/\n"
            "\n"
            "If you did not ask, ignore this e-mail.\n"
            "\n"
            "-- \n"
            "CoP-F, the Community of Practice for Facilitators"
        )
        assert "Asha" not in html_part(message)


class TestJoiningWithATakenAddress:
    def test_tells_the_owner_in_our_words(self):
        user = verified_member(email="asha@example.org", display_name="Asha")

        join(Client(), display_name="Someone else")

        [message] = mail.outbox
        assert message.to == [user.email]
        assert message.subject == "[CoP-F] You already have an account"
        assert message.body.startswith(
            "Hello,\n\nSomeone, probably you, tried to join CoP-F with asha@example.org,"
            " but an account with this address already exists."
        )
        assert "http://testserver/accounts/password/reset/" in message.body
        assert "Choose a new password</a>" in html_part(message)
        assert STOCK_WORDS.findall(message.body + html_part(message)) == []
