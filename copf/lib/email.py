"""One helper renders every e-mail from a template triplet.

`templates/emails/<name>-subject.txt`, `<name>-body.txt` and `<name>-body.html`, rendered
with the same context; the subject is one line.

A sender with one message for many recipients renders it once with blanks (`blank()`) where
each recipient's own values go, and fills them in per recipient: as text (`fill_parts`), and
into the bytes on the wire (`WireTemplate`), which spares composing the MIME each time.
"""

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from email.utils import formatdate

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import RFC5322_EMAIL_LINE_LENGTH_LIMIT
from django.template.loader import render_to_string
from django.utils.html import escape


@dataclass(frozen=True)
class EmailParts:
    subject: str
    text: str
    html: str


def render_email_parts(name: str, context: Mapping[str, object]) -> EmailParts:
    return EmailParts(
        subject=" ".join(render_to_string(f"emails/{name}-subject.txt", context).split()),
        text=render_to_string(f"emails/{name}-body.txt", context),
        html=render_to_string(f"emails/{name}-body.html", context),
    )


class FilledEmail(EmailMultiAlternatives):
    """An e-mail with, when it could be made, its bytes on the wire already filled in from
    a `WireTemplate`; `copf.lib.smtp` sends those as they are."""

    wire: bytes | None = None


def compose_email(
    parts: EmailParts, *, to: str, headers: Mapping[str, str] | None = None
) -> FilledEmail:
    message = FilledEmail(
        subject=parts.subject,
        body=parts.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=dict(headers or {}),
    )
    message.attach_alternative(parts.html, "text/html")
    return message


# --- blanks ------------------------------------------------------------------------------

# Letters and digits only, so escaping and header encoding leave a blank as it is, and
# unguessable, so no user text can hold one.
_NONCE = f"copf{secrets.token_hex(8)}"
_BLANK = re.compile(rf"{_NONCE}([th])([a-z_]+)x")
_WIRE_BLANK = re.compile(_BLANK.pattern.encode())
# The values every wire message has of its own, besides the caller's.
TO, DATE, MESSAGE_ID = "to", "date", "message_id"


def blank(field: str) -> str:
    """Where a recipient's `field` goes, in a message rendered once for many."""
    if not re.fullmatch(r"[a-z_]+", field):
        raise ValueError(f"A blank's name is lower-case letters and underscores: {field!r}")
    return f"{_NONCE}t{field}x"


def _as_html(text: str) -> str:
    """The blanks of an HTML part are marked to be filled in escaped."""
    return text.replace(f"{_NONCE}t", f"{_NONCE}h")


def fill_parts(parts: EmailParts, values: Mapping[str, str]) -> EmailParts:
    """The message with each blank replaced by its value (escaped in the HTML part)."""

    def filled(match: re.Match[str]) -> str:
        value = values[match[2]]
        return escape(value) if match[1] == "h" else value

    return EmailParts(
        subject=_BLANK.sub(filled, parts.subject),
        text=_BLANK.sub(filled, parts.text),
        html=_BLANK.sub(filled, _as_html(parts.html)),
    )


@dataclass(frozen=True)
class WireTemplate:
    """A message's bytes on the wire with blanks, composed once by Django and filled in
    per recipient. `of()` gives None where the blanks do not stand as they are in the
    bytes (a part encoded as quoted-printable, a blank in an encoded header)."""

    data: bytes
    # The longest line holding a blank, and the most blanks on one line: filled in, a line
    # must stay within SMTP's limit.
    longest: int
    most: int

    @classmethod
    def of(cls, parts: EmailParts, *, headers: Mapping[str, str]) -> "WireTemplate | None":
        headers = {**headers, "To": blank(TO), "Date": blank(DATE), "Message-ID": blank(MESSAGE_ID)}
        parts = replace(parts, html=_as_html(parts.html))
        message = compose_email(parts, to="blank@invalid", headers=headers).message()
        for part in message.walk():
            encoding = part.get("Content-Transfer-Encoding")
            if encoding not in {None, "7bit", "8bit"}:
                return None
            # A part that is ASCII with blanks need not be once they are filled in.
            if encoding == "7bit":
                part.replace_header("Content-Transfer-Encoding", "8bit")
        data = message.as_bytes(linesep="\r\n")
        expected = sum(
            len(_BLANK.findall(text))
            for text in [parts.subject, parts.text, parts.html, *headers.values()]
        )
        if len(_WIRE_BLANK.findall(data)) != expected:
            return None
        lines = [line for line in data.split(b"\r\n") if _WIRE_BLANK.search(line)]
        return cls(
            data=data,
            longest=max(map(len, lines)),
            most=max(len(_WIRE_BLANK.findall(line)) for line in lines),
        )

    def fill(self, values: Mapping[str, str], *, to: str, message_id: str) -> bytes | None:
        """The bytes for one recipient, or None where their values do not fit in as they
        are (a header value that is not plain ASCII, a line that would grow too long)."""
        own = {
            TO: to,
            MESSAGE_ID: message_id,
            DATE: formatdate(localtime=settings.EMAIL_USE_LOCALTIME),
        }
        if not all(value.isascii() and value.isprintable() for value in own.values()):
            return None
        text = {field: value.encode() for field, value in {**values, **own}.items()}
        html = {field: escape(value).encode() for field, value in values.items()}
        html.update((field, text[field]) for field in own)
        if any(b"\r" in value or b"\n" in value for value in text.values()):
            return None
        widest = max(map(len, [*text.values(), *html.values()]))
        if self.longest + self.most * widest > RFC5322_EMAIL_LINE_LENGTH_LIMIT:
            return None

        def filled(match: re.Match[bytes]) -> bytes:
            return (html if match[1] == b"h" else text)[match[2].decode()]

        return _WIRE_BLANK.sub(filled, self.data)
