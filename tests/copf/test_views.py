"""The site's error pages (400, 403 and its CSRF failure, 404, 429, 500): our design and
words, a way home, and the security headers every response carries."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.template.loader import get_template
from django.test import Client

from copf.middleware import baseline_headers
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOME_BUTTON = re.compile(r'<a class="button( secondary)?" href="/">Go to the upcoming sessions</a>')


@pytest.fixture(autouse=True)
def empty_rate_limits():
    cache.clear()
    yield
    cache.clear()


def browser() -> Client:
    """A client that answers with the page a browser would see instead of raising."""
    return Client(raise_request_exception=False)


def heading_of(html: str) -> str:
    [h1] = re.findall(r'<h1 id="error-heading">(.*?)</h1>', html, flags=re.S)
    return h1


def status_line_of(html: str) -> str:
    [line] = re.findall(r'<p class="error-code">(.*?)</p>', html, flags=re.S)
    return line


def assert_security_headers(response) -> None:
    for header, value in baseline_headers().items():
        assert response[header] == value, header
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def assert_our_error_page(response, *, status: int, line: str, heading: str) -> str:
    html = response.content.decode()
    assert response.status_code == status
    assert status_line_of(html) == line
    assert heading_of(html) == heading
    assert html.count('<section class="error-page" aria-labelledby="error-heading">') == 1
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert 'href="/static/css/site.css"' in html
    assert len(HOME_BUTTON.findall(html)) == 1
    assert "<style" not in html
    assert_security_headers(response)
    return html


class TestBadRequest:
    def test_an_unreadable_request_gets_our_400_page(self):
        response = browser().get("/", {"tz": "Asia/Kolkata\x00"})

        html = assert_our_error_page(
            response,
            status=400,
            line="Error 400 · Bad request",
            heading="We could not read that request",
        )
        assert "Nothing was changed." in html

    @pytest.mark.urls("tests.copf.error_urls")
    def test_a_view_that_refuses_the_request_gets_our_400_page_without_a_request(self):
        response = browser().get("/fail/400/")

        assert_our_error_page(
            response,
            status=400,
            line="Error 400 · Bad request",
            heading="We could not read that request",
        )


class TestPermissionDenied:
    @pytest.mark.urls("tests.copf.error_urls")
    def test_a_visitor_is_offered_to_log_in_and_come_back(self):
        response = browser().get("/fail/403/")

        html = assert_our_error_page(
            response,
            status=403,
            line="Error 403 · Not allowed",
            heading="This page is not open to you",
        )
        assert (
            '<a class="button" href="/accounts/login/?next=/fail/403/">Log in</a> '
            '<a class="button secondary" href="/">Go to the upcoming sessions</a>'
        ) in html

    @pytest.mark.urls("tests.copf.error_urls")
    def test_a_member_is_told_who_they_are_logged_in_as(self):
        client = browser()
        client.force_login(UserFactory(display_name="Asha"))

        response = client.get("/fail/403/")

        html = assert_our_error_page(
            response,
            status=403,
            line="Error 403 · Not allowed",
            heading="This page is not open to you",
        )
        assert (
            "You are logged in as Asha, and this account may not open this page. "
            "Some pages are only for the organizers."
        ) in html
        assert "/accounts/login/" not in html.split('<main id="main">')[1]


class TestCsrfFailure:
    def test_a_form_without_its_csrf_token_gets_our_own_403_page(self):
        client = Client(enforce_csrf_checks=True)
        client.get("/accounts/login/")

        response = client.post("/accounts/login/", {"login": "a@example.org", "password": "x"})

        html = assert_our_error_page(
            response,
            status=403,
            line="Error 403 · Form not accepted",
            heading="We could not accept that form",
        )
        assert "The form was open for too long" in html

    def test_a_browser_that_sent_no_cookie_is_told_to_allow_cookies(self):
        response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"login": "a"})

        assert response.status_code == 403
        assert "Allow cookies for this site" in response.content.decode()


class TestNotFound:
    def test_an_unknown_address_gets_our_404_page(self):
        response = browser().get("/no-such-page/")

        html = assert_our_error_page(
            response,
            status=404,
            line="Error 404 · Not found",
            heading="We cannot find that page",
        )
        assert "<title>Page not found · CoP-F</title>" in html


class TestTooManyRequests:
    def test_asking_for_too_many_password_links_gets_our_429_page(self):
        user = UserFactory()
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        for _ in range(3):
            browser().post("/accounts/password/reset/", {"email": user.email})

        response = browser().post("/accounts/password/reset/", {"email": user.email})

        html = assert_our_error_page(
            response,
            status=429,
            line="Error 429 · Too many requests",
            heading="Too many tries in a short time",
        )
        assert "Wait a few minutes, then try again." in html


class TestServerError:
    @pytest.mark.urls("tests.copf.error_urls")
    def test_a_failing_view_gets_our_500_page(self):
        response = browser().get("/fail/500/")

        html = assert_our_error_page(
            response,
            status=500,
            line="Error 500 · Server error",
            heading="Something went wrong on our side",
        )
        assert '<a class="brand" href="/">' in html

    def test_the_500_page_renders_from_an_empty_context_without_the_database(
        self, django_assert_num_queries
    ):
        with django_assert_num_queries(0):
            html = get_template("500.html").render()

        assert heading_of(html) == "Something went wrong on our side"
        assert "{%" not in html
        assert "{{" not in html

    def test_the_500_page_extends_nothing_and_reverses_no_url(self):
        source = get_template("500.html").template.source

        assert "{% extends" not in source
        assert "{% url" not in source
        assert "{% static" not in source
