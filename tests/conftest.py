import pytest
from django.core.cache import caches

from meetings.feeds import public_feeds
from tests.factories import MeetingFactory, SeriesFactory, UserFactory


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def series(db):
    return SeriesFactory()


@pytest.fixture
def meeting(db):
    return MeetingFactory()


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Hashing with PBKDF2 makes every factory user cost ~0.2 s; tests don't need the strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def published_deliveries(monkeypatch):
    """Delivery ids handed to the broker. Tests that want a real Celery worker on Redis
    put the real `publish` back."""
    published: list[int] = []

    def record(task_name: str, calls: list[list[object]]) -> None:
        assert task_name in {"members.send_delivery", "members.send_deliveries"}
        for args in calls:
            published.extend(args[0] if isinstance(args[0], list) else [args[0]])

    monkeypatch.setattr("copf.lib.broker.publish", record)
    return published


@pytest.fixture(autouse=True)
def fresh_feed_memo():
    """The per-process memo of feed versions and the per-process page copies outlive a
    test's rolled-back database."""
    public_feeds.clear()
    caches["pages"].clear()
    caches["ratelimit"].clear()
    yield
    public_feeds.clear()
    caches["pages"].clear()
    caches["ratelimit"].clear()
