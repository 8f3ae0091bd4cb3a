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


# --- the wire path: bytes composed once for many, sent as they are ----------------------


@pytest.fixture
def sink(request, settings):
    from tests.members.smtp_sink import SmtpSink

    with SmtpSink(pipelining=getattr(request, "param", True)) as running:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", running.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        smtp.close()
        yield running
        smtp.close()


def wire_message(to: str, body: str = "Hello") -> EmailMessage:
    message = EmailMessage(subject="s", body="", from_email="CoP-F <copf@example.org>", to=[to])
    message.wire = (
        f"From: CoP-F <copf@example.org>\r\nTo: {to}\r\nSubject: s\r\n\r\n{body}\r\n"
    ).encode()
    return message


class CountingSends:
    """How many times the client wrote to the socket: one write a round trip."""

    def __init__(self, monkeypatch) -> None:
        self.count = 0
        original = smtplib.SMTP.send

        def send(session, data):
            self.count += 1
            return original(session, data)

        monkeypatch.setattr(smtplib.SMTP, "send", send)


def test_a_server_offering_pipelining_takes_a_message_in_two_round_trips(sink, monkeypatch):
    smtp.send(wire_message("first@example.org"))  # opens the session
    writes = CountingSends(monkeypatch)

    smtp.send(wire_message("second@example.org"))

    assert writes.count == 2
    assert [(m.mail_from, m.rcpt_tos) for m in sink.messages][-1] == (
        "copf@example.org",
        ["second@example.org"],
    )


@pytest.mark.parametrize("sink", [False], indirect=True)
def test_a_server_without_pipelining_gets_one_command_at_a_time(sink, monkeypatch):
    smtp.send(wire_message("first@example.org"))
    writes = CountingSends(monkeypatch)

    smtp.send(wire_message("second@example.org"))

    assert writes.count == 4  # MAIL, RCPT, DATA, the message
    assert sink.count == 2


@pytest.mark.parametrize("sink", [True, False], indirect=True)
def test_lines_starting_with_a_dot_arrive_as_written(sink):
    smtp.send(wire_message("a@example.org", body=".\r\n.. two\r\n. one"))

    assert sink.messages[0].data.split(b"\r\n\r\n", 1)[1] == b".\r\n.. two\r\n. one\r\n"


@pytest.mark.parametrize("sink", [True, False], indirect=True)
def test_a_refused_recipient_is_the_recipients_fault_and_the_next_message_still_goes(sink):
    sink.refuse_recipient("gone@example.org")

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        smtp.send(wire_message("gone@example.org"))
    smtp.send(wire_message("here@example.org"))

    assert smtp.classify(refused.value).blame == smtp.Blame.RECIPIENT
    assert [m.rcpt_tos for m in sink.messages] == [["here@example.org"]]


@pytest.mark.parametrize("sink", [True, False], indirect=True)
def test_a_message_the_server_defers_may_pass_later_and_the_next_one_goes(sink):
    sink.refuse_next("451 4.3.0 Try again later")

    with pytest.raises(smtplib.SMTPDataError) as deferred:
        smtp.send(wire_message("a@example.org"))
    smtp.send(wire_message("b@example.org"))

    assert smtp.classify(deferred.value).blame == smtp.Blame.TRANSIENT
    assert [m.rcpt_tos for m in sink.messages] == [["b@example.org"]]


@pytest.mark.parametrize("sink", [True, False], indirect=True)
def test_a_server_closing_the_session_gets_a_new_one_for_the_next_message(sink):
    sink.refuse_next("421 4.3.2 Shutting down")

    with pytest.raises(smtplib.SMTPDataError) as closing:
        smtp.send(wire_message("a@example.org"))
    smtp.send(wire_message("b@example.org"))

    assert smtp.classify(closing.value).blame == smtp.Blame.TRANSIENT
    assert [m.rcpt_tos for m in sink.messages] == [["b@example.org"]]
