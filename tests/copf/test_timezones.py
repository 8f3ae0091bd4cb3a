import zoneinfo
from importlib import resources
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from copf.lib import timezones
from copf.lib.timezones import (
    CanonicalTimeZoneField,
    TimezoneNameField,
    canonical_timezone_name,
    parse_timezone,
    picker_timezone_names,
)

TZDATA_NAMES = frozenset(resources.files("tzdata").joinpath("zones").read_text().split())
NOT_PLACES = ["localtime", "Factory", "posixrules"]


def clear_name_caches() -> None:
    for value in vars(timezones).values():
        if hasattr(value, "cache_clear"):
            value.cache_clear()


@pytest.fixture
def server_with_odd_zone_files(tmp_path):
    """A server whose zone directory, like many, also holds localtime, posixrules and
    Factory files, and lacks most real zones."""
    utc = resources.files("tzdata.zoneinfo").joinpath("UTC").read_bytes()
    for name in ["localtime", "posixrules", "Factory", "Europe/Berlin"]:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(utc)
    zoneinfo.reset_tzpath(to=[str(tmp_path)])
    clear_name_caches()
    yield
    zoneinfo.reset_tzpath()
    ZoneInfo.clear_cache()
    clear_name_caches()


@pytest.mark.parametrize(
    "name",
    [
        "UTC",
        "Europe/Berlin",
        "Europe/Kyiv",
        "Asia/Kolkata",
        "America/New_York",
        "America/Argentina/Buenos_Aires",
        "Australia/Sydney",
        "Pacific/Auckland",
    ],
)
def test_canonical_timezone_name_keeps_a_current_name(name):
    assert canonical_timezone_name(name) == name


@pytest.mark.parametrize(
    ("legacy", "current"),
    [
        ("Europe/Kiev", "Europe/Kyiv"),
        ("Asia/Calcutta", "Asia/Kolkata"),
        ("Asia/Saigon", "Asia/Ho_Chi_Minh"),
        ("US/Eastern", "America/New_York"),
        ("Australia/NSW", "Australia/Sydney"),
        ("NZ", "Pacific/Auckland"),
        ("Etc/UTC", "UTC"),
        ("GMT", "UTC"),
        ("Greenwich", "UTC"),
        ("Etc/GMT0", "UTC"),
    ],
)
def test_canonical_timezone_name_maps_a_legacy_name_to_the_current_one(legacy, current):
    assert canonical_timezone_name(legacy) == current


@pytest.mark.parametrize(
    ("legacy", "current"),
    [
        ("America/Montreal", "America/Toronto"),
        ("Asia/Ashkhabad", "Asia/Ashgabat"),
        ("Asia/Ujung_Pandang", "Asia/Makassar"),
        ("Europe/Belfast", "Europe/London"),
        ("US/Michigan", "America/Detroit"),
    ],
)
def test_canonical_timezone_name_maps_other_backward_links_of_the_iana_database(legacy, current):
    # These are "backward" links in tzdata just like Europe/Kiev, so they are legacy names too.
    assert canonical_timezone_name(legacy) == current


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("asia/kolkata", "Asia/Kolkata"),
        ("EUROPE/BERLIN", "Europe/Berlin"),
        ("america/new_york", "America/New_York"),
        ("utc", "UTC"),
        ("europe/kiev", "Europe/Kyiv"),
        ("ASIA/CALCUTTA", "Asia/Kolkata"),
        ("us/pacific", "America/Los_Angeles"),
        ("  Europe/Berlin  ", "Europe/Berlin"),
        ("\tasia/kolkata\n", "Asia/Kolkata"),
    ],
)
def test_canonical_timezone_name_ignores_letter_case_and_surrounding_spaces(typed, expected):
    assert canonical_timezone_name(typed) == expected


@pytest.mark.parametrize(
    "junk",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param(None, id="none"),
        pytest.param("Mars/Base", id="unknown-zone"),
        pytest.param("../etc/passwd", id="path-traversal"),
        pytest.param("/usr/share/zoneinfo/UTC", id="absolute-path"),
        pytest.param("Europe/../UTC", id="dotted-path"),
        pytest.param("Europe/", id="area-only"),
        pytest.param("Europe/Berlin\x00", id="nul-byte"),
        pytest.param("Europe/Berlin; DROP TABLE", id="trailing-junk"),
        pytest.param("Europe/" + "x" * 60, id="just-over-the-length-limit"),
        pytest.param("Europe/Berlin" * 1000, id="very-long"),
        pytest.param("x" * 1_000_000, id="a-megabyte"),
    ],
)
def test_canonical_timezone_name_is_none_for_a_name_that_is_no_zone(junk):
    assert canonical_timezone_name(junk) is None


def test_canonical_timezone_name_accepts_utc():
    assert canonical_timezone_name("UTC") == "UTC"


@pytest.mark.parametrize("name", [*NOT_PLACES, "posix/Europe/Berlin", "right/UTC"])
def test_canonical_timezone_name_is_none_for_a_zone_file_that_names_no_place(name):
    assert canonical_timezone_name(name) is None


def test_the_names_accepted_are_the_tzdata_package_list_without_factory():
    names = TZDATA_NAMES | set(zoneinfo.available_timezones())

    accepted = {name for name in names if canonical_timezone_name(name) is not None}

    assert accepted == TZDATA_NAMES - {"Factory"}


def test_the_names_accepted_do_not_depend_on_the_servers_zone_files(server_with_odd_zone_files):
    assert [canonical_timezone_name(name) for name in NOT_PLACES] == [None, None, None]
    assert canonical_timezone_name("Asia/Kolkata") == "Asia/Kolkata"
    assert canonical_timezone_name("Europe/Kiev") == "Europe/Kyiv"
    assert "Asia/Kolkata" in picker_timezone_names()


def test_every_zone_name_has_a_canonical_name_that_is_its_own_canonical_name():
    # A legacy name must lead straight to a current name, not to another legacy name.
    canonical = {name: canonical_timezone_name(name) for name in TZDATA_NAMES - {"Factory"}}

    not_final = {
        name: current
        for name, current in canonical.items()
        if current is None or canonical_timezone_name(current) != current
    }
    assert not_final == {}


def test_parse_timezone_returns_the_zone_under_its_current_name():
    zone = parse_timezone("asia/calcutta")

    assert zone == ZoneInfo("Asia/Kolkata")
    assert zone.key == "Asia/Kolkata"


def test_parse_timezone_returns_none_for_junk():
    assert parse_timezone("../etc/passwd") is None


def test_picker_lists_utc_first_then_the_rest_sorted():
    names = picker_timezone_names()

    assert names[0] == "UTC"
    assert list(names[1:]) == sorted(names[1:])
    assert len(names) == len(set(names))


def test_picker_offers_current_names_such_as_kyiv_and_kolkata():
    names = picker_timezone_names()

    assert "Europe/Kyiv" in names
    assert "Asia/Kolkata" in names
    assert "Australia/Sydney" in names
    assert "Pacific/Auckland" in names


@pytest.mark.parametrize(
    "legacy", ["Europe/Kiev", "Asia/Calcutta", "US/Eastern", "Etc/UTC", "GMT", "NZ"]
)
def test_picker_does_not_offer_a_legacy_name(legacy):
    assert legacy not in picker_timezone_names()


def test_every_name_in_the_picker_is_its_own_canonical_name():
    names = picker_timezone_names()

    assert [name for name in names if canonical_timezone_name(name) != name] == []


# --- the form and model fields -------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("Europe/Kiev", "Europe/Kyiv"), ("asia/kolkata", "Asia/Kolkata"), ("UTC", "UTC")],
)
def test_the_picker_field_reads_current_legacy_and_differently_cased_names(typed, stored):
    assert TimezoneNameField().clean(typed) == stored


@pytest.mark.parametrize("name", [*NOT_PLACES, "Mars/Base"])
def test_the_picker_field_refuses_a_name_that_is_no_place_with_a_message(name):
    with pytest.raises(ValidationError) as caught:
        TimezoneNameField().clean(name)

    assert caught.value.messages == [
        f"“{name}” is not a time zone we know. Pick one from the list, "
        "for example Europe/Berlin or Asia/Kolkata."
    ]


def test_the_model_field_accepts_every_name_in_the_picker():
    field = CanonicalTimeZoneField()

    refused = []
    for name in picker_timezone_names():
        try:
            field.clean(name, None)
        except ValidationError:
            refused.append(name)

    assert refused == []


@pytest.mark.parametrize("name", [*NOT_PLACES, "Europe/Kiev"])
def test_the_model_field_refuses_a_name_that_is_not_a_current_iana_name(name):
    with pytest.raises(ValidationError):
        CanonicalTimeZoneField().clean(name, None)


def test_the_model_fields_form_field_is_the_picker():
    form_field = CanonicalTimeZoneField(default="UTC", help_text="Yours.").formfield()

    assert isinstance(form_field, TimezoneNameField)
    assert (form_field.initial, form_field.help_text, form_field.required) == (
        "UTC",
        "Yours.",
        True,
    )
