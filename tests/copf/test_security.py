import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import MeetingFactory, SeriesFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pages(db):
    series = SeriesFactory(slug="cop-f-east")
    meeting = MeetingFactory(series=series)
    return [
        "/",
        "/series/cop-f-east/",
        "/series/cop-f-east/harvests/",
        meeting.get_absolute_url(),
        "/meetings/999999/",
    ]


def test_every_page_carries_the_security_headers(client, pages):
    for path in pages:
        response = client.get(path)

        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp, path
        assert "'unsafe-inline'" not in csp, path
        assert "frame-ancestors 'none'" in csp, path
        assert response["X-Frame-Options"] == "DENY", path
        assert response["X-Content-Type-Options"] == "nosniff", path
        assert response["Referrer-Policy"] == "same-origin", path


def test_pages_contain_no_inline_script(client, pages):
    for path in pages:
        html = client.get(path).content.decode()

        # A JSON-LD data block (the meeting and series pages' card) is never run, so the
        # policy has no say over it; every other script is a file.
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert all(
            tag.startswith("<script src=") or tag == '<script type="application/ld+json">'
            for tag in scripts
        ), path
        assert " on" + "click=" not in html, path


def test_the_data_blocks_are_only_on_the_pages_with_a_card(client, pages):
    blocks = {
        path: client.get(path).content.decode().count("application/ld+json") for path in pages
    }

    assert blocks == {
        "/": 0,
        "/series/cop-f-east/": 1,
        "/series/cop-f-east/harvests/": 0,
        pages[3]: 1,
        "/meetings/999999/": 0,
    }


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "SITE_URL"}}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


REAL_KEY = "8l3k1xQv0tZpN7cW2eR9yU4iO6aS5dF1gH3jK7lZ0xC8vB2nM4qW9eR1tY6uI3oP"


@pytest.mark.parametrize("site_url", ["https://copf.example.org", "http://127.0.0.1:8000"])
def test_check_deploy_reports_nothing_with_debug_off_and_a_real_key(site_url):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=REAL_KEY,
        SITE_URL=site_url,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_manage("check", DEBUG="0", SECRET_KEY="")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_refuses_a_site_url_that_is_not_a_url():
    result = run_manage("check", SITE_URL="copf.example.org")

    assert result.returncode != 0
    assert "SITE_URL must be an absolute http(s) URL" in result.stderr
