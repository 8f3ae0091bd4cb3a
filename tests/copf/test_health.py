import json
import os

import pytest
import redis
from django.conf import settings

from copf import health


def redis_is_up() -> bool:
    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.mark.django_db
class TestHealthz:
    def test_reports_the_database_as_ok(self, client):
        response = client.get("/healthz")

        body = json.loads(response.content)
        assert response.status_code == 200
        assert (body["status"], body["database"]) == ("ok", "ok")
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

    def test_refuses_post(self, client):
        assert client.post("/healthz").status_code == 405
