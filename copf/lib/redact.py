"""Secrets that travel in URL paths, kept out of logs.

A personal feed address, a one-click answer or unsubscribe link and the account links
(e-mail confirmation, password reset) carry their secret in the path, so access logs,
Referer headers and "Not Found: /feeds/…" lines would hand them to whoever reads the logs.
The patterns are the public URL contract, not an app's URLconf; each names the secret
part `secret`, and only that part is replaced, so the log still shows which page it was.
"""

import logging
import re
from collections.abc import Iterable

# ASCII on purpose: a log line must encode under any locale.
REDACTED = "REDACTED"

# One path segment: up to the next slash, query, fragment, white space or quote.
_SEGMENT = r"[^/?#\s\"'<>]+"

SECRET_PATHS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"/feeds/(?P<secret>{_SEGMENT}?)(?=\.ics(?![\w.-])|[/?#\s\"'<>]|$)"),
    re.compile(rf"/rsvp/(?P<secret>{_SEGMENT})"),
    re.compile(rf"/unsubscribe/(?P<secret>{_SEGMENT})"),
    # django-allauth, under /accounts/.
    re.compile(rf"/confirm-email/(?P<secret>{_SEGMENT})"),
    # The reset link's key follows the user's base-36 id; the page it redirects to shows
    # "set-password" where the key was.
    re.compile(rf"/password/reset/key/[0-9A-Za-z]+-(?P<secret>(?!set-password/){_SEGMENT})"),
)


def redact(text: str, patterns: Iterable[re.Pattern[str]] = SECRET_PATHS) -> str:
    """`text` (a path, a URL, a request line, a log message) with every secret replaced."""
    for pattern in patterns:
        text = pattern.sub(_without_secret, text)
    return text


def _without_secret(match: re.Match[str]) -> str:
    whole, offset = match.group(), match.start()
    before, after = match.start("secret") - offset, match.end("secret") - offset
    return whole[:before] + REDACTED + whole[after:]


class RedactSecretsFilter(logging.Filter):
    """A logging filter that redacts the formatted message of every record it passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
