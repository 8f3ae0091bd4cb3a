"""The embedded schedule in Chromium, on another site with a strict Content-Security-Policy.

A second small HTTP server on another port plays a blog that embeds the sessions: its
policy allows scripts and fetches from the app's origin only and no styles at all
(`style-src 'none'`), so the element can only be styled by the stylesheet it constructs
and adopts. Visitors in Los Angeles and Tokyo each see CoP-F West at their own time with
UTC beside it, in the element and in the iframe; axe finds nothing serious on the blog
page, in the element or in the iframe page, light or dark.

The expected times are built with zoneinfo from each meeting's UTC start; the data are
relative to now, and nothing is frozen.

`test_the_element_on_another_site_*` read the real public API (`/api/v1/meetings/`), written
on main; until it is merged here they skip. The other tests serve the API's contract from
the blog's own server (the element's `origin` attribute), so the element itself is tested
either way.
"""

import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.urls import Resolver404, resolve
from django.utils import timezone

from meetings.display import format_range, offset_label
from meetings.models import Meeting, Series
from meetings.selectors import embedded_meetings

try:
    from playwright.sync_api import expect
except ImportError:  # The `browser` fixture skips these tests (or fails them on CI).
    expect = None

LOS_ANGELES = "America/Los_Angeles"
TOKYO = "Asia/Tokyo"
SCHEMES = ["light", "dark"]
# ICU names North American zones in English ("PST", "PDT") and has no English name for
# Japan's, where the element shows the offset, as the site's pages do for such zones.
ZONE_LABELS: dict[str, Callable[[datetime], str]] = {
    LOS_ANGELES: lambda local: local.tzname(),
    TOKYO: offset_label,
}
# The colour of links in the light theme: proof that the adopted stylesheet applies.
LIGHT_ACCENT = "rgb(33, 80, 176)"
DARK_ACCENT = "rgb(147, 180, 255)"


@dataclass
class Blog:
    """Another site: a page with a strict policy, and whatever else a test serves on it."""

    url: str
    routes: dict[str, tuple[int, str, bytes, dict[str, str]]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def serve(
        self, path: str, body: str, *, status: int = 200, kind: str = "text/html", **headers: str
    ) -> None:
        self.routes[path] = (status, f"{kind}; charset=utf-8", body.encode(), headers)


@pytest.fixture
def blog() -> Iterator[Blog]:
    routes: dict[str, tuple[int, str, bytes, dict[str, str]]] = {}
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            status, kind, body, headers = routes.get(
                urlsplit(self.path).path, (404, "text/plain", b"Not found", {})
            )
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address
    yield Blog(url=f"http://{host}:{port}", routes=routes, requests=requests)
    server.shutdown()
    server.server_close()


def blog_page(*, app: str, element: str, frame: str = "") -> str:
    iframe = (
        f'<h2>The same in an iframe</h2><iframe src="{app}{frame}" '
        'title="Upcoming CoP-F sessions (iframe)" width="100%" height="340"></iframe>'
        if frame
        else ""
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>A facilitators' blog</title></head><body><main>"
        f"<h1>Come and practise with us</h1>{element}{iframe}"
        f'<script src="{app}/embed.js" async></script></main></body></html>'
    )


def strict_policy(*, app: str, connect: str) -> str:
    return (
        f"default-src 'none'; script-src {app}; connect-src {connect}; style-src 'none'; "
        f"frame-src {app}; img-src 'none'; base-uri 'none'"
    )


@pytest.fixture
def console_problems() -> list[str]:
    return []


@pytest.fixture
def open_blog(new_context, console_problems):
    """A page of the blog for a visitor in `zone`, recording console errors and policy
    violations (in the page and in its frames) in `console_problems`."""

    def open_page(path: str, *, zone: str, scheme: str = "light", for_axe: bool = False):
        context = new_context(timezone_id=zone, color_scheme=scheme, bypass_csp=for_axe)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                console_problems.append(f"{message.type}: {message.text}")
                if message.type == "error" or "Content Security Policy" in message.text
                else None
            ),
        )
        page.on("pageerror", lambda error: console_problems.append(f"pageerror: {error}"))
        page.goto(path)
        return page

    return open_page


def month_names(page) -> list[str]:
    """The short month names the browser's en-GB data has ("Sept" in newer ICU)."""
    return page.evaluate(
        """() => Array.from({length: 12}, (_, month) => new Intl.DateTimeFormat("en-GB",
            {month: "short", timeZone: "UTC"}).format(Date.UTC(2001, month, 15)))"""
    )


def day_label(moment: datetime, months: list[str]) -> str:
    return f"{moment:%a} {moment.day} {months[moment.month - 1]}"


def expected_when(starts_at: datetime, ends_at: datetime, zone: str, months: list[str]):
    """What the element shows for a session in `zone`: the local line and the UTC one."""

    def day(moment: datetime) -> str:
        return day_label(moment, months)

    local_start, local_end = (
        starts_at.astimezone(ZoneInfo(zone)),
        ends_at.astimezone(ZoneInfo(zone)),
    )
    utc_start, utc_end = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    local = (
        f"{day(local_start)}, {format_range(local_start, local_end)} "
        f"{ZONE_LABELS[zone](local_start)}"
    )
    utc = f"{format_range(utc_start, utc_end)} UTC"
    if utc_start.date() != local_start.date():
        utc = f"{day(utc_start)}, {utc}"
    return local, f"({utc})"


def assert_sessions_shown(items, meetings: list[Meeting], zone: str, months: list[str]) -> None:
    expect(items).to_have_count(len(meetings))
    for item, meeting in zip(items.all(), meetings, strict=True):
        local, utc = expected_when(meeting.starts_at, meeting.ends_at, zone, months)
        expect(item.locator(".title a")).to_have_text(meeting.title)
        expect(item.locator("time[datetime]")).to_have_text(local)
        expect(item.locator(".utc")).to_have_text(utc)


def api_is_merged() -> bool:
    try:
        resolve("/api/v1/meetings/")
    except Resolver404:
        return False
    return True


needs_the_api = pytest.mark.skipif(
    not api_is_merged(), reason="the public API (/api/v1/meetings/) is not merged here yet"
)


# --- the element and the iframe on another site, reading the real API ------------------


def copf_series_west() -> Series:
    return Series.objects.get(slug="cop-f-west")


@needs_the_api
@pytest.mark.parametrize("zone", [LOS_ANGELES, TOKYO])
def test_the_element_on_another_site_shows_cop_f_west_in_the_visitors_zone(
    zone, copf_series, blog, live_server, open_blog, console_problems, screenshot
):
    app = live_server.url
    query = "?series=cop-f-west&count=3"
    blog.serve(
        "/",
        blog_page(
            app=app,
            element='<copf-sessions series="cop-f-west" count="3"></copf-sessions>',
            frame=f"/embed/sessions/{query}",
        ),
        Content_Security_Policy=strict_policy(app=app, connect=app),
    )
    west = embedded_meetings(count=3, series=copf_series_west())
    assert [meeting.starts_at.astimezone(UTC).strftime("%H:%M") for meeting in west] == [
        "18:30"
    ] * 3

    page = open_blog(f"{blog.url}/", zone=zone)
    months = month_names(page)

    assert_sessions_shown(page.locator("copf-sessions li"), west, zone, months)
    # Absolute links; the API may build them from SITE_URL rather than the live server's.
    link = page.locator("copf-sessions .title a").first
    expect(link).to_have_attribute("href", re.compile(rf"^https?://.+/meetings/{west[0].pk}/$"))
    expect(page.locator("copf-sessions .meta a").first).to_have_attribute(
        "href", re.compile(rf"^https?://.+/meetings/{west[0].pk}/calendar\.ics$")
    )
    assert link.evaluate("a => getComputedStyle(a).color") == LIGHT_ACCENT
    # The iframe loaded (other sites may frame it) and its script rewrote the times too.
    frame = page.frame_locator("iframe")
    assert_sessions_shown(frame.locator("li.session"), west, zone, months)
    screenshot(page, f"embed-blog-{zone.replace('/', '-')}")
    assert console_problems == []


@needs_the_api
@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_element_on_another_site_is_accessible(
    scheme, copf_series, blog, live_server, open_blog, assert_accessible
):
    app = live_server.url
    blog.serve(
        "/",
        blog_page(
            app=app,
            element=f'<copf-sessions series="cop-f-west" theme="{scheme}"></copf-sessions>',
        ),
        Content_Security_Policy=strict_policy(app=app, connect=app),
    )
    page = open_blog(f"{blog.url}/", zone=TOKYO, scheme=scheme, for_axe=True)
    expect(page.locator("copf-sessions li")).to_have_count(3)

    assert_accessible(page)


# --- the iframe page itself -----------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_iframe_page_shows_local_times_and_is_accessible(
    scheme, copf_series, new_context, assert_accessible, console_problems
):
    west = embedded_meetings(count=2, series=copf_series_west())
    # Under the site's own policy first: no violation, and the times rewritten.
    context = new_context(timezone_id=LOS_ANGELES, color_scheme=scheme)
    page = context.new_page()
    page.on(
        "console",
        lambda message: console_problems.append(message.text) if message.type == "error" else None,
    )
    page.goto(f"/embed/sessions/?series=cop-f-west&count=2&theme={scheme}")

    assert_sessions_shown(page.locator("li.session"), west, LOS_ANGELES, month_names(page))
    assert console_problems == []

    page = new_context(timezone_id=LOS_ANGELES, color_scheme=scheme, bypass_csp=True).new_page()
    page.goto(f"/embed/sessions/?series=cop-f-west&count=2&theme={scheme}")
    assert_accessible(page)


# --- the element against the API's contract, served by the blog -----------------------


def contract_meeting(pk: int, starts_at: datetime, base: str, **fields: Any) -> dict[str, Any]:
    ends_at = starts_at + timedelta(minutes=90)
    return {
        "id": pk,
        "title": "CoP-F West",
        "series": "cop-f-west",
        "series_name": "CoP-F West",
        "starts_at": f"{starts_at:%Y-%m-%dT%H:%M:%SZ}",
        "ends_at": f"{ends_at:%Y-%m-%dT%H:%M:%SZ}",
        "status": "scheduled",
        "is_extra": False,
        "url": f"{base}/meetings/{pk}/",
        "calendar_url": f"{base}/meetings/{pk}/calendar.ics",
        "capacity": None,
        "seats_left": None,
        "waitlist": False,
        **fields,
    }


@pytest.fixture
def contract_starts() -> list[datetime]:
    """Three Mondays at 18:30 UTC from next week on, whatever today is."""
    today = timezone.now().astimezone(UTC).replace(hour=18, minute=30, second=0, microsecond=0)
    monday = today + timedelta(days=7 - today.weekday())
    return [monday + timedelta(weeks=week) for week in range(3)]


def serve_contract(blog: Blog, results: list[dict[str, Any]], *, status: int = 200) -> None:
    body = {"count": len(results), "next": None, "previous": None, "results": results}
    blog.serve(
        "/api/v1/meetings/",
        json.dumps(body),
        status=status,
        kind="application/json",
        Access_Control_Allow_Origin="*",
    )


@pytest.mark.parametrize("zone", [LOS_ANGELES, TOKYO])
def test_the_element_shows_the_contract_in_the_visitors_zone_under_a_strict_policy(
    zone,
    blog,
    live_server,
    open_blog,
    console_problems,
    contract_starts,
    transactional_db,
    screenshot,
):
    app = live_server.url
    serve_contract(
        blog,
        [
            contract_meeting(1, contract_starts[0], blog.url, capacity=12, seats_left=5),
            contract_meeting(2, contract_starts[1], blog.url, status="cancelled"),
            contract_meeting(
                3, contract_starts[2], blog.url, capacity=8, seats_left=0, waitlist=True
            ),
        ],
    )
    blog.serve(
        "/",
        blog_page(
            app=app,
            element=f'<copf-sessions series="cop-f-west" count="3" origin="{blog.url}">'
            "</copf-sessions>",
        ),
        Content_Security_Policy=strict_policy(app=app, connect="'self'"),
    )

    page = open_blog(f"{blog.url}/", zone=zone)
    months = month_names(page)
    items = page.locator("copf-sessions li")

    expect(items).to_have_count(3)
    for item, starts_at in zip(items.all(), contract_starts, strict=True):
        local, utc = expected_when(starts_at, starts_at + timedelta(minutes=90), zone, months)
        expect(item.locator("time")).to_have_text(local)
        expect(item.locator("time")).to_have_attribute(
            "datetime", f"{starts_at:%Y-%m-%dT%H:%M:%SZ}"
        )
        expect(item.locator(".utc")).to_have_text(utc)
    first, cancelled, full = items.all()
    expect(first.locator(".seats")).to_have_text("5 seats left")
    local_day = day_label(contract_starts[0].astimezone(ZoneInfo(zone)), months)
    expect(first.locator(".meta a")).to_have_text(
        f"Add to calendar: CoP-F West, {local_day} (.ics file)"
    )
    expect(cancelled.locator(".badge")).to_have_text("Cancelled")
    expect(cancelled.locator(".meta a")).to_have_count(0)
    expect(full.locator(".seats")).to_have_text("Full: join the waiting list")
    expect(page.locator("copf-sessions ol")).to_have_attribute(
        "aria-label", "Upcoming CoP-F sessions"
    )
    expect(page.locator("copf-sessions .box")).to_have_attribute("lang", "en")
    # Styled by the adopted stylesheet, which `style-src 'none'` does not block.
    link = page.locator("copf-sessions .title a").first
    assert link.evaluate("a => getComputedStyle(a).color") == LIGHT_ACCENT
    assert (
        page.evaluate(
            "() => document.querySelector('copf-sessions').shadowRoot.adoptedStyleSheets.length"
        )
        == 1
    )
    screenshot(page, f"embed-contract-{zone.replace('/', '-')}")
    api_calls = [path for path in blog.requests if path.startswith("/api/")]
    assert [parse_qs(urlsplit(path).query) for path in api_calls] == [
        {"page_size": ["3"], "series": ["cop-f-west"]}
    ]
    assert console_problems == []


def test_the_element_says_when_it_could_not_load_the_sessions(
    blog, live_server, open_blog, console_problems, transactional_db
):
    app = live_server.url
    serve_contract(blog, [], status=503)
    blog.serve(
        "/",
        blog_page(app=app, element=f'<copf-sessions origin="{blog.url}"></copf-sessions>'),
        Content_Security_Policy=strict_policy(app=app, connect="'self'"),
    )

    page = open_blog(f"{blog.url}/", zone=TOKYO)

    alert = page.locator("copf-sessions [role=alert]")
    expect(alert).to_have_text("Could not load the sessions. See the sessions on the CoP-F site")
    expect(alert.locator("a")).to_have_attribute("href", f"{blog.url}/")
    # The failed request is the only error: no policy violation.
    assert [problem for problem in console_problems if "503" not in problem] == []


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_element_with_the_contract_is_accessible_in_both_themes(
    scheme, blog, live_server, open_blog, assert_accessible, contract_starts, transactional_db
):
    app = live_server.url
    serve_contract(
        blog,
        [
            contract_meeting(1, contract_starts[0], blog.url, capacity=12, seats_left=1),
            contract_meeting(2, contract_starts[1], blog.url, status="cancelled"),
        ],
    )
    blog.serve(
        "/",
        blog_page(
            app=app,
            element=f'<copf-sessions theme="{scheme}" origin="{blog.url}"></copf-sessions>',
        ),
        Content_Security_Policy=strict_policy(app=app, connect="'self'"),
    )
    page = open_blog(f"{blog.url}/", zone=LOS_ANGELES, scheme=scheme, for_axe=True)
    expect(page.locator("copf-sessions li")).to_have_count(2)
    accent = DARK_ACCENT if scheme == "dark" else LIGHT_ACCENT
    assert (
        page.locator("copf-sessions .title a").first.evaluate("a => getComputedStyle(a).color")
        == accent
    )

    assert_accessible(page)


# --- /embed/: the snippet builder -----------------------------------------------------


def test_the_snippet_builder_rewrites_the_snippets_as_the_form_changes(
    copf_series, new_context, console_problems
):
    page = new_context(timezone_id=TOKYO).new_page()
    page.on(
        "console",
        lambda message: (
            console_problems.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.goto("/embed/")

    page.get_by_label("Series").select_option("cop-f-west")
    page.get_by_label("How many sessions").fill("5")
    page.get_by_label("Colours").select_option("dark")

    script = page.get_by_label("Script snippet")
    expect(script).to_have_value(
        f'<script src="{page.url.split("/embed/")[0]}/embed.js" async></script>\n'
        '<copf-sessions series="cop-f-west" count="5" theme="dark" lang="en"></copf-sessions>'
    )
    expect(page.get_by_label("Iframe snippet")).to_have_value(
        f'<iframe src="{page.url.split("/embed/")[0]}/embed/sessions/?series=cop-f-west'
        '&amp;count=5&amp;theme=dark&amp;lang=en" title="Upcoming CoP-F sessions" '
        'width="100%" height="540" loading="lazy"></iframe>'
    )
    preview = page.locator("copf-sessions[data-embed-preview]")
    expect(preview).to_have_attribute("count", "5")
    expect(preview).to_have_attribute("theme", "dark")
    assert console_problems == []


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_embedding_page_is_accessible(
    scheme, copf_series, new_context, assert_accessible, screenshot
):
    page = new_context(timezone_id=TOKYO, color_scheme=scheme, bypass_csp=True).new_page()
    page.goto("/embed/?series=cop-f-west")
    expect(page.frame_locator("iframe").locator("li.session")).to_have_count(3)

    assert_accessible(page)
    screenshot(page, f"embed-page-{scheme}")
