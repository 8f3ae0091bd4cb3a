"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Playwright never downloads a browser here: it launches /usr/bin/chromium. When Chromium,
the `playwright` package or axe-core (`npm ci --prefix tests/browser`) is missing, the
tests skip and say why; with CI=true they fail instead, so CI really runs them.
"""

import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from members.models import User
from tests.factories import UserFactory

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

REPO_DIR = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_DIR / "test-artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps calling home, which floods a closed network.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# What axe reports and we refuse; "minor" and "moderate" findings are not failures.
BLOCKING_IMPACTS = {"serious", "critical"}


def skip_or_fail(reason: str) -> NoReturn:
    """Skip a browser test whose tools are missing, except on CI, where that is a failure."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run, not skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator["Browser"]:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        skip_or_fail(f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail('The playwright package is missing: pip install -e ".[test]"')

    # Playwright's sync API keeps an asyncio loop running in this thread, so Django would
    # refuse the ORM calls a test makes between browser steps. Nothing here is async: the
    # live server answers from its own thread. Allowed only while the browser is open.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser: "Browser", live_server: Any) -> Iterator[Callable[..., "BrowserContext"]]:
    """Open browser contexts on the live server (each one a fresh set of cookies)."""
    contexts = []

    def open_context(**options: Any) -> "BrowserContext":
        options.setdefault("locale", "en-GB")
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot() -> Callable[["Page", str], Path]:
    """Save a full-page screenshot under test-artifacts/browser/, to look at after a run."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)

    def save(page: "Page", name: str) -> Path:
        path = ARTIFACTS_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def copf_series(transactional_db: None) -> None:
    """CoP-F East and West with their meetings, exactly as `make run` seeds them."""
    call_command("seed_copf", stdout=io.StringIO())


@pytest.fixture
def verified_member(transactional_db: None) -> User:
    user = UserFactory(timezone="Asia/Kolkata")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def sign_in(live_server: Any) -> Callable[["BrowserContext", User], None]:
    """Sign a member in to a browser context by handing it a session made by a test client."""

    def sign_in_context(context: "BrowserContext", user: User) -> None:
        # A client of its own each time: logging in again on one client flushes or cycles
        # its session, which would sign out the contexts signed in before.
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )

    return sign_in_context


@pytest.fixture
def assert_accessible() -> Callable[["Page"], None]:
    """Run axe-core in a page and fail on its serious and critical violations.

    The serious and critical ones fail the test, listed with the rule, what to fix and
    where; the others are only printed (see them with `pytest -rP` or `-s`).
    """
    if not AXE_JS.is_file():
        skip_or_fail(f"axe-core is missing ({AXE_JS}): npm ci --prefix tests/browser")

    def check(page: "Page") -> None:
        # add_script_tag injects the file as an inline <script>, which the pages' CSP
        # (script-src 'self') blocks: the page's context must be opened with bypass_csp=True.
        page.add_script_tag(path=str(AXE_JS))
        results = page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
        violations = results["violations"]
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            pytest.fail(describe_violations(page.url, blocking), pytrace=False)
        print(describe_violations(page.url, violations))  # The minor ones, for `pytest -rP`.

    return check


def describe_violations(url: str, violations: list[dict[str, Any]]) -> str:
    """axe's findings as a readable list: impact, rule, what to fix, and where."""
    if not violations:
        return f"axe: no violations on {url}"
    lines = [f"axe: {len(violations)} violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- [{violation['impact']}] {violation['id']}: {violation['help']}"
            f" ({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            lines.append(f"    at {json.dumps(node['target'])}: {node['html'][:200]}")
            lines.extend(
                f"      {detail.strip()}"
                for detail in (node.get("failureSummary") or "").splitlines()
            )
    return "\n".join(lines)
