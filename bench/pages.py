"""How fast are the front page and the feeds next to bare Django? Run as
`.venv/bin/python bench/pages.py`.

Builds a throwaway SQLite database under var/bench/ with the seeded CoP-F data
(`seed_copf`), and serves it twice with gunicorn (`-w 2`, sync workers, the project's
gunicorn.conf.py, DEBUG off) on free loopback ports: the app itself, and bench/hello.py, a
Django view that says hello on the same settings. Then, in turns, so that a burst of load
elsewhere hits every path alike:

  (0) GET /                                  bare Django "hello" (the baseline)
  (a) GET /?tz=Europe/Lisbon                 anonymous front page
  (b) GET /calendar.ics                      unchanged feed, 200
  (c) GET /calendar.ics If-None-Match        unchanged feed, 304
  (d) GET /  signed in (Europe/Lisbon)        a member's front page: the shared body from
                                             the cache, their own answers rendered

each from CONNECTIONS threads on keep-alive http.client connections (gunicorn's sync
workers close them after each answer; http.client reopens). It prints requests/s and the
ratio of each to (0). Everything it starts or creates is stopped and removed at the end.
"""

import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from http_load import (
    ROOT,
    VENV_BIN,
    Result,
    bench_environment,
    free_port,
    get,
    hammer,
    start_gunicorn,
    stop,
    wait_until_up,
)

REQUESTS = 4000  # per path, over all rounds
CONNECTIONS = 8
ROUNDS = 4
WARMUP = 40


def prepare_database(workdir: Path) -> dict[str, str]:
    """Migrate a fresh SQLite file and seed CoP-F East and West."""
    env = bench_environment(workdir)
    for variable in ("DATABASE_URL", "DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"):
        os.environ[variable] = env[variable]
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    # DEBUG off serves the page's assets from the manifest that collectstatic writes.
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "seed_copf"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return env


# A verified member in Lisbon who answered the next East session, signed in through a
# session made the way Django's login makes one; prints the session key.
MEMBER_SESSION = """
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.utils.module_loading import import_string
from meetings.models import Meeting
from members.models import User
from members.services import set_rsvp

user = User.objects.create_user(email="bench@example.org", password="x", timezone="Europe/Lisbon")
EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
meeting = Meeting.objects.filter(title="CoP-F East").order_by("starts_at").first()
set_rsvp(user=user, meeting=meeting, response="yes")
session = import_string(settings.SESSION_ENGINE + ".SessionStore")()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


def member_session(env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "shell", "-c", MEMBER_SESSION],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.split()[-1]


def main() -> None:
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="pages-", dir=ROOT / "var" / "bench"))
    app = hello = None
    try:
        began = time.perf_counter()
        env = prepare_database(workdir)
        print(f"set-up: migrated and seeded CoP-F in {time.perf_counter() - began:.1f} s")
        app_port, hello_port = free_port(), free_port()
        app = start_gunicorn("copf.wsgi:application", env, app_port, workdir / "app.log")
        hello = start_gunicorn("bench.hello:application", env, hello_port, workdir / "hello.log")
        wait_until_up(app_port, app, path="/robots.txt")
        wait_until_up(hello_port, hello, path="/")

        member = {"Cookie": f"sessionid={member_session(env)}"}
        probe = http.client.HTTPConnection("127.0.0.1", app_port, timeout=10)
        status, body, headers = get(probe, "/calendar.ics", {})
        assert status == 200, status
        etag = headers["ETag"]
        status, page, _ = get(probe, "/?tz=Europe/Lisbon", {})
        assert status == 200, status
        assert b"Europe/Lisbon" in page
        status, own, _ = get(probe, "/", member)
        assert status == 200, status
        assert b'aria-pressed="true"' in own, "the member's page shows their answer"
        probe.close()
        print(
            f"front page {len(page):,} bytes; feed {body.count(b'BEGIN:VEVENT')} events, "
            f"{len(body):,} bytes"
        )
        print(
            f"{REQUESTS} requests per path from {CONNECTIONS} connections, in {ROUNDS} "
            f"rounds taking turns; gunicorn -w 2 (sync), DEBUG off, SQLite, Python "
            f"{sys.version.split()[0]}"
        )

        scenarios = [
            ("(0) GET / bare Django hello", hello_port, "/", {}),
            ("(a) GET /?tz=Europe/Lisbon anonymous", app_port, "/?tz=Europe/Lisbon", {}),
            ("(b) GET /calendar.ics (200)", app_port, "/calendar.ics", {}),
            ("(c) GET /calendar.ics (304)", app_port, "/calendar.ics", {"If-None-Match": etag}),
            ("(d) GET / signed-in member", app_port, "/", member),
        ]
        totals: dict[str, Result] = {}
        for _ in range(ROUNDS):
            for name, port, path, request_headers in scenarios:
                result = hammer(
                    name,
                    port,
                    path,
                    request_headers,
                    REQUESTS // ROUNDS,
                    connections=CONNECTIONS,
                    warmup=WARMUP,
                )
                totals[name] = totals[name].add(result) if name in totals else result
        baseline = totals[scenarios[0][0]]
        print(f"{'path':<40} {'rate':>13}  ratio to (0)")
        for result in totals.values():
            print(result.line(baseline))
    finally:
        stop(app)
        stop(hello)
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
