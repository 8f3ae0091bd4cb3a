"""The request guard at the edge (unreadable requests, proxies, promised headers), private
pages, and the viewer's time zone."""

import logging

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client

from copf.middleware import (
    TZ_VISIT_COOKIE,
    remember_visit_zone,
    resolve_viewer_timezone,
)
from members.models import User
from tests.factories import UserFactory

PASSWORD = "a long pass phrase"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_rate_limits():
    cache.clear()
    yield
    cache.clear()


def browser(**defaults: str) -> Client:
    """A client that checks CSRF as a browser's requests are checked, and answers with the
    response a browser would see instead of raising."""
    return Client(enforce_csrf_checks=True, raise_request_exception=False, **defaults)


def verified_member(**fields: object) -> User:
    user = UserFactory(**fields)
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def csrf_token(client: Client, path: str = "/accounts/login/") -> str:
    client.get(path)
    return client.cookies["csrftoken"].value


def signed_in_browser(**fields: object) -> tuple[User, Client, str]:
    """A verified member signed in with a browser that holds its CSRF token."""
    member = verified_member(**fields)
    client = browser()
    client.force_login(member)
    return member, client, csrf_token(client, "/me/")


def assert_promised_headers(response) -> None:
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def problems(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.WARNING]


class TestAFormInAnotherCharset:
    @pytest.mark.parametrize("charset", ["latin-1", "utf-16", "ascii", "iso-8859-15"])
    def test_is_a_400_with_our_page_and_headers_one_log_line_and_no_change(self, charset, caplog):
        member, client, token = signed_in_browser(display_name="Ana")

        response = client.post(
            "/me/",
            data=f"display_name=Changed&timezone=UTC&csrfmiddlewaretoken={token}",
            content_type=f"application/x-www-form-urlencoded; charset={charset}",
            headers={"X-CSRFToken": token},
        )

        member.refresh_from_db()
        assert response.status_code == 400
        assert b"We could not read that request" in response.content
        assert_promised_headers(response)
        assert member.display_name == "Ana"
        [line] = problems(caplog)
        assert line.exc_info is None
        assert line.getMessage() == f"Refused POST /me/: a form in '{charset}', not UTF-8"

    def test_is_refused_before_log_in_too(self):
        client = browser()
        token = csrf_token(client)

        response = client.post(
            "/accounts/login/",
            data=f"login=a%40example.org&password=x&csrfmiddlewaretoken={token}",
            content_type="application/x-www-form-urlencoded; charset=latin-1",
        )

        assert response.status_code == 400
        assert_promised_headers(response)

    def test_a_secret_in_the_path_stays_out_of_the_log_line(self, caplog):
        browser().post(
            "/unsubscribe/a-secret-token/",
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded; charset=utf-16",
        )

        [line] = problems(caplog)
        assert "a-secret-token" not in line.getMessage()
        assert "/unsubscribe/REDACTED/" in line.getMessage()

    def test_utf_8_under_another_spelling_is_read(self):
        member, client, token = signed_in_browser(display_name="Ana")

        response = client.post(
            "/me/",
            data=f"display_name=Jo%C3%A3o&timezone=UTC&csrfmiddlewaretoken={token}",
            content_type="application/x-www-form-urlencoded; charset=UTF8",
        )

        member.refresh_from_db()
        assert response.status_code == 302
        assert member.display_name == "João"


class TestBodiesDjangoCannotRead:
    def test_a_multipart_form_without_a_boundary_is_a_400(self, caplog):
        client = browser()
        token = csrf_token(client)

        response = client.post(
            "/accounts/login/",
            data=b"login=x",
            content_type="multipart/form-data",
            headers={"X-CSRFToken": token},
        )

        assert response.status_code == 400
        assert len(problems(caplog)) == 1

    def test_more_fields_than_django_reads_is_a_400(self, settings):
        settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
        client = browser()
        token = csrf_token(client)

        response = client.post(
            "/accounts/login/",
            data="&".join(f"f{n}=1" for n in range(20)) + f"&csrfmiddlewaretoken={token}",
            content_type="application/x-www-form-urlencoded",
        )

        assert response.status_code == 400
        assert_promised_headers(response)

    def test_a_body_over_the_size_limit_is_a_400(self, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
        client = browser()
        token = csrf_token(client)

        response = client.post(
            "/accounts/login/",
            data="login=" + "x" * 200 + f"&csrfmiddlewaretoken={token}",
            content_type="application/x-www-form-urlencoded",
        )

        assert response.status_code == 400


class TestAHostWeDoNotServe:
    def test_gets_our_400_page_with_the_promised_headers(self, caplog):
        response = browser().get("/", headers={"Host": "evil.example"})

        assert response.status_code == 400
        assert b"We could not read that request" in response.content
        assert_promised_headers(response)
        assert len(problems(caplog)) == 1

    def test_does_so_with_the_https_redirect_on(self, settings):
        settings.SECURE_SSL_REDIRECT = True

        response = browser().post("/accounts/login/", headers={"Host": "evil.example"})

        assert response.status_code == 400
        assert_promised_headers(response)


class TestPromisedHeaders:
    def test_static_files_carry_them(self):
        response = browser().get("/static/css/site.css")

        assert response.status_code == 200
        assert_promised_headers(response)

    def test_an_answer_that_sets_its_own_keeps_them(self):
        response = browser().get("/calendar.ics")

        assert response["X-Frame-Options"] == "DENY"
        assert response.has_header("Content-Security-Policy")


class TestBehindTrustedProxies:
    def attempt(self, client: Client, *, email: str, password: str, client_ip: str):
        return client.post(
            "/accounts/login/",
            {"login": email, "password": password},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=client_ip,
        )

    def test_one_clients_failures_do_not_lock_out_another(self, settings):
        settings.TRUSTED_PROXY_COUNT = 1
        member = verified_member()
        client = Client()
        for n in range(11):
            self.attempt(
                client, email=f"guess{n}@example.org", password="x", client_ip="203.0.113.5"
            )

        refused = self.attempt(
            client, email=member.email, password=PASSWORD, client_ip="203.0.113.5"
        )
        welcomed = self.attempt(
            Client(), email=member.email, password=PASSWORD, client_ip="198.51.100.7"
        )

        assert b"Too many failed login attempts" in refused.content
        assert welcomed.status_code == 302

    def test_without_proxies_configured_the_header_is_the_clients_word_and_ignored(self, settings):
        settings.TRUSTED_PROXY_COUNT = 0
        member = verified_member()
        client = Client()
        for n in range(11):
            self.attempt(
                client, email=f"guess{n}@example.org", password="x", client_ip=f"203.0.113.{n}"
            )

        response = self.attempt(
            Client(), email=member.email, password=PASSWORD, client_ip="198.51.100.7"
        )

        assert b"Too many failed login attempts" in response.content


class TestPrivatePages:
    @pytest.mark.parametrize(
        "path", ["/me/", "/accounts/email/", "/accounts/password/change/", "/me/data.json"]
    )
    def test_a_members_pages_are_private_and_not_stored(self, client, path):
        client.force_login(verified_member())

        response = client.get(path)

        assert response.status_code == 200
        directives = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives

    def test_a_page_with_a_form_bound_to_this_browser_is_not_stored(self, client):
        response = client.get("/accounts/login/")

        assert "no-store" in response["Cache-Control"]

    def test_a_feed_keeps_its_own_caching(self, client):
        client.force_login(verified_member())

        response = client.get("/calendar.ics")

        assert "no-store" not in response["Cache-Control"]


class TestANulCharacter:
    @pytest.mark.parametrize(
        "path",
        ["/?tz=Europe/Berlin%00", "/admin/meetings/meeting/?status=%00", "/?a%00=1"],
    )
    def test_in_the_query_string_is_a_400(self, client, staff, path):
        client.force_login(staff)

        response = client.get(path)

        assert response.status_code == 400
        assert_promised_headers(response)

    def test_in_a_form_is_a_400_and_changes_nothing(self):
        member, client, token = signed_in_browser(display_name="Ana")

        response = client.post(
            "/me/",
            {"display_name": "A\x00na", "timezone": "UTC", "csrfmiddlewaretoken": token},
        )

        member.refresh_from_db()
        assert response.status_code == 400
        assert member.display_name == "Ana"


class TestTheViewersZone:
    """Visit, else profile, else ?tz=, else the browser's cookie, else UTC."""

    def resolve(self, **values: str | None):
        viewer = resolve_viewer_timezone(
            profile_zone=values.get("profile"),
            query_value=values.get("query"),
            cookie_value=values.get("cookie"),
            visit_value=values.get("visit"),
        )
        return viewer.name, viewer.source, viewer.rejected

    def test_a_zone_chosen_for_this_visit_wins_over_the_profile(self):
        assert self.resolve(
            visit="Asia/Tokyo", profile="Europe/Lisbon", query="Asia/Kolkata", cookie="UTC"
        ) == ("Asia/Tokyo", "visit", "")

    def test_a_visit_in_the_profiles_own_zone_is_the_profile(self):
        assert self.resolve(visit="Europe/Lisbon", profile="Europe/Lisbon") == (
            "Europe/Lisbon",
            "profile",
            "",
        )

    def test_a_visit_under_a_legacy_name_is_shown_under_the_current_one(self):
        assert self.resolve(visit="Europe/Kiev", profile="Europe/Lisbon") == (
            "Europe/Kyiv",
            "visit",
            "",
        )

    def test_a_visit_counts_only_next_to_a_profile(self):
        assert self.resolve(visit="Asia/Tokyo", cookie="Asia/Kolkata") == (
            "Asia/Kolkata",
            "cookie",
            "",
        )

    def test_an_unknown_visit_zone_falls_back_to_the_profile_silently(self):
        assert self.resolve(visit="Mars/Base", profile="Europe/Lisbon") == (
            "Europe/Lisbon",
            "profile",
            "",
        )

    def test_a_shared_link_with_a_zone_does_not_override_the_profile(self):
        assert self.resolve(profile="Europe/Lisbon", query="Asia/Tokyo") == (
            "Europe/Lisbon",
            "profile",
            "",
        )

    def test_without_a_profile_the_query_wins_over_the_cookie(self):
        assert self.resolve(query="Asia/Tokyo", cookie="Asia/Kolkata") == (
            "Asia/Tokyo",
            "query",
            "",
        )


class TestTheVisitCookie:
    def visit_cookie_for(self, user_id: int, zone: str) -> str:
        response = HttpResponse()
        remember_visit_zone(response, user_id=user_id, name=zone)
        return response.cookies[TZ_VISIT_COOKIE].value

    def test_shows_the_members_pages_in_that_zone(self):
        member, client, _ = signed_in_browser(timezone="Europe/Lisbon")
        client.cookies[TZ_VISIT_COOKIE] = self.visit_cookie_for(member.pk, "Asia/Tokyo")

        response = client.get("/")

        assert (response.context["viewer_tz"].name, response.context["viewer_tz"].source) == (
            "Asia/Tokyo",
            "visit",
        )

    def test_is_ignored_for_another_member_on_the_same_browser(self):
        other = verified_member(timezone="America/New_York")
        _, client, _ = signed_in_browser(timezone="Europe/Lisbon")
        client.cookies[TZ_VISIT_COOKIE] = self.visit_cookie_for(other.pk, "Asia/Tokyo")

        response = client.get("/")

        assert (response.context["viewer_tz"].name, response.context["viewer_tz"].source) == (
            "Europe/Lisbon",
            "profile",
        )

    def test_is_ignored_when_its_signature_is_not_ours(self):
        _, client, _ = signed_in_browser(timezone="Europe/Lisbon")
        client.cookies[TZ_VISIT_COOKIE] = "Asia/Tokyo"

        response = client.get("/")

        assert response.context["viewer_tz"].source == "profile"

    def test_is_ignored_once_the_member_has_logged_out(self, client):
        member = verified_member(timezone="Europe/Lisbon")
        client.cookies[TZ_VISIT_COOKIE] = self.visit_cookie_for(member.pk, "Asia/Tokyo")

        response = client.get("/")

        assert response.context["viewer_tz"].source == "default"

    def test_lasts_for_the_browser_session_only_and_stays_out_of_scripts(self):
        response = HttpResponse()

        remember_visit_zone(response, user_id=7, name="Asia/Tokyo")

        cookie = response.cookies[TZ_VISIT_COOKIE]
        assert (cookie["max-age"], cookie["expires"]) == ("", "")
        assert (cookie["httponly"], cookie["samesite"]) == (True, "Lax")
