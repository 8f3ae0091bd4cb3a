import logging

import pytest

from copf.lib.redact import RedactSecretsFilter, redact

FEED_TOKEN = "Zm9vYmFyYmF6cXV4LXNlY3JldC1mZWVkLXRva2VuXzEyMw"
SIGNED = "eyJ1IjoxLCJtIjoyLCJyIjoieWVzIn0:1tQx7Z:Hx0cS1gnatur3_abc-def"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"/feeds/{FEED_TOKEN}.ics", "/feeds/REDACTED.ics"),
        (f"/feeds/{FEED_TOKEN}.ics?v=2", "/feeds/REDACTED.ics?v=2"),
        (f"/feeds/{FEED_TOKEN}", "/feeds/REDACTED"),
        (f"GET /feeds/{FEED_TOKEN}.ics HTTP/1.1", "GET /feeds/REDACTED.ics HTTP/1.1"),
        (f"https://copf.example/feeds/{FEED_TOKEN}.ics", "https://copf.example/feeds/REDACTED.ics"),
        (f"/rsvp/{SIGNED}/", "/rsvp/REDACTED/"),
        (f"/rsvp/.{SIGNED}/", "/rsvp/REDACTED/"),
        (
            f"http://127.0.0.1:8000/unsubscribe/{SIGNED}/",
            "http://127.0.0.1:8000/unsubscribe/REDACTED/",
        ),
        (f"Not Found: /unsubscribe/{SIGNED}/", "Not Found: /unsubscribe/REDACTED/"),
        ("/accounts/confirm-email/MQ:1tQx7Z:a1b2c3/", "/accounts/confirm-email/REDACTED/"),
        (
            "/accounts/password/reset/key/1z-cs2x1a-9f8e7d6c5b4a/",
            "/accounts/password/reset/key/1z-REDACTED/",
        ),
    ],
)
def test_the_secret_of_a_link_is_replaced_and_the_rest_kept(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "GET /calendar.ics HTTP/1.1",
        "/series/cop-f-east/calendar.ics",
        "/meetings/12/calendar.ics",
        "/meetings/12/rsvp/",
        "/me/feed/rotate/",
        "/accounts/password/reset/key/1z-set-password/",
        "/accounts/confirm-email/",
        "-",
        "",
    ],
)
def test_paths_without_a_secret_are_left_alone(text):
    assert redact(text) == text


def test_every_secret_in_a_line_is_replaced():
    line = f'"GET /feeds/{FEED_TOKEN}.ics HTTP/1.1" 200 "https://h/rsvp/{SIGNED}/"'

    assert redact(line) == '"GET /feeds/REDACTED.ics HTTP/1.1" 200 "https://h/rsvp/REDACTED/"'


def test_the_filter_redacts_the_formatted_message_and_lets_the_record_through():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (f"/rsvp/{SIGNED}/",), None
    )

    kept = RedactSecretsFilter().filter(record)

    assert kept is True
    assert record.getMessage() == "Not Found: /rsvp/REDACTED/"


def test_the_filter_leaves_a_record_without_secrets_as_it_was():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/nope/",), None
    )

    RedactSecretsFilter().filter(record)

    assert (record.msg, record.args) == ("Not Found: %s", ("/nope/",))


@pytest.mark.django_db
class TestDjangoLoggers:
    def test_a_404_for_an_old_feed_address_is_logged_without_the_token(self, client, caplog):
        with caplog.at_level(logging.WARNING, logger="django.request"):
            response = client.get(f"/feeds/{FEED_TOKEN}.ics")

        assert response.status_code == 404
        messages = [r.getMessage() for r in caplog.records if r.name == "django.request"]
        assert messages == ["Not Found: /feeds/REDACTED.ics"]

    def test_the_development_server_log_is_redacted(self, caplog):
        server_log = logging.getLogger("django.server")
        server_log.addHandler(caplog.handler)  # it does not propagate to the root logger
        try:
            server_log.info('"%s" %s %s', f"GET /unsubscribe/{SIGNED}/ HTTP/1.1", "400", "12")
        finally:
            server_log.removeHandler(caplog.handler)

        assert [r.getMessage() for r in caplog.records] == [
            '"GET /unsubscribe/REDACTED/ HTTP/1.1" 400 12'
        ]
