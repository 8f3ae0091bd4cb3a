import smtplib

import pytest
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from copf.lib import smtp


class CountingBackend(BaseEmailBackend):
    """Counts connections opened; can be told to drop the next send like an idle server."""

    opened = 0
    sent: list[str] = []
    drop_next = False

    def open(self) -> bool:
        CountingBackend.opened += 1
        return True

    def send_messages(self, messages) -> int:
        if CountingBackend.drop_next:
            CountingBackend.drop_next = False
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        CountingBackend.sent.extend(message.subject for message in messages)
        return len(messages)


@pytest.fixture(autouse=True)
def counting_backend(settings):
    settings.EMAIL_BACKEND = "tests.copf.test_smtp.CountingBackend"
    CountingBackend.opened, CountingBackend.sent, CountingBackend.drop_next = 0, [], False
    smtp.close()
    yield CountingBackend
    smtp.close()


def message(subject: str) -> EmailMessage:
    return EmailMessage(subject=subject, body="", to=["a@example.org"])


def test_sends_many_messages_over_one_connection():
    for n in range(3):
        smtp.send(message(f"m{n}"))

    assert (CountingBackend.opened, CountingBackend.sent) == (1, ["m0", "m1", "m2"])


def test_opens_a_new_connection_once_when_the_server_dropped_the_old_one():
    smtp.send(message("first"))
    CountingBackend.drop_next = True

    smtp.send(message("second"))

    assert (CountingBackend.opened, CountingBackend.sent) == (2, ["first", "second"])


def test_opens_a_new_connection_when_the_mail_settings_change(settings):
    smtp.send(message("first"))
    settings.EMAIL_PORT = 2525

    smtp.send(message("second"))

    assert CountingBackend.opened == 2
