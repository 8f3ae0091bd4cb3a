import json
import os

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from copf import health
from members.deliveries import outage


def redis_is_up() -> bool:
    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def missing_cache_table(transactional_db):
    """The database as a `migrate` without the cache table left it; put back afterwards."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {connection.ops.quote_name('copf_cache')}")
    yield
    call_command("createcachetable", verbosity=0)


@pytest.mark.django_db
class TestHealthz:
    def test_reports_the_database_and_the_cache_as_ok(self, client):
        response = client.get("/healthz")

        body = json.loads(response.content)
        assert response.status_code == 200
        assert (body["status"], body["database"], body["cache"]) == ("ok", "ok", "ok")
        assert response["Content-Type"] == "application/json"
        assert "no-cache" in response["Cache-Control"]

    def test_reports_the_real_broker_state(self, client):
        if not redis_is_up():
            if os.environ.get("CI", "").strip().lower() == "true":
                pytest.fail("Redis is not running on REDIS_URL (CI=true, so this is not skipped)")
            pytest.skip("Redis is not running on REDIS_URL")

        body = json.loads(client.get("/healthz").content)

        assert body["broker"] == "ok"
        assert body["workers"]["state"] in {"ok", "none"}

    def test_an_unreachable_broker_is_reported_but_the_page_still_answers(self, client, settings):
        settings.REDIS_URL = "redis://127.0.0.1:1/0"

        response = client.get("/healthz")

        body = json.loads(response.content)
        assert response.status_code == 200
        assert (body["broker"], body["workers"]) == ("unreachable", {"state": "none", "count": 0})

    def test_a_broken_database_gives_503(self, client, monkeypatch):
        monkeypatch.setattr(health, "database_state", lambda: "error")

        response = client.get("/healthz")

        assert response.status_code == 503
        assert json.loads(response.content)["status"] == "error"

    def test_a_missing_cache_table_gives_503_and_is_named(self, client, missing_cache_table):
        response = client.get("/healthz")

        body = json.loads(response.content)
        assert response.status_code == 503
        assert (body["status"], body["database"]) == ("error", "ok")
        assert body["cache"] == "missing table copf_cache (run migrate)"

    def test_a_broken_cache_gives_503(self, client, monkeypatch):
        monkeypatch.setattr(health, "cache_state", lambda: "error")

        response = client.get("/healthz")

        assert response.status_code == 503
        assert json.loads(response.content)["status"] == "error"

    def test_refuses_post(self, client):
        assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
class TestMailState:
    def test_says_mail_is_ok_while_the_server_takes_our_mail(self, client):
        body = json.loads(client.get("/healthz").content)

        assert body["mail"] == {"state": "ok"}

    def test_says_mail_is_failing_and_why_while_the_server_refuses_us(self, client):
        now = timezone.now()
        status = outage.record_failure(reason="SMTP 535: 5.7.8 Bad credentials", now=now)

        response = client.get("/healthz")

        body = json.loads(response.content)
        assert response.status_code == 200
        assert body["mail"] == {
            "state": "failing",
            "since": now.isoformat(),
            "reason": "SMTP 535: 5.7.8 Bad credentials",
            "retry_at": status.paused_until.isoformat(),
            "waiting": 0,
        }
