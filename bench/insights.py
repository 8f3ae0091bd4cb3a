"""How long does `/insights/` take to render, beside the schedule page, on the same data?
Run as `.venv/bin/python bench/insights.py [--members 5000] [--meetings 200]`
(`--database-url postgres://postgres@127.0.0.1:5432/copf_insights_bench` for PostgreSQL: an
empty database of yours, which it fills and empties again).

Builds a throwaway SQLite database under var/bench/ (migrated, CoP-F East and West seeded
with their roles), then adds N members in a spread of zones and M held meetings over the last
twelve months, shared between East and West: at each meeting a core of 40 and 40 others in
turns (so every member comes a few times a year) answered yes and four in five came; one answer
in twenty waited on the waitlist, half of those promoted; four or five of the five roles are
filled. It renders each page in this process with Django's test client
(DEBUG off), ROUNDS times after a warm-up, and prints the median and the slowest time and the
number of queries of:

  (a) GET /            the schedule, anonymous (its body is cached between requests)
  (b) GET /  signed in  the schedule for a member
  (c) GET /insights/   the organizers' figures for the last 12 months, all tracks

Everything it creates is removed at the end (BENCH_KEEP=1 keeps it).
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from http_load import ROOT, bench_environment

ROUNDS = 15
CORE = 40  # members who come to most meetings
OCCASIONAL = 40  # others at each meeting, in turns
ZONES = [
    "America/Los_Angeles",
    "America/New_York",
    "America/Sao_Paulo",
    "UTC",
    "Europe/Lisbon",
    "Europe/Berlin",
    "Africa/Nairobi",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
]


def setup_django(workdir: Path, database_url: str | None) -> None:
    env = bench_environment(workdir)
    if database_url:
        env["DATABASE_URL"] = database_url
    for variable in ("DATABASE_URL", "DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"):
        os.environ[variable] = env[variable]
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    call_command("seed_copf", stdout=open(os.devnull, "w"))  # noqa: SIM115


def build(*, members: int, meetings: int) -> tuple[object, object]:
    """The data; returns (an organizer, a member)."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from meetings.models import Meeting, Series
    from members.models import Attendance, Role, RoleAssignment, Rsvp, User
    from members.practice.roles import give_default_roles

    password = make_password("bench")
    users = User.objects.bulk_create(
        User(
            email=f"member{n}@example.org",
            password=password,
            timezone=ZONES[n % len(ZONES)],
            display_name=f"Member {n}",
        )
        for n in range(members)
    )
    organizer = User.objects.create_superuser(email="organizer@example.org", password=None)
    tracks = list(Series.objects.order_by("slug"))
    for series in tracks:
        give_default_roles(series=series)
    slugs = list(Role.objects.filter(series=tracks[0]).values_list("slug", flat=True))
    now = timezone.now().replace(second=0, microsecond=0)
    step = timedelta(days=365) / meetings
    held = Meeting.objects.bulk_create(
        Meeting(
            series=tracks[n % len(tracks)],
            title=tracks[n % len(tracks)].name,
            starts_at=now - timedelta(hours=2) - n * step,
            ends_at=now - timedelta(hours=2) - n * step + timedelta(minutes=90),
            original_start=now - timedelta(hours=2) - n * step,
            is_extra=True,
        )
        for n in range(meetings)
    )
    attendances, answers, roles = [], [], []
    core = users[:CORE]
    for i, meeting in enumerate(held):
        # The core comes to most meetings; the others in turns, a few times a year each.
        start = CORE + (i * OCCASIONAL) % (members - CORE)
        occasional = (users[CORE:] * 2)[start - CORE : start - CORE + OCCASIONAL]
        for n, user in enumerate([*core, *occasional]):
            attendances.append(
                Attendance(meeting=meeting, user=user, present=(n + i) % 5 > 0, source="marked")
            )
            waited = n % 20 == 0
            answers.append(
                Rsvp(
                    meeting=meeting,
                    user=user,
                    response="yes",
                    waitlisted_at=meeting.starts_at - timedelta(days=2)
                    if waited and n % 40
                    else None,
                    promoted_at=meeting.starts_at - timedelta(days=1)
                    if waited and not n % 40
                    else None,
                )
            )
        for r, slug in enumerate(slugs[: 4 + i % 2]):
            roles.append(RoleAssignment(meeting=meeting, role=slug, user=core[(i * 7 + r) % CORE]))
    Attendance.objects.bulk_create(attendances, batch_size=5000)
    Rsvp.objects.bulk_create(answers, batch_size=5000)
    RoleAssignment.objects.bulk_create(roles, batch_size=5000)
    return organizer, users[0]


def timed(client: object, path: str) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(path)  # warm-up
    assert response.status_code == 200, response.status_code
    times = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - began)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    return times, len(queries), len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--meetings", type=int, default=200)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default SQLite)")
    options = parser.parse_args()
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="insights-", dir=ROOT / "var" / "bench"))
    try:
        began = time.perf_counter()
        setup_django(workdir, options.database_url)
        organizer, member = build(members=options.members, meetings=options.meetings)
        print(
            f"set-up: {options.members} members, {options.meetings} held meetings "
            f"in {time.perf_counter() - began:.1f} s"
        )
        from django.test import Client
        from django.test.utils import setup_test_environment

        from members.models import Attendance, Rsvp

        setup_test_environment()  # the test client's response.context and templates
        print(f"{Attendance.objects.count():,} attendance rows, {Rsvp.objects.count():,} answers")
        from django.db import connection

        print(
            f"{ROUNDS} renders each, in-process (Django test client), DEBUG off, "
            f"{connection.vendor}, Python {sys.version.split()[0]}"
        )
        visitor, signed_in, organizing = Client(), Client(), Client()
        signed_in.force_login(member)
        organizing.force_login(organizer)
        rows = [
            ("(a) GET / anonymous", visitor, "/?tz=Europe/Lisbon"),
            ("(b) GET / signed-in member", signed_in, "/"),
            ("(c) GET /insights/ organizer", organizing, "/insights/"),
        ]
        print(f"{'page':<32} {'median':>9} {'slowest':>9} {'queries':>8} {'bytes':>9}")
        for name, client, path in rows:
            times, queries, size = timed(client, path)
            print(
                f"{name:<32} {statistics.median(times) * 1000:>7.1f}ms "
                f"{max(times) * 1000:>7.1f}ms {queries:>8} {size:>9,}"
            )
    finally:
        if options.database_url and "django" in sys.modules:
            from django.core.management import call_command

            call_command("flush", "--noinput", verbosity=0)
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
