"""An SMTP server on loopback that keeps what it is sent, for end-to-end tests and the bench.

It speaks real SMTP (aiosmtpd in its own thread), so Django's SMTP backend talks to it
exactly as to a mail relay. It can be told to refuse the next messages with a reply such
as "421 ..." (try later) or "550 ..." (never), to refuse one recipient address (550 to
RCPT TO), or to refuse every log-in (535), to exercise retries, permanent failures and a
misconfigured server. It offers PIPELINING unless made with `pipelining=False`.
"""

import email
import email.policy
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    at: float  # seconds since the epoch

    def parse(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


class SinkHandler:
    def __init__(self, *, keep_messages: bool = True, pipelining: bool = True) -> None:
        self.lock = threading.Lock()
        self.keep_messages = keep_messages
        self.pipelining = pipelining
        self.messages: list[Received] = []
        self.arrivals: list[float] = []
        self.attempts = 0
        self.replies: deque[str] = deque()
        self.refused_recipients: dict[str, str] = {}
        self.refuse_logins = False
        self.logins = 0

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        with self.lock:
            self.logins += 1
            return AuthResult(success=not self.refuse_logins, handled=False)

    async def handle_EHLO(self, server, session, envelope, hostname, responses) -> list[str]:
        # aiosmtpd reads each command from a buffered stream, so commands sent together are
        # answered in order: it can offer PIPELINING (RFC 2920) as Postfix and Exim do.
        session.host_name = hostname
        if not self.pipelining:
            return responses
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        with self.lock:
            refusal = self.refused_recipients.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.attempts += 1
            if self.replies:
                return self.replies.popleft()
            now = time.time()
            self.arrivals.append(now)
            if self.keep_messages:
                self.messages.append(
                    Received(
                        mail_from=envelope.mail_from,
                        rcpt_tos=list(envelope.rcpt_tos),
                        data=bytes(envelope.original_content or envelope.content),
                        at=now,
                    )
                )
        return "250 2.0.0 Message accepted for delivery"


class SmtpSink:
    """Start with `with SmtpSink() as sink:`; `sink.port` is where it listens."""

    def __init__(self, *, keep_messages: bool = True, pipelining: bool = True) -> None:
        self.handler = SinkHandler(keep_messages=keep_messages, pipelining=pipelining)
        self.port = free_port()
        # Log-in is offered over plain text on loopback, and only checked when a client
        # logs in (EMAIL_HOST_USER set), so tests without a user are unaffected.
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            ready_timeout=10,
            authenticator=self.handler.authenticate,
            auth_require_tls=False,
        )

    def __enter__(self) -> "SmtpSink":
        self.controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    @property
    def count(self) -> int:
        """Messages accepted (not counting refused ones)."""
        with self.handler.lock:
            return len(self.handler.arrivals)

    @property
    def arrivals(self) -> list[float]:
        """When each accepted message arrived (seconds since the epoch)."""
        with self.handler.lock:
            return list(self.handler.arrivals)

    @property
    def attempts(self) -> int:
        """Messages offered, accepted or refused."""
        with self.handler.lock:
            return self.handler.attempts

    def refuse_next(self, reply: str, *, times: int = 1) -> None:
        """Answer the next `times` messages with `reply`, e.g. "421 4.3.2 Try again later"."""
        with self.handler.lock:
            self.handler.replies.extend([reply] * times)

    def refuse_recipient(self, address: str, reply: str = "550 5.1.1 No such user") -> None:
        """Answer RCPT TO for `address` with `reply` from now on."""
        with self.handler.lock:
            self.handler.refused_recipients[address.lower()] = reply

    def refuse_logins(self, refuse: bool = True) -> None:
        """Answer every AUTH with 535 (bad credentials) from now on, or stop doing so."""
        with self.handler.lock:
            self.handler.refuse_logins = refuse

    def reset(self) -> None:
        with self.handler.lock:
            self.handler.messages.clear()
            self.handler.replies.clear()
            self.handler.refused_recipients.clear()
            self.handler.refuse_logins = False
            self.handler.arrivals.clear()
            self.handler.attempts = 0
