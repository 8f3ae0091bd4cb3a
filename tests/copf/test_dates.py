from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from copf.lib.dates import is_supported_date, validate_supported_date

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(date(1970, 1, 1), id="first-day"),
        pytest.param(date(2200, 12, 31), id="last-day"),
        pytest.param(datetime(2200, 12, 31, 23, 59), id="naive-last-minute"),  # noqa: DTZ001
        pytest.param(datetime(1970, 1, 1, tzinfo=UTC), id="first-instant"),
        pytest.param(datetime(1970, 1, 1, 9, 0, tzinfo=TOKYO), id="first-instant-in-tokyo"),
        pytest.param(datetime(2200, 12, 31, 18, 59, tzinfo=NEW_YORK), id="last-minute-new-york"),
    ],
)
def test_dates_from_1970_to_2200_are_supported(value):
    assert is_supported_date(value) is True
    validate_supported_date(value)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(date(1969, 12, 31), id="day-before"),
        pytest.param(date(2201, 1, 1), id="day-after"),
        pytest.param(date(1, 1, 1), id="first-day-of-the-calendar"),
        pytest.param(date(9999, 12, 31), id="last-day-of-the-calendar"),
        pytest.param(datetime(9999, 12, 31, 23, 59), id="naive-last-minute"),  # noqa: DTZ001
    ],
)
def test_dates_outside_1970_to_2200_are_refused_with_a_message(value):
    with pytest.raises(ValidationError) as caught:
        validate_supported_date(value)

    assert is_supported_date(value) is False
    assert caught.value.messages == ["Enter a date in the years 1970 to 2200."]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(datetime(1, 1, 1, tzinfo=TOKYO), id="before-year-1-in-utc"),
        pytest.param(datetime(9999, 12, 31, 23, 59, tzinfo=NEW_YORK), id="after-9999-in-utc"),
        pytest.param(datetime(1970, 1, 1, 8, 59, tzinfo=TOKYO), id="still-1969-in-utc"),
        pytest.param(datetime(2200, 12, 31, 19, 0, tzinfo=NEW_YORK), id="already-2201-in-utc"),
    ],
)
def test_an_aware_time_is_judged_by_its_utc_date_without_overflowing(value):
    with pytest.raises(ValidationError) as caught:
        validate_supported_date(value)

    assert is_supported_date(value) is False
    assert caught.value.messages == ["Enter a time in the years 1970 to 2200 (UTC)."]
