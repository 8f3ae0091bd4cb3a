import re
import zoneinfo
from datetime import UTC, datetime
from importlib import resources
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django import forms
from django.core.exceptions import ValidationError

from copf.lib import timezones
from copf.lib.timezones import (
    CanonicalTimeZoneField,
    TimezoneNameField,
    TimezoneSelect,
    canonical_timezone_name,
    parse_timezone,
    picker_timezone_names,
    zone_city,
    zone_label,
    zone_options,
    zone_options_html,
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


# --- the labels people read: "Tokyo (UTC+09:00)" -----------------------------------------

JULY = datetime(2026, 7, 1, 12, tzinfo=UTC)
JANUARY = datetime(2026, 1, 15, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "city"),
    [
        ("Asia/Tokyo", "Tokyo"),
        ("America/Sao_Paulo", "Sao Paulo"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires, Argentina"),
        ("America/North_Dakota/New_Salem", "New Salem, North Dakota"),
        ("UTC", "UTC"),
    ],
)
def test_a_zone_is_named_after_its_city(name, city):
    assert zone_city(name) == city


@pytest.mark.parametrize(
    ("name", "moment", "label"),
    [
        ("Asia/Kolkata", JULY, "Kolkata (UTC+05:30)"),
        ("Asia/Kolkata", JANUARY, "Kolkata (UTC+05:30)"),
        ("Asia/Kathmandu", JANUARY, "Kathmandu (UTC+05:45)"),
        ("Asia/Tokyo", JULY, "Tokyo (UTC+09:00)"),
        ("Europe/Lisbon", JULY, "Lisbon (UTC+01:00)"),
        ("Europe/Lisbon", JANUARY, "Lisbon (UTC+00:00)"),
        ("America/New_York", JULY, "New York (UTC-04:00)"),
        ("America/New_York", JANUARY, "New York (UTC-05:00)"),
        ("Australia/Sydney", JULY, "Sydney (UTC+10:00)"),
        ("Australia/Sydney", JANUARY, "Sydney (UTC+11:00)"),
        ("America/St_Johns", JANUARY, "St Johns (UTC-03:30)"),
        ("UTC", JULY, "UTC"),
    ],
)
def test_a_zone_label_names_the_city_and_its_offset_at_that_moment(name, moment, label):
    assert zone_label(name, at=moment) == label


def test_the_label_follows_the_clocks_across_the_european_change_in_march():
    # Lisbon moves from UTC+00:00 to UTC+01:00 at 01:00 UTC on the last Sunday of March.
    before = datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    after = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)

    assert zone_label("Europe/Lisbon", at=before) == "Lisbon (UTC+00:00)"
    assert zone_label("Europe/Lisbon", at=after) == "Lisbon (UTC+01:00)"


def test_the_options_run_from_the_earliest_offset_to_the_latest_then_by_city():
    options = zone_options(at=JANUARY)

    keys = [(option.offset, option.label.casefold()) for option in options]
    assert keys == sorted(keys)
    assert options[0].label.endswith("(UTC-11:00)")
    assert options[-1].label == "Kiritimati (UTC+14:00)"
    assert [option.name for option in options if option.label.endswith("(UTC+05:30)")] == [
        "Asia/Colombo",
        "Asia/Kolkata",
    ]


def test_the_options_are_every_zone_of_the_picker_once():
    options = zone_options(at=JULY)

    assert sorted(option.name for option in options) == sorted(picker_timezone_names())


@pytest.fixture
def fresh_options():
    timezones._zone_options_html.cache_clear()
    yield
    timezones._zone_options_html.cache_clear()


def options_built() -> int:
    return timezones._zone_options_html.cache_info().misses


def test_the_option_list_is_built_once_an_hour(fresh_options):
    with time_machine.travel(datetime(2026, 7, 1, 10, 5, tzinfo=UTC), tick=False) as clock:
        first = zone_options_html()
        clock.move_to(datetime(2026, 7, 1, 10, 59, tzinfo=UTC))
        again = zone_options_html()
        assert options_built() == 1
        clock.move_to(datetime(2026, 7, 1, 11, 0, tzinfo=UTC))
        zone_options_html()
        assert options_built() == 2

    assert again is first


def test_the_option_list_changes_its_labels_with_the_clocks(fresh_options):
    with time_machine.travel(datetime(2026, 10, 25, 0, 30, tzinfo=UTC), tick=False) as clock:
        before = zone_options_html()
        clock.move_to(datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
        after = zone_options_html()

    # Lisbon goes back from UTC+01:00 to UTC+00:00 at 01:00 UTC on the last Sunday of October.
    assert '<option value="Europe/Lisbon">Lisbon (UTC+01:00)</option>' in before
    assert '<option value="Europe/Lisbon">Lisbon (UTC+00:00)</option>' in after


def selected_options(html: str) -> list[str]:
    return re.findall(r"<option [^>]*\bselected>[^<]*</option>", html)


@pytest.fixture
def in_july():
    with time_machine.travel(JULY, tick=False):
        yield


def test_the_picker_marks_the_chosen_zone_once(in_july):
    html = TimezoneSelect().render("tz", "Asia/Tokyo", {"id": "tz-picker"})

    assert selected_options(html) == [
        '<option value="Asia/Tokyo" selected>Tokyo (UTC+09:00)</option>'
    ]
    assert html.startswith("<select ")
    assert ' id="tz-picker"' in html
    assert ' name="tz"' in html
    assert " data-zone-picker>" in html
    assert ' data-filter-label="Search cities"' in html
    assert html.count("<option ") == len(picker_timezone_names())


def test_the_picker_renders_without_building_the_options_again(fresh_options, in_july):
    first = TimezoneSelect().render("tz", "Asia/Tokyo")
    second = TimezoneSelect().render("tz", "Europe/Lisbon")

    assert options_built() == 1
    assert selected_options(first) == [
        '<option value="Asia/Tokyo" selected>Tokyo (UTC+09:00)</option>'
    ]
    assert selected_options(second) == [
        '<option value="Europe/Lisbon" selected>Lisbon (UTC+01:00)</option>'
    ]


@pytest.mark.parametrize(
    "value",
    [None, "", "Mars/Base", 'Asia/Tokyo" onclick="x', "<script>", "Asia/Tok", "asia/tokyo"],
)
def test_the_picker_marks_nothing_for_a_value_that_is_no_option(in_july, value):
    html = TimezoneSelect().render("tz", value)

    assert selected_options(html) == []
    assert "onclick" not in html
    assert "<script>" not in html


class ZoneForm(forms.Form):
    timezone = TimezoneNameField(help_text="Yours.")


def test_the_picker_field_shows_a_stored_legacy_name_under_its_current_name(in_july):
    html = str(ZoneForm(initial={"timezone": "Europe/Kiev"})["timezone"])

    assert selected_options(html) == [
        '<option value="Europe/Kyiv" selected>Kyiv (UTC+03:00)</option>'
    ]


def test_the_picker_field_keeps_its_label_id_and_help_text_link(in_july):
    html = str(ZoneForm(initial={"timezone": "UTC"})["timezone"])

    assert ' aria-describedby="id_timezone_helptext"' in html
    assert ' id="id_timezone"' in html
    assert ' name="timezone"' in html
    assert selected_options(html) == ['<option value="UTC" selected>UTC</option>']


def test_the_picker_field_still_sends_the_zone_name():
    form = ZoneForm(data={"timezone": "Asia/Tokyo"})

    assert form.is_valid()
    assert form.cleaned_data["timezone"] == "Asia/Tokyo"
