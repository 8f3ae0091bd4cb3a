"""Send e-mail over one SMTP connection per worker thread, and say what a failure means.

Opening a connection (and its TLS and log-in) for every message costs more than the
message itself; a worker sending a burst of reminders reuses one instead. A connection the
server has dropped while idle is opened again once, at once.

`classify()` tells whose fault a failure is. Only the recipient being refused (a 5xx reply
to RCPT TO, or to DATA for that message) condemns the message. A refused connection, a
failed log-in or a refused sender says the server or our settings are wrong: every message
would fail the same way, so the caller should stop sending, not give up on messages.
"""

import contextlib
import enum
import functools
import logging
import re
import smtplib
import socket
import ssl
import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address

logger = logging.getLogger(__name__)

_local = threading.local()


def send(message: EmailMessage) -> None:
    try:
        _send_once(message)
    except smtplib.SMTPServerDisconnected:
        logger.info("SMTP connection was closed; opening a new one")
        close()
        _send_once(message)
    except Exception:
        # After a refused message the session may be in any state: start afresh next time.
        close()
        raise


def _send_once(message: EmailMessage) -> None:
    connection = getattr(_local, "connection", None)
    if connection is None or getattr(_local, "settings", None) != _mail_settings():
        close()
        connection = get_connection()
        connection.open()
        _local.connection, _local.settings = connection, _mail_settings()
    wire = getattr(message, "wire", None)
    if wire is not None and isinstance(connection, SmtpBackend) and connection.connection:
        # Its bytes were filled in from a message composed once for many (copf.lib.email).
        encoding = message.encoding or settings.DEFAULT_CHARSET
        sendmail = _sendmail_pipelined if _pipelines(connection.connection) else _sendmail
        sendmail(
            connection.connection,
            _sender(message.from_email, encoding),
            [_recipient(address, encoding) for address in message.recipients()],
            wire,
        )
        return
    message.connection = connection
    message.send()


def _sendmail(session: smtplib.SMTP, sender: str, recipients: list[str], wire: bytes) -> None:
    session.sendmail(sender, recipients, wire)


def _pipelines(session: smtplib.SMTP) -> bool:
    session.ehlo_or_helo_if_needed()
    return bool(session.does_esmtp and session.has_extn("pipelining"))


def _sendmail_pipelined(
    session: smtplib.SMTP, sender: str, recipients: list[str], wire: bytes
) -> None:
    """`smtplib.SMTP.sendmail` in two round trips instead of three and one per recipient:
    MAIL, RCPT and DATA go out together and their replies are read together (RFC 2920),
    for a server that offers PIPELINING. It raises what `sendmail` raises for the same
    replies, so `classify` judges both alike."""
    size = f" SIZE={len(wire)}" if session.has_extn("size") else ""
    commands = [
        f"MAIL FROM:{smtplib.quoteaddr(sender)}{size}",
        *(f"RCPT TO:{smtplib.quoteaddr(to)}" for to in recipients),
        "DATA",
    ]
    session.send("".join(f"{command}\r\n" for command in commands))
    mail = _reply(session)
    if mail[0] == 421:
        raise smtplib.SMTPSenderRefused(*mail, sender)
    refused = {}
    for to in recipients:
        code, reply = _reply(session)
        if code not in (250, 251):
            refused[to] = (code, reply)
        if code == 421:
            raise smtplib.SMTPRecipientsRefused(refused)
    code, reply = _reply(session)
    if code == 354 and (mail[0] != 250 or len(refused) == len(recipients)):
        # A server that takes DATA after refusing the sender or every recipient gets an
        # empty message, which it must refuse.
        session.send(b".\r\n")
        code, reply = _reply(session)
    elif code == 354:
        session.send(_data_block(wire))
        code, reply = _reply(session)
    if code != 250:
        _reset(session)
    if mail[0] != 250:
        raise smtplib.SMTPSenderRefused(*mail, sender)
    if len(refused) == len(recipients):
        raise smtplib.SMTPRecipientsRefused(refused)
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


def _reply(session: smtplib.SMTP) -> tuple[int, bytes]:
    """The next reply; after a 421 the server hangs up, and so do we (as `sendmail`)."""
    code, reply = session.getreply()
    if code == 421:
        session.close()
    return code, reply


def _reset(session: smtplib.SMTP) -> None:
    if session.sock is None:
        return
    with contextlib.suppress(smtplib.SMTPServerDisconnected):
        session.rset()


def _data_block(wire: bytes) -> bytes:
    """The message as DATA sends it: leading dots doubled, ended by a line with one dot."""
    block = _LEADING_DOT.sub(b"..", wire)
    if not block.endswith(b"\r\n"):
        block += b"\r\n"
    return block + b".\r\n"


_LEADING_DOT = re.compile(rb"(?m)^\.")


# A bare ASCII addr-spec: what `sanitize_address` would return unchanged, after parsing it.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")


def _recipient(address: str, encoding: str) -> str:
    if _PLAIN_ADDRESS.fullmatch(address):
        return address
    return sanitize_address(address, encoding)


@functools.lru_cache(maxsize=16)
def _sender(address: str, encoding: str) -> str:
    """The envelope sender, the same for every message: parsed once."""
    return sanitize_address(address, encoding)


def _mail_settings() -> tuple[object, ...]:
    """A connection is only reused while the mail settings it was opened with hold."""
    return (
        settings.EMAIL_BACKEND,
        settings.EMAIL_HOST,
        settings.EMAIL_PORT,
        settings.EMAIL_HOST_USER,
        settings.EMAIL_HOST_PASSWORD,
        settings.EMAIL_USE_TLS,
        settings.EMAIL_USE_SSL,
    )


def close() -> None:
    connection = getattr(_local, "connection", None)
    _local.connection = None
    if connection is not None:
        try:
            connection.close()
        except Exception:
            logger.debug("Closing a broken SMTP connection failed", exc_info=True)


class Blame(enum.StrEnum):
    RECIPIENT = "recipient"  # this message is refused for good
    TRANSIENT = "transient"  # this message may pass if tried again later
    SERVER = "server"  # the server or our settings are wrong: no message can pass now


@dataclass(frozen=True)
class Failure:
    blame: Blame
    description: str


# Raised before any recipient was named: the session itself is refused.
SERVER_ERRORS = (
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPHeloError,
    smtplib.SMTPConnectError,
    smtplib.SMTPNotSupportedError,
    ConnectionRefusedError,
    socket.gaierror,
    ssl.SSLError,
)


def classify(error: BaseException) -> Failure | None:
    """Whose fault a sending error is, or None when it is no mail error at all."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        details = "; ".join(
            f"{address}: {code} {_text(reply)}"
            for address, (code, reply) in error.recipients.items()
        )
        blame = Blame.TRANSIENT if any(400 <= code < 500 for code in codes) else Blame.RECIPIENT
        return Failure(blame, f"Recipient refused: {details}")
    if isinstance(error, smtplib.SMTPDataError):
        blame = Blame.TRANSIENT if 400 <= error.smtp_code < 500 else Blame.RECIPIENT
        return Failure(blame, f"Message refused: {error.smtp_code} {_text(error.smtp_error)}")
    if isinstance(error, SERVER_ERRORS):
        return Failure(Blame.SERVER, _describe(error))
    if isinstance(error, smtplib.SMTPResponseException):
        # Any other refusal (421 "closing", or a 5xx outside RCPT TO and DATA) concerns the
        # session, not this message: a 4xx may pass, a 5xx will hit every message alike.
        blame = Blame.TRANSIENT if error.smtp_code < 500 else Blame.SERVER
        return Failure(blame, _describe(error))
    if isinstance(error, smtplib.SMTPException | OSError):
        return Failure(Blame.TRANSIENT, _describe(error))
    return None


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return f"SMTP {error.smtp_code}: {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
