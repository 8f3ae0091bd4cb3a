from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from meetings.models import PLACEHOLDER_JOIN_URL, Meeting, Series
from tests.factories import MeetingFactory, SeriesFactory


@pytest.mark.parametrize("start_date", [date(9999, 12, 31), date(1, 1, 1)])
def test_a_series_starting_at_the_edge_of_the_calendar_is_invalid_for_its_start_date_only(
    db, start_date
):
    series = SeriesFactory.build(start_date=start_date, anchor_timezone="Asia/Tokyo")

    with pytest.raises(ValidationError) as caught:
        series.full_clean()

    assert caught.value.message_dict == {"start_date": ["Enter a date in the years 1970 to 2200."]}


def test_a_meeting_starting_at_the_edge_of_the_calendar_is_invalid(db):
    meeting = MeetingFactory.build(series=SeriesFactory(), starts_at=datetime(1, 1, 1, tzinfo=UTC))

    with pytest.raises(ValidationError) as caught:
        meeting.full_clean()

    assert caught.value.message_dict == {
        "starts_at": ["Enter a time in the years 1970 to 2200 (UTC)."]
    }


@pytest.mark.parametrize("zone", ["posixrules", "localtime", "Factory", "Europe/Kiev"])
def test_a_series_anchored_in_a_zone_that_is_no_current_iana_name_is_invalid(db, zone):
    series = SeriesFactory.build(anchor_timezone=zone)

    with pytest.raises(ValidationError) as caught:
        series.full_clean()

    assert list(caught.value.message_dict) == ["anchor_timezone"]


def test_the_seeds_placeholder_call_address_counts_as_none():
    series = Series(name="CoP-F East", join_url=PLACEHOLDER_JOIN_URL)
    meeting = Meeting(series=series, join_url=PLACEHOLDER_JOIN_URL)

    assert meeting.effective_join_url == ""
