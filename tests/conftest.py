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
