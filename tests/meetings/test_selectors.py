from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from meetings import selectors
from tests.factories import MeetingFactory, SeriesFactory

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.mark.django_db
class TestPublicFeedVersion:
    def test_says_what_the_orm_aggregate_says(self):
        east, west = SeriesFactory(), SeriesFactory()
        for days in (-100, -80, 3, 40):
            MeetingFactory(series=east, starts_at=NOW + timedelta(days=days))
        MeetingFactory(series=west, starts_at=NOW + timedelta(days=5))

        assert selectors.public_feed_version() == selectors.feed_version(selectors.feed_meetings())
        assert selectors.public_feed_version(series=east) == selectors.feed_version(
            selectors.feed_meetings(series=east)
        )
        assert selectors.public_feed_version(series=east).count == 3

    def test_of_an_empty_schedule_is_all_empty(self, db):
        assert selectors.public_feed_version() == selectors.FeedVersion(
            count=0, last_id=None, updated=None, series_updated=None
        )
