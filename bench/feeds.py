"""How fast are the iCal feeds next to a trivial view? Run as `.venv/bin/python bench/feeds.py`.

Builds a throwaway SQLite database under var/bench/ with 500 meetings, serves it with
gunicorn on a free loopback port (DEBUG off), and measures side by side in one run:

  (a) GET /calendar.ics, unchanged feed (the bytes come from the per-process cache)
  (b) GET /robots.txt, a trivial view
  (c) GET /calendar.ics with If-None-Match (the 304 path)
  (d) cold renders: the first request after a meeting changed (full build)

A bounded number of requests from a few client threads, each on its own keep-alive
connection (gunicorn's sync workers close it after each answer, and http.client reopens
it). Everything it starts or creates is stopped and removed at the end.
"""

import http.client
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from http_load import (
    ROOT,
    Result,
    bench_environment,
    free_port,
    get,
    hammer,
    start_gunicorn,
    stop,
    wait_until_up,
)

MEETINGS = 500
REQUESTS = 2000
THREADS = 4
ROUNDS = 4  # (a), (b) and (c) take turns, so a burst of load elsewhere hits all three alike
COLD_RENDERS = 10
WARMUP = 20
FEED_VERSION_MEMO = 2.1


def prepare_database(workdir: Path) -> dict[str, str]:
    """Migrate a fresh SQLite file and fill it with one daily series of 500 meetings."""
    env = bench_environment(workdir)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from meetings import services
    from meetings.models import Series

    call_command("migrate", verbosity=0)
    now = timezone.now()
    series = Series.objects.create(
        slug="daily-practice",
        name="Daily practice 🎯 Ünïcödé",
        description="A short practice round.\nBring a question.",
        rrule="FREQ=DAILY",
        anchor_timezone="Europe/Berlin",
        start_date=now.date(),
        start_time=(now + timedelta(hours=1)).time().replace(second=0, microsecond=0),
        duration=timedelta(minutes=60),
        join_url="https://meet.example.org/daily",
    )
    services.materialize_series(series=series, until=now + timedelta(days=MEETINGS))
    count = series.meetings.count()
    assert count in (MEETINGS, MEETINGS - 1, MEETINGS + 1), count
    return env


def cold_renders(port: int, touch: Callable[[int], None]) -> Result:
    """One request after each change: every one misses the cache and builds the feed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies = []
    statuses: dict[int, int] = {}
    for n in range(COLD_RENDERS):
        touch(n)
        # Another process made the change: each server process trusts the version it read
        # for meetings.feeds.FRESH_SECONDS, so wait that long for the change to be seen.
        time.sleep(FEED_VERSION_MEMO)
        began = time.perf_counter()
        status, _, _ = get(connection, "/calendar.ics", {})
        latencies.append(time.perf_counter() - began)
        statuses[status] = statuses.get(status, 0) + 1
    connection.close()
    return Result(
        "(d) cold render after a change", COLD_RENDERS, sum(latencies), statuses, latencies
    )


def touch_a_meeting(n: int) -> None:
    """A change the feed shows: a new `updated_at`, so a new ETag on the next request."""
    from django.utils import timezone

    from meetings.models import Meeting

    first = Meeting.objects.order_by("pk").values_list("pk", flat=True)[n % 10]
    Meeting.objects.filter(pk=first).update(updated_at=timezone.now())


def main() -> None:
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="feeds-", dir=ROOT / "var" / "bench"))
    server = None
    try:
        began = time.perf_counter()
        env = prepare_database(workdir)
        print(f"set-up: migrated and created 500 meetings in {time.perf_counter() - began:.1f} s")
        port = free_port()
        server = start_gunicorn("copf.wsgi:application", env, port, workdir / "gunicorn.log")
        wait_until_up(port, server, path="/robots.txt")

        probe = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        status, body, headers = get(probe, "/calendar.ics", {})
        probe.close()
        assert status == 200, status
        etag = headers["ETag"]
        events = body.count(b"BEGIN:VEVENT")
        print(f"feed: {events} events, {len(body):,} bytes, ETag {etag}")
        print(
            f"{REQUESTS} requests each for (a)-(c) from {THREADS} threads, in {ROUNDS} "
            f"interleaved rounds; {COLD_RENDERS} for (d); gunicorn --workers 2 (sync)"
        )

        scenarios = [
            ("(a) GET /calendar.ics (unchanged)", "/calendar.ics", {}),
            ("(b) GET /robots.txt (trivial view)", "/robots.txt", {}),
            ("(c) GET /calendar.ics If-None-Match (304)", "/calendar.ics", {"If-None-Match": etag}),
        ]
        totals: dict[str, Result] = {}
        for _ in range(ROUNDS):
            for name, path, request_headers in scenarios:
                result = hammer(
                    name,
                    port,
                    path,
                    request_headers,
                    REQUESTS // ROUNDS,
                    connections=THREADS,
                    warmup=WARMUP,
                )
                totals[name] = totals[name].add(result) if name in totals else result
        feed, trivial, not_modified = totals.values()
        cold = cold_renders(port, touch_a_meeting)
        for result in (feed, trivial, not_modified, cold):
            print(result.line())
        print(f"ratio feed/trivial:       {feed.rate / trivial.rate:.2f}")
        print(f"ratio 304/trivial:        {not_modified.rate / trivial.rate:.2f}")
        print(f"ratio cold render/trivial: {cold.rate / trivial.rate:.3f}")
    finally:
        stop(server)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
