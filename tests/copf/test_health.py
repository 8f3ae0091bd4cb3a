import json
import threading

import pytest
import redis
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from copf import health
from members.deliveries import outage
from tests.factories import UserFactory
from tests.services import require

MONITOR = {"Authorization": "Bearer monitor-secret"}


def redis_is_up() -> bool:
    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def require_redis() -> None:
    require(redis_is_up(), "Redis is not running on REDIS_URL")


@pytest.fixture(autouse=True)
def fresh_probe():
    """Each test probes the broker as its own settings say."""
    health.background.reset()
    yield
    health.background.reset()


@pytest.fixture
def monitor_token(settings):
    settings.HEALTHZ_TOKEN = "monitor-secret"


@pytest.fixture
def missing_cache_table(transactional_db):
    """The database as a `migrate` without the cache table left it; put back afterwards."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {connection.ops.quote_name('copf_cache')}")
    yield
    call_command("createcachetable", verbosity=0)


def broken(*args: object, **kwargs: object) -> None:
    raise RuntimeError("down")


@pytest.mark.django_db
class TestWhatAnyoneSees:
    def test_reports_the_database_and_the_cache_as_ok(self, client):
        response = client.get("/healthz")

        body = json.loads(response.content)
        assert response.status_code == 200
        assert (body["status"], body["database"], body["cache"]) == ("ok", "ok", "ok")
        assert response["Content-Type"] == "application/json"
        assert "no-cache" in response["Cache-Control"]

    def test_costs_one_database_query(self, client, django_assert_num_queries):
        client.get("/healthz")  # the first answer waits for the broker probe

        with django_assert_num_queries(1):
            assert client.get("/healthz").status_code == 200

    def test_tells_a_stranger_no_worker_count_and_nothing_about_mail(self, client):
        body = json.loads(client.get("/healthz").content)

        assert set(body) == {"status", "database", "cache", "broker", "workers"}
        assert set(body["workers"]) == {"state"}

    def test_reports_the_real_broker_state(self, client):
        require_redis()

        body = json.loads(client.get("/healthz").content)

        assert body["broker"] == "ok"
        assert body["workers"]["state"] in {"ok", "none"}

    def test_an_unreachable_broker_is_reported_but_the_page_still_answers(self, client, settings):
        settings.REDIS_URL = "redis://127.0.0.1:1/0"

        response = client.get("/healthz")

        body = json.loads(response.content)
        assert response.status_code == 200
        assert (body["broker"], body["workers"]) == ("unreachable", {"state": "none"})

    def test_a_broken_database_gives_503(self, client, monkeypatch):
        monkeypatch.setattr(caches["default"], "get", broken)
        monkeypatch.setattr(health, "database_state", lambda: "error")

        response = client.get("/healthz")

        body = json.loads(response.content)
        assert response.status_code == 503
        assert (body["status"], body["database"]) == ("error", "error")

    def test_a_missing_cache_table_gives_503_and_is_named(self, client, missing_cache_table):
        response = client.get("/healthz")

        body = json.loads(response.content)
        assert response.status_code == 503
        assert (body["status"], body["database"]) == ("error", "ok")
        assert body["cache"] == "missing table copf_cache (run migrate)"

    def test_a_broken_cache_gives_503(self, client, monkeypatch):
        monkeypatch.setattr(caches["default"], "get", broken)

        response = client.get("/healthz")

        body = json.loads(response.content)
        assert response.status_code == 503
        assert (body["status"], body["database"], body["cache"]) == ("error", "ok", "error")

    def test_refuses_post(self, client):
        assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
class TestWhatAMonitorSees:
    def test_a_monitor_with_the_token_gets_the_worker_count_and_the_mail_state(
        self, client, settings, monitor_token
    ):
        settings.REDIS_URL = "redis://127.0.0.1:1/0"

        body = json.loads(client.get("/healthz", headers=MONITOR).content)

        assert body["workers"] == {"state": "none", "count": 0}
        assert body["mail"] == {"state": "ok"}

    def test_a_wrong_token_gets_what_anyone_gets(self, client, monitor_token):
        body = json.loads(client.get("/healthz", headers={"Authorization": "Bearer guess"}).content)

        assert "mail" not in body

    def test_no_token_is_configured_so_no_bearer_is_a_monitor(self, client, settings):
        settings.HEALTHZ_TOKEN = ""

        body = json.loads(client.get("/healthz", headers={"Authorization": "Bearer "}).content)

        assert "mail" not in body

    def test_staff_signed_in_get_the_details(self, client, staff):
        client.force_login(staff)

        assert "mail" in json.loads(client.get("/healthz").content)

    def test_members_who_are_not_staff_do_not(self, client):
        client.force_login(UserFactory())

        assert "mail" not in json.loads(client.get("/healthz").content)

    def test_says_mail_is_failing_and_why_while_the_server_refuses_us(self, client, monitor_token):
        now = timezone.now()
        status = outage.record_failure(reason="SMTP 535: 5.7.8 Bad credentials", now=now)

        response = client.get("/healthz", headers=MONITOR)

        body = json.loads(response.content)
        assert response.status_code == 200
        assert body["mail"] == {
            "state": "failing",
            "since": now.isoformat(),
            "reason": "SMTP 535: 5.7.8 Bad credentials",
            "retry_at": status.paused_until.isoformat(),
            "waiting": 0,
        }


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingProbe:
    """A slow probe: each call waits until the test lets it finish."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = threading.Event()
        self.finished = threading.Event()

    def __call__(self) -> health.Background:
        self.calls += 1
        self.release.wait(timeout=5)
        self.finished.set()
        return health.Background(broker="ok", workers=self.calls)


class TestCachedProbe:
    def test_many_concurrent_first_reads_run_the_probe_once(self):
        probe = CountingProbe()
        cached = health.CachedProbe(probe, ttl=10, clock=Clock())
        results = []
        readers = [
            threading.Thread(target=lambda: results.append(cached.read())) for _ in range(12)
        ]

        for reader in readers:
            reader.start()
        probe.release.set()
        for reader in readers:
            reader.join(timeout=5)

        assert probe.calls == 1
        assert results == [health.Background(broker="ok", workers=1)] * 12

    def test_reads_within_the_ttl_do_not_probe_again(self):
        probe = CountingProbe()
        probe.release.set()
        clock = Clock()
        cached = health.CachedProbe(probe, ttl=10, clock=clock)

        cached.read()
        clock.now += 9.9
        cached.read()

        assert probe.calls == 1

    def test_a_stale_result_is_served_at_once_while_one_refresh_runs_behind(self):
        probe = CountingProbe()
        probe.release.set()
        clock = Clock()
        cached = health.CachedProbe(probe, ttl=10, clock=clock)
        cached.read()
        probe.release.clear()
        probe.finished.clear()
        clock.now += 10

        served = [cached.read() for _ in range(5)]  # the refresh is still waiting

        assert served == [health.Background(broker="ok", workers=1)] * 5
        probe.release.set()
        assert probe.finished.wait(timeout=5)
        for _ in range(100):
            if cached.read().workers == 2:
                break
            threading.Event().wait(0.01)
        assert cached.read() == health.Background(broker="ok", workers=2)
        assert probe.calls == 2
