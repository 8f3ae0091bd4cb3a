"""A browser that sends hostile requests and keeps what went wrong instead of stopping.

Each request is a probe: it runs inside a savepoint that is rolled back afterwards, and the
browser's cookies are put back, so one probe never prepares the ground for the next (a
log-out, a deleted account, a rate limit reached) and every probe starts from the same rows.
A server error is recorded with the exception and the line that raised it, so one run of a
table lists every distinct fault rather than the first.
"""

import re
import sys
import traceback
from collections import defaultdict
from collections.abc import Iterable, Sequence
from copy import deepcopy
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote_from_bytes

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client

from meetings.models import Meeting, Series
from members.models import Delivery, Follow, Poll, PollVote, PollVoter, Rsvp, User

ROOT = Path(__file__).resolve().parents[1]
FORM = "application/x-www-form-urlencoded"
# Browsers send an Origin header with every form post; Django's CSRF check compares it.
ORIGIN = "http://testserver"
TOKEN_FIELD = "csrfmiddlewaretoken"
TOKEN_IN_PAGE = re.compile(rf'name="{TOKEN_FIELD}" value="([^"]+)"')
WATCHED_MODELS = (
    *(User, EmailAddress, Group, Series, Meeting, Rsvp, Follow, Delivery),
    *(Poll, PollVoter, PollVote),
)

Pairs = Sequence[tuple[str, str | bytes]]


def form_body(pairs: Pairs) -> bytes:
    """Pairs percent-encoded as a browser does. Bytes are sent as they are, and a lone
    surrogate in a str as the bytes a careless encoder makes of it (ED A0 80 for U+D800),
    so a body can carry what is not UTF-8."""
    return b"&".join(
        _quote(key).encode("ascii") + b"=" + _quote(value).encode("ascii") for key, value in pairs
    )


def _quote(value: str | bytes) -> str:
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    return quote_from_bytes(raw, safe="")


def shorten(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 12]}…{len(text)} chars"


def database_rows() -> tuple:
    """Every row of the tables a request could change, to tell whether a refusal changed any."""
    return tuple(
        tuple(map(repr, model.objects.order_by("pk").values_list())) for model in WATCHED_MODELS
    )


@dataclass(frozen=True)
class Outcome:
    request: str
    status: int
    error: str = ""  # the exception, its message and where it was raised, for a 5xx
    cause: str = ""  # the exception and where it was raised: what one fix would cure
    changed: bool = False  # whether rows differ from before the request (see Browser.send)
    response: HttpResponse | None = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        changed = ", rows changed" if self.changed else ""
        return f"{self.request} -> {self.status}{changed} {self.error}".rstrip()


def describe(exc: BaseException) -> tuple[str, str]:
    """(the exception with its message and where it was raised, the same without the
    message), for the report and for grouping."""
    # A fault in reading the request repeats in each error handler that reads it again
    # (each one's exception has the last as its context); the first one is the cause.
    while type(exc.__context__) is type(exc):
        exc = exc.__context__
    frames = traceback.extract_tb(exc.__traceback__)
    message = str(exc).splitlines()[0][:160] if str(exc) else ""
    where = _where(frames[-1]) if frames else "?"
    # The innermost frame may be the standard library's; name the code that called it.
    callers = [
        _where(frame)
        for frame in frames
        if ROOT in Path(frame.filename).parents and "tests" not in Path(frame.filename).parts
    ]
    ours = [caller for caller in callers if "site-packages" not in caller]
    via = [name for name in dict.fromkeys(callers[-1:] + ours[-1:]) if name != where]
    called = f" (via {', '.join(via)})" if via else ""
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    return f"{name}: {message} at {where}{called}", f"{name} at {where}{called}"


def _where(frame: traceback.FrameSummary) -> str:
    path = Path(frame.filename)
    parts = path.parts
    if "site-packages" in parts:
        shown = "site-packages/" + "/".join(parts[parts.index("site-packages") + 1 :])
    elif ROOT in path.parents:
        shown = str(path.relative_to(ROOT))
    else:  # the standard library
        shown = "/".join(parts[-2:])
    return f"{shown}:{frame.lineno}"


class Browser:
    """A test client that behaves like a browser: a CSRF cookie and the token from a page,
    an Origin header on posts, and no exception raised into the test."""

    def __init__(self, user: User | None = None, *, name: str = "") -> None:
        self.name = name or (user.email if user else "visitor")
        self.client = Client(enforce_csrf_checks=True, raise_request_exception=False)
        if user is not None:
            self.client.force_login(user)
        page = self.client.get("/accounts/password/reset/")
        self.token = TOKEN_IN_PAGE.search(page.content.decode()).group(1)
        self.settle()

    def settle(self) -> None:
        """Take the rows as they are now as the ones every refusal must leave alone."""
        self.baseline = database_rows()

    def visit(self, path: str) -> None:
        """Load a page for good (not rolled back): a step that keeps state in the session."""
        self.client.get(path)
        self.settle()

    def post(
        self,
        path: str,
        pairs: Pairs = (),
        *,
        body: bytes | None = None,
        content_type: str = FORM,
        csrf: bool = True,
        headers: dict[str, str] | None = None,
        label: str = "",
        **options: bool,
    ) -> Outcome:
        if body is None:
            body = form_body([*pairs, *([(TOKEN_FIELD, self.token)] if csrf else [])])
        sent_headers = {"origin": ORIGIN, **({"x-csrftoken": self.token} if csrf else {})}
        return self.send(
            "POST",
            path,
            data=body,
            content_type=content_type,
            headers={**sent_headers, **(headers or {})},
            label=label or ", ".join(f"{key}={shorten(value)}" for key, value in pairs),
            **options,
        )

    def get(self, path: str, **options: bool) -> Outcome:
        return self.send("GET", path, **options)

    def send(
        self,
        method: str,
        path: str,
        *,
        label: str = "",
        keep: bool = False,
        watch: bool = False,
        **kwargs: object,
    ) -> Outcome:
        """Send one request and undo what it did, unless `keep` (and it did not fail).

        Whether rows changed is looked at after a refusal (4xx), or after any answer with
        `watch`: a form shown again with its errors is a refusal too.
        """
        request = f"{self.name}: {method} {shorten(path, 90)[1:-1]}" + (
            f" [{label}]" if label else ""
        )
        cookies = deepcopy(self.client.cookies)
        savepoint = transaction.savepoint()
        response = None
        try:
            response = self.client.generic(method, path, **kwargs)
            status, exc_info = response.status_code, response.exc_info
        except Exception:  # Django's own error handlers failed: a WSGI server answers 500.
            status, exc_info = 500, sys.exc_info()
        if status >= 500:
            error, cause = describe(exc_info[1]) if exc_info else (f"HTTP {status}",) * 2
            # A failed query leaves PostgreSQL's transaction aborted until the rollback.
            connection.needs_rollback = False
            transaction.savepoint_rollback(savepoint)
            self.client.cookies = cookies
            return Outcome(request, status, error, cause=cause, response=response)
        changed = (watch or keep or 400 <= status < 500) and database_rows() != self.baseline
        if keep:
            transaction.savepoint_commit(savepoint)
        else:
            transaction.savepoint_rollback(savepoint)
            self.client.cookies = cookies
        return Outcome(request, status, changed=changed, response=response)


@dataclass
class Findings:
    """Server errors and refusals that changed rows, grouped by cause for the report."""

    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, outcomes: Outcome | Iterable[Outcome]) -> None:
        for outcome in [outcomes] if isinstance(outcomes, Outcome) else outcomes:
            self.outcomes.append(replace(outcome, response=None))

    @property
    def problems(self) -> dict[str, list[Outcome]]:
        grouped: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in self.outcomes:
            if outcome.status >= 500:
                grouped[outcome.cause].append(outcome)
            elif 400 <= outcome.status < 500 and outcome.changed:
                grouped[f"refused with {outcome.status} but rows changed"].append(outcome)
        return grouped

    def report(self) -> str:
        lines = [f"{len(self.problems)} distinct problem(s):"]
        for cause, outcomes in sorted(self.problems.items()):
            lines.append(f"- {cause}\n  {len(outcomes)} request(s), e.g.:")
            lines.extend(f"    {outcome}" for outcome in outcomes[:3])
        return "\n".join(lines)
