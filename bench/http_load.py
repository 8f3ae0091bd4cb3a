"""What the HTTP benchmarks share: a result with its rate, and a load generator of threads,
each on its own keep-alive http.client connection to a server on loopback."""

import http.client
import os
import signal
import socket
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    statuses: dict[int, int]
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def add(self, other: "Result") -> "Result":
        statuses = dict(self.statuses)
        for status, count in other.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
        return Result(
            self.name,
            self.requests + other.requests,
            self.seconds + other.seconds,
            statuses,
            self.latencies + other.latencies,
        )

    def line(self, baseline: "Result | None" = None) -> str:
        """Rate (and its ratio to `baseline`), median and 95th-percentile latency, statuses."""
        statuses = ", ".join(f"{code}×{count}" for code, count in sorted(self.statuses.items()))
        median_ms = statistics.median(self.latencies) * 1000
        p95_ms = sorted(self.latencies)[int(len(self.latencies) * 0.95) - 1] * 1000
        ratio = f"{self.rate / baseline.rate:5.2f}×  " if baseline else ""
        return (
            f"{self.name:<44} {self.rate:8.0f} req/s  {ratio}median {median_ms:6.2f} ms  "
            f"p95 {p95_ms:6.2f} ms  [{statuses}]"
        )


def bench_environment(workdir: Path) -> dict[str, str]:
    """The environment for a throwaway site: its own SQLite file in `workdir`, DEBUG off."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "copf.settings",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(
    connection: http.client.HTTPConnection, path: str, headers: dict[str, str]
) -> tuple[int, bytes, dict[str, str]]:
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    return response.status, body, dict(response.getheaders())


def hammer(
    name: str,
    port: int,
    path: str,
    headers: dict[str, str],
    requests: int,
    *,
    connections: int,
    warmup: int,
) -> Result:
    """`requests` requests from `connections` threads, each on its own connection, after
    `warmup` requests that are not counted."""
    per_thread = requests // connections
    latencies: list[list[float]] = [[] for _ in range(connections)]
    statuses: list[dict[int, int]] = [{} for _ in range(connections)]
    start = threading.Barrier(connections + 1)

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(warmup // connections):
            get(connection, path, headers)
        start.wait()
        for _ in range(per_thread):
            began = time.perf_counter()
            status, _, _ = get(connection, path, headers)
            latencies[index].append(time.perf_counter() - began)
            statuses[index][status] = statuses[index].get(status, 0) + 1
        connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    merged: dict[int, int] = {}
    for counts in statuses:
        for status, count in counts.items():
            merged[status] = merged.get(status, 0) + count
    return Result(
        name, per_thread * connections, seconds, merged, [t for one in latencies for t in one]
    )


def stop(server: subprocess.Popen | None) -> None:
    if server is None or server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def start_gunicorn(app: str, env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    """`app` under gunicorn as the benchmarks run it: two sync workers, the project's
    gunicorn.conf.py, on loopback; its output goes to `log`."""
    server_env = {**env, "SITE_URL": f"http://127.0.0.1:{port}"}
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                app,
                "--config",
                str(ROOT / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=server_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_until_up(port: int, server: subprocess.Popen, *, path: str, timeout: float = 30) -> None:
    """Wait until `path` answers 200, or fail if the server exits or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not answer in time")
