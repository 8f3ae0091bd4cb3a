"""The access log of gunicorn keeps no secrets: atoms with a fake request, then a real
gunicorn started as the Procfile starts it, on a free loopback port.

Without a gunicorn that can start here the last test skips, or fails under CI=true.
"""

import logging
import os
import re
import runpy
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from gunicorn.config import Config
from gunicorn.util import load_class

from copf.gunicorn_logger import RedactingLogger
from tests.factories import UserFactory
from tests.services import require

FEED_TOKEN = "Zm9vYmFyYmF6cXV4LXNlY3JldC1mZWVkLXRva2VuXzEyMw"
SIGNED = "eyJ1IjoxLCJtIjoyLCJyIjoieWVzIn0:1tQx7Z:Hx0cS1gnatur3_abc-def"
DEADLINE = 30.0


@pytest.fixture
def gunicorn_logger() -> RedactingLogger:
    config = Config()
    config.set("accesslog", "-")
    return RedactingLogger(config)


def fake_request(*, path: str, query: str = "", referer: str = "-"):
    raw_uri = f"{path}?{query}" if query else path
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": raw_uri,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.7",
        "HTTP_REFERER": referer,
        "HTTP_USER_AGENT": "Calendar/1.0",
    }
    request = SimpleNamespace(headers=[("REFERER", referer), ("USER-AGENT", "Calendar/1.0")])
    response = SimpleNamespace(
        status="200 OK", sent=512, headers=[("Content-Type", "text/calendar")]
    )
    return response, request, environ


def test_the_request_line_path_query_and_referer_atoms_are_redacted(gunicorn_logger):
    response, request, environ = fake_request(
        path=f"/feeds/{FEED_TOKEN}.ics",
        query="v=2",
        referer=f"https://copf.example/rsvp/{SIGNED}/",
    )

    atoms = gunicorn_logger.atoms(response, request, environ, timedelta(milliseconds=3))

    assert atoms["r"] == "GET /feeds/REDACTED.ics?v=2 HTTP/1.1"
    assert atoms["U"] == "/feeds/REDACTED.ics"
    assert atoms["q"] == "v=2"
    assert atoms["f"] == "https://copf.example/rsvp/REDACTED/"
    assert atoms["{referer}i"] == "https://copf.example/rsvp/REDACTED/"
    assert atoms["{raw_uri}e"] == "/feeds/REDACTED.ics?v=2"
    assert (atoms["s"], atoms["b"], atoms["h"]) == ("200", "512", "192.0.2.7")
    assert not [value for value in atoms.values() if FEED_TOKEN in str(value)]
    assert not [value for value in atoms.values() if SIGNED in str(value)]


def test_the_access_log_line_shows_the_redacted_path(gunicorn_logger, caplog):
    response, request, environ = fake_request(
        path=f"/unsubscribe/{SIGNED}/", referer=f"http://127.0.0.1:8000/feeds/{FEED_TOKEN}.ics"
    )

    with caplog.at_level(logging.INFO, logger="gunicorn.access"):
        gunicorn_logger.access(response, request, environ, timedelta(milliseconds=3))

    [line] = [r.getMessage() for r in caplog.records if r.name == "gunicorn.access"]
    assert '"GET /unsubscribe/REDACTED/ HTTP/1.1" 200 512' in line
    assert '"http://127.0.0.1:8000/feeds/REDACTED.ics" "Calendar/1.0"' in line


def test_gunicorns_error_lines_are_redacted(gunicorn_logger, caplog):
    error_log = logging.getLogger("gunicorn.error")
    error_log.addHandler(caplog.handler)  # gunicorn stops it from propagating
    try:
        gunicorn_logger.error("Error handling request %s", f"/feeds/{FEED_TOKEN}.ics")
    finally:
        error_log.removeHandler(caplog.handler)

    assert [r.getMessage() for r in caplog.records] == [
        "Error handling request /feeds/REDACTED.ics"
    ]


def test_the_project_config_makes_gunicorn_use_the_redacting_logger():
    config = runpy.run_path(str(settings.BASE_DIR / "gunicorn.conf.py"))

    assert load_class(config["logger_class"]) is RedactingLogger


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database, for a server process of its own."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or ''}:{db['PORT'] or 5432}/{db['NAME']}"


def procfile_web_command(*, port: int) -> list[str]:
    """The Procfile's `web:` line, on `port` with one worker."""
    procfile = (settings.BASE_DIR / "Procfile").read_text()
    [line] = [line for line in procfile.splitlines() if line.startswith("web:")]
    words = shlex.split(line.removeprefix("web:"))
    assert words[0] == "gunicorn"
    words[words.index("--bind") + 1] = f"127.0.0.1:{port}"
    words[words.index("--workers") + 1] = "1"
    return [sys.executable, "-m", "gunicorn", *words[1:]]


def get(url: str, *, referer: str | None = None) -> int:
    headers = {"Referer": referer} if referer else {}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_for_port(port: int, process: subprocess.Popen, stderr: Path) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            require(False, f"gunicorn could not start: {stderr.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer on port {port} within {DEADLINE:.0f} s")


@pytest.mark.django_db(transaction=True)
def test_a_real_gunicorn_logs_feed_and_link_paths_without_their_secrets(tmp_path):
    require(sys.platform != "win32", "gunicorn runs only on Unix")
    member = UserFactory()
    stale_token = FEED_TOKEN  # an address that no longer works: a 404
    port = free_port()
    access_log, error_log = tmp_path / "access.log", tmp_path / "error.log"
    base = f"http://127.0.0.1:{port}"

    with access_log.open("w") as stdout, error_log.open("w") as stderr:
        process = subprocess.Popen(  # noqa: S603 (our interpreter, the Procfile's command)
            procfile_web_command(port=port),
            cwd=settings.BASE_DIR,
            env={**os.environ, "DATABASE_URL": database_url(), "LOG_LEVEL": "INFO"},
            stdout=stdout,
            stderr=stderr,
        )
        try:
            wait_for_port(port, process, error_log)
            statuses = [
                get(f"{base}/feeds/{member.feed_token}.ics", referer=f"{base}/rsvp/{SIGNED}/"),
                get(f"{base}/feeds/{stale_token}.ics"),
            ]
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=DEADLINE)

    access, errors = access_log.read_text(), error_log.read_text()
    assert statuses == [200, 404]
    for secret in (member.feed_token, stale_token, SIGNED):
        assert secret not in access
        assert secret not in errors
    # The Procfile's format is gunicorn's default, Apache's combined log format.
    line = (
        r'127\.0\.0\.1 - - \[[^]]+\] "GET /feeds/REDACTED\.ics HTTP/1\.1" {status} \d+ '
        r'"{referer}" "Python-urllib/[\d.]+"'
    )
    [current, stale] = access.splitlines()
    assert re.fullmatch(
        line.format(status=200, referer=re.escape(f"{base}/rsvp/REDACTED/")), current
    )
    assert re.fullmatch(line.format(status=404, referer="-"), stale)
    assert "WARNING django.request Not Found: /feeds/REDACTED.ics" in errors
