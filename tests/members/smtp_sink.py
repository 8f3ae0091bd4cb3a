"""An SMTP server on loopback that keeps what it is sent, for end-to-end tests and the bench.

It speaks real SMTP (aiosmtpd in its own thread), so Django's SMTP backend talks to it
exactly as to a mail relay. It can be told to refuse the next messages with a reply such
as "421 ..." (try later) or "550 ..." (never), to exercise retries and permanent failures.
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
    def __init__(self, *, keep_messages: bool = True) -> None:
        self.lock = threading.Lock()
        self.keep_messages = keep_messages
        self.messages: list[Received] = []
        self.arrivals: list[float] = []
        self.attempts = 0
        self.replies: deque[str] = deque()

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

    def __init__(self, *, keep_messages: bool = True) -> None:
        self.handler = SinkHandler(keep_messages=keep_messages)
        self.port = free_port()
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10
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

    def reset(self) -> None:
        with self.handler.lock:
            self.handler.messages.clear()
            self.handler.replies.clear()
            self.handler.arrivals.clear()
            self.handler.attempts = 0
