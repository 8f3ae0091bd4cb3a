import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.services import require

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def delivery_settings(mail_settings, clock):
    """Every delivery test runs on the fixed calendar, with mail kept in memory."""


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """Debian's Chromium, driven by Playwright, to look at an e-mail as a mail app shows it."""
    require(CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "The playwright package is missing")
    # Playwright's sync API runs an asyncio loop in this thread; the tests' ORM calls between
    # browser steps are synchronous all the same.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_mail(chromium) -> Iterator[Callable[..., object]]:
    """Open an HTML part in a page `width` px wide, in the light or dark colour scheme."""
    pages = []

    def open_html(html: str, *, width: int, scheme: str):
        page = chromium.new_page(viewport={"width": width, "height": 800}, color_scheme=scheme)
        pages.append(page)
        # Offline: a mail app shows no remote content unless asked, and nothing here needs any.
        page.route("**/*", lambda route: route.abort())
        page.set_content(html)
        return page

    yield open_html
    for page in pages:
        page.close()
