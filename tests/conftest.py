import pytest

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
