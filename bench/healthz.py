"""Can a flood of /healthz slow the site down? Run as `.venv/bin/python bench/healthz.py`.

Issue 9: each /healthz waited on a broker and worker ping for about half a second, so a
dozen concurrent anonymous calls held every web worker and the front page went from 0.1 s to
4 s. This serves a throwaway copy of the site and measures, side by side in one run:

  (a) GET /?tz=Europe/Lisbon, one request at a time, with no other load
  (b) the same, while HAMMERS client threads call GET /healthz in a loop; also /healthz's
      own throughput, median latency and share of 200 answers under that load
  (c) (a) and (b) again on a second server whose REDIS_URL points at a closed port, so the
      broker probe fails at once (what the health check costs without its slow probe)

(a) and (b) take turns in ROUNDS rounds, so a burst of load elsewhere hits both alike.
Each server is warmed up first (every web process has answered /healthz once).

The site is served by gunicorn --workers 2 (sync) on a free loopback port, DEBUG off, from
`--root` (default: this repository; another checkout of the project, such as an older commit
in a `git worktree`, runs on this interpreter). Its database is a fresh SQLite file under
var/bench/ holding the CoP-F series (`migrate`, then `seed_copf`); if the checkout's static
files were collected without the manifest DEBUG off needs, it runs `collectstatic` first and
leaves them, as a deploy would. Redis is expected on REDIS_URL (default 127.0.0.1:6379); no
Celery worker needs to run. Everything else it starts or creates is stopped and removed at
the end.
"""

import argparse
import http.client
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRONT_PAGE = "/?tz=Europe/Lisbon"
HAMMERS = 12
ROUNDS = 2
QUIET_SECONDS = 4.0  # per round, for (a)
LOADED_SECONDS = 8.0  # per round, for (b): at least this long...
LOADED_MIN_SAMPLES = 5  # ...and until this many front pages have come back...
LOADED_DEADLINE = 30.0  # ...but never longer than this
WARMUP_SECONDS = 2.0
CLOSED_REDIS_URL = "redis://127.0.0.1:1/0"
TIMEOUT = 60.0


@dataclass
class Sample:
    """Answers as (status, seconds); status 0 is a request that got none (reset, timeout)."""

    answers: list[tuple[int, float]] = field(default_factory=list)
    seconds: float = 0.0

    def extend(self, other: "Sample") -> None:
        self.answers += other.answers
        self.seconds += other.seconds

    @property
    def latencies(self) -> list[float]:
        return sorted(latency for _, latency in self.answers)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p95_ms(self) -> float:
        latencies = self.latencies
        return latencies[math.ceil(len(latencies) * 0.95) - 1] * 1000

    @property
    def rate(self) -> float:
        return len(self.answers) / self.seconds

    @property
    def share_ok(self) -> float:
        return sum(status == 200 for status, _ in self.answers) / len(self.answers)

    def counts(self) -> str:
        statuses = Counter(status for status, _ in self.answers)
        return ", ".join(f"{code}×{count}" for code, count in sorted(statuses.items()))


@dataclass
class Figures:
    quiet: Sample
    loaded: Sample
    healthz: Sample
    healthz_body: dict[str, object]

    @property
    def ratio(self) -> float:
        return self.loaded.median_ms / self.quiet.median_ms


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def base_env(root: Path, workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        # The served checkout first, ahead of this venv's editable install of the project.
        "PYTHONPATH": str(root),
        "DJANGO_SETTINGS_MODULE": "copf.settings",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
    }


def manage(root: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def prepare_database(root: Path, env: dict[str, str]) -> str:
    manage(root, env, "migrate", "--verbosity", "0")
    return manage(root, env, "seed_copf").strip().replace("\n", "; ")


def start_gunicorn(root: Path, env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    server_env = {**env, "SITE_URL": f"http://127.0.0.1:{port}"}
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "copf.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--worker-class",
                "sync",
                "--log-level",
                "warning",
            ],
            cwd=root,
            env=server_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_until_up(port: int, server: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            status, _ = get(port, "/robots.txt")
        except OSError:
            time.sleep(0.1)
            continue
        if status == 200:
            return
    raise RuntimeError("gunicorn did not answer in time")


def get(port: int, path: str) -> tuple[int, bytes]:
    """One request on a connection of its own: gunicorn's sync workers close it anyway."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def timed_get(port: int, path: str) -> tuple[int, float]:
    began = time.perf_counter()
    try:
        status, _ = get(port, path)
    except OSError:
        status = 0
    return status, time.perf_counter() - began


class Hammer:
    """`threads` clients, each calling `path` in a loop for as long as the `with` block runs.

    Only answers that came back inside the block count: the ones still under way when it
    ends are waited for (no thread is left behind) but not measured.
    """

    def __init__(self, port: int, path: str, threads: int) -> None:
        self.port, self.path = port, path
        self.answers: list[list[tuple[int, float, float]]] = [[] for _ in range(threads)]
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._loop, args=(answers,)) for answers in self.answers
        ]

    def _loop(self, answers: list[tuple[int, float, float]]) -> None:
        while not self.stopping.is_set():
            status, latency = timed_get(self.port, self.path)
            answers.append((status, latency, time.perf_counter()))

    def __enter__(self) -> "Hammer":
        self.began = time.perf_counter()
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.ended = time.perf_counter()
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def result(self) -> Sample:
        return Sample(
            [
                (status, latency)
                for answers in self.answers
                for status, latency, finished in answers
                if finished <= self.ended
            ],
            self.ended - self.began,
        )


def front_pages(port: int, *, seconds: float, min_samples: int = 1) -> Sample:
    """The front page, one request at a time, for `seconds` and at least `min_samples`."""
    sample = Sample()
    began = time.perf_counter()
    while True:
        elapsed = time.perf_counter() - began
        enough = elapsed >= seconds and len(sample.answers) >= min_samples
        if enough or elapsed >= LOADED_DEADLINE:
            break
        sample.answers.append(timed_get(port, FRONT_PAGE))
    sample.seconds = time.perf_counter() - began
    return sample


def measure(root: Path, env: dict[str, str], workdir: Path) -> Figures:
    port = free_port()
    server = start_gunicorn(root, env, port, workdir / f"gunicorn-{port}.log")
    try:
        wait_until_up(port, server)
        status, body = get(port, FRONT_PAGE)
        assert status == 200, (status, body[:500])
        # Every web process answers /healthz once, so no process's first probe is measured.
        with Hammer(port, "/healthz", HAMMERS):
            time.sleep(WARMUP_SECONDS)
        status, body = get(port, "/healthz")
        healthz_body = json.loads(body)

        quiet, loaded, healthz = Sample(), Sample(), Sample()
        for _ in range(ROUNDS):
            quiet.extend(front_pages(port, seconds=QUIET_SECONDS))
            with Hammer(port, "/healthz", HAMMERS) as hammer:
                loaded.extend(
                    front_pages(port, seconds=LOADED_SECONDS, min_samples=LOADED_MIN_SAMPLES)
                )
            healthz.extend(hammer.result())
        return Figures(quiet, loaded, healthz, healthz_body)
    finally:
        stop(server)


def commit_of(root: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), "log", "-1", "--format=%h %s"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip()[:90] or "(not a git checkout)"


def report(live: Figures, closed: Figures) -> None:
    print(
        f"{'':<46} {'front page':^21}   {'/healthz under that load':^26}\n"
        f"{'':<46} {'median':>9} {'p95':>10}   {'req/s':>7} {'median':>9} {'200s':>7}"
    )
    rows = [
        ("(a) front page, no other load", live.quiet, None),
        (f"(b) front page, {HAMMERS} threads on /healthz", live.loaded, live.healthz),
        ("(c) REDIS_URL closed: front page, no load", closed.quiet, None),
        (f"(c) REDIS_URL closed: {HAMMERS} threads on /healthz", closed.loaded, closed.healthz),
    ]
    for name, front, healthz in rows:
        line = f"{name:<46} {front.median_ms:6.0f} ms {front.p95_ms:7.0f} ms"
        if healthz is None:
            line += " " * 31
        else:
            line += f"   {healthz.rate:7.1f} {healthz.median_ms:6.0f} ms {healthz.share_ok:7.1%}"
        line += f"   front page {front.counts()}"
        if healthz is not None:
            line += f"; /healthz {healthz.counts()}"
        print(line)
    print(f"ratio (b)/(a), median front page: {live.ratio:.2f}")
    print(f"ratio loaded/quiet with REDIS_URL closed (c): {closed.ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--root",
        type=Path,
        default=ROOT,
        help="the project checkout to serve (default: the one this file is in)",
    )
    root = parser.parse_args().root.resolve()
    if not (root / "manage.py").exists():
        parser.error(f"{root} has no manage.py")

    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="healthz-", dir=ROOT / "var" / "bench"))
    try:
        began = time.perf_counter()
        env = base_env(root, workdir)
        if not (root / "var" / "staticfiles" / "staticfiles.json").exists():
            # With DEBUG off pages name their static files through the manifest, which a
            # collectstatic run under DEBUG does not write. Like a deploy, this one stays.
            manage(root, env, "collectstatic", "--noinput", "--verbosity", "0")
            print(f"collected static files with DEBUG off into {root / 'var' / 'staticfiles'}")
        seeded = prepare_database(root, env)
        print(f"serving {root} at {commit_of(root)}")
        print(f"set-up in {time.perf_counter() - began:.1f} s: {seeded}")
        print(
            f"gunicorn --workers 2 (sync); {HAMMERS} /healthz threads; {ROUNDS} rounds of "
            f"{QUIET_SECONDS:.0f} s quiet and ≥{LOADED_SECONDS:.0f} s loaded "
            f"(≥{LOADED_MIN_SAMPLES} front pages, ≤{LOADED_DEADLINE:.0f} s) per server"
        )
        live_redis = env.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        figures = []
        for redis_url in (live_redis, CLOSED_REDIS_URL):
            result = measure(root, {**env, "REDIS_URL": redis_url}, workdir)
            print(f"REDIS_URL={redis_url}: anonymous /healthz said {result.healthz_body}")
            figures.append(result)
        report(*figures)
        print(f"total {time.perf_counter() - began:.0f} s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
