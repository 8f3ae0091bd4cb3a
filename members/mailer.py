"""Send e-mail over one SMTP connection per worker thread, kept open between messages.

Opening a connection (and its TLS and log-in) for every message costs more than the
message itself; a worker sending a burst of reminders reuses one instead. A connection the
server has dropped while idle is opened again once, at once.
"""

import logging
import smtplib
import threading

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

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
    message.connection = connection
    message.send()


def _mail_settings() -> tuple[object, ...]:
    """A connection is only reused while the mail settings it was opened with hold."""
    return (settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT)


def close() -> None:
    connection = getattr(_local, "connection", None)
    _local.connection = None
    if connection is not None:
        try:
            connection.close()
        except Exception:
            logger.debug("Closing a broken SMTP connection failed", exc_info=True)
