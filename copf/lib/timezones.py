"""Time-zone names: validation, legacy names, the list offered in pickers with the labels
people read ("Tokyo (UTC+09:00)"), and the form and model fields that accept only these names.

The names are those of the tzdata package, the same on every server; the server's own zone
files (`localtime`, `posixrules`, `posix/...`) name no place a member lives in.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
from importlib import resources

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from timezone_field import TimeZoneField

# A few names people still type that the IANA link table does not cover.
EXTRA_LEGACY_NAMES = {
    "GMT": "UTC",
    "Etc/GMT": "UTC",
    "Etc/UTC": "UTC",
    "Etc/UCT": "UTC",
    "Etc/Universal": "UTC",
    "Etc/Zulu": "UTC",
    "UCT": "UTC",
    "Universal": "UTC",
    "Zulu": "UTC",
}

MAX_NAME_LENGTH = 64
# A placeholder in the IANA list ("Local time zone must be set"), not a place.
NOT_A_PLACE = "Factory"


@cache
def _available() -> frozenset[str]:
    names = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    return frozenset(names) - {NOT_A_PLACE}


def canonical_timezone_name(name: str) -> str | None:
    """The current IANA name for `name`, or None if it names no zone.

    Matching ignores surrounding spaces and letter case, since people type zone names
    by hand (`asia/kolkata`); legacy links map to their current name.
    """
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        return None
    if name not in _available():
        name = _folded_names().get(name.casefold(), "")
        if not name:
            return None
    return legacy_names().get(name, name)


@cache
def _folded_names() -> dict[str, str]:
    return {name.casefold(): name for name in _available()}


@cache
def legacy_names() -> dict[str, str]:
    """Backward-compatible names mapped to the current ones (Europe/Kiev → Europe/Kyiv).

    Read from the IANA link table, leaving out links that are some country's own zone
    name (Europe/Amsterdam links to Europe/Brussels only because their clocks agree
    since 1970; a Dutch member still wants to see Amsterdam).
    """
    own_names = set(_zone_table_names())
    links = {}
    for line in _tzdata_text("tzdata.zi").splitlines():
        if not line.startswith("L "):
            continue
        _, target, link = line.split()
        if link not in own_names and link != "UTC":
            links[link] = "UTC" if target == "Etc/UTC" else target
    links |= EXTRA_LEGACY_NAMES
    # Some links lead to another link (Greenwich → Etc/GMT → UTC): follow them to the end.
    return {link: _follow(links, target) for link, target in links.items()}


def _follow(links: dict[str, str], name: str) -> str:
    seen = set()
    while name in links and name not in seen:
        seen.add(name)
        name = links[name]
    return name


def parse_timezone(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone named by `name` (current or legacy), or None for anything else."""
    canonical = canonical_timezone_name(name)
    if canonical is None:
        return None
    return zoneinfo.ZoneInfo(canonical)


@cache
def picker_timezone_names() -> tuple[str, ...]:
    """UTC and the current zone of every country's region (IANA `zone.tab`), sorted."""
    return ("UTC", *sorted(set(_zone_table_names()) & _available()))


@cache
def _zone_table_names() -> tuple[str, ...]:
    return tuple(
        line.split("\t")[2]
        for line in _tzdata_text("zone.tab").splitlines()
        if line and not line.startswith("#") and line.count("\t") >= 2
    )


def _tzdata_text(name: str) -> str:
    return resources.files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")


def zone_city(name: str) -> str:
    """The place a zone is named after, as people write it: Asia/Tokyo → Tokyo,
    America/Indiana/Knox → Knox, Indiana. UTC stays UTC."""
    parts = name.replace("_", " ").split("/")
    if len(parts) > 2:
        return f"{parts[-1]}, {parts[-2]}"
    return parts[-1]


def utc_offset_text(offset: timedelta) -> str:
    """An offset from UTC as people read it: UTC+09:00, UTC-03:00, UTC+05:45."""
    minutes = round(offset.total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def zone_label(name: str, *, at: datetime) -> str:
    """A zone as a picker shows it: its city and its offset at `at`, "Tokyo (UTC+09:00)".

    The offset is the one at `at` because daylight saving time moves it (Lisbon is
    UTC+00:00 in winter, UTC+01:00 in summer). UTC is just "UTC".
    """
    if name == "UTC":
        return "UTC"
    offset = at.astimezone(zoneinfo.ZoneInfo(name)).utcoffset()
    return gettext_now("%(city)s (%(offset)s)") % {
        "city": zone_city(name),
        "offset": utc_offset_text(offset),
    }


@dataclass(frozen=True)
class ZoneOption:
    name: str  # the IANA name, the value a form sends
    label: str
    offset: timedelta


def zone_options(*, at: datetime) -> tuple[ZoneOption, ...]:
    """Every zone of the picker with its label at `at`, sorted by offset, then by city."""
    options = (
        ZoneOption(
            name=name,
            label=zone_label(name, at=at),
            offset=at.astimezone(zoneinfo.ZoneInfo(name)).utcoffset(),
        )
        for name in picker_timezone_names()
    )
    return tuple(sorted(options, key=lambda option: (option.offset, option.label.casefold())))


def zone_options_html() -> str:
    """The picker's `<option>` list as one string, without a selected option.

    Rendered once an hour per language and shared by every page and form that shows a
    picker. The labels are those of the hour's start: a zone whose clocks change at half
    past (St John's) shows its old offset for that half hour.
    """
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    return _zone_options_html(hour, get_language() or "")


@lru_cache(maxsize=16)
def _zone_options_html(hour: datetime, language: str) -> str:
    # `language` is part of the cache key: zone_label translates its format.
    return format_html_join(
        "", '<option value="{}">{}</option>', ((o.name, o.label) for o in zone_options(at=hour))
    )


class TimezoneSelect(forms.Select):
    """The zone picker: a native `<select>` of every zone with its city and current offset,
    usable with a keyboard and a screen reader as it is. static/js/zone-picker.js adds a
    "Search cities" filter above it; its words come from the data attributes here, so they
    are translated with the page.

    No template loop over the ~420 options: they come from `zone_options_html()` as one
    string, and the selected one is marked by replacing its `value="…"` once.
    """

    def render(
        self,
        name: str,
        value: object,
        attrs: dict[str, object] | None = None,
        renderer: object = None,
    ) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        final_attrs |= {
            "data-zone-picker": True,
            "data-filter-label": gettext_now("Search cities"),
            "data-matches-one": gettext_now("%(count)s match"),
            "data-matches-other": gettext_now("%(count)s matches"),
            "data-matches-none": gettext_now("No match: the list keeps your current choice."),
        }
        options = zone_options_html()
        selected = next(iter(self.format_value(value)), "")
        if selected:
            chosen = f'value="{escape(selected)}"'
            options = options.replace(chosen, f"{chosen} selected", 1)
        # The options were escaped when the cached string was built; `selected` is escaped
        # above, and a value that is no option replaces nothing.
        return format_html("<select{}>{}</select>", flatatt(final_attrs), mark_safe(options))  # noqa: S308


UNKNOWN_ZONE = _(
    "“%(value)s” is not a time zone we know. Pick one from the list, "
    "for example Europe/Berlin or Asia/Kolkata."
)


def unknown_zone(message: str, name: str) -> ValidationError:
    return ValidationError(message, code="unknown", params={"value": name[:MAX_NAME_LENGTH]})


class TimezoneNameField(forms.ChoiceField):
    """A zone picker that also accepts legacy and differently-cased names, storing the
    current IANA name (Europe/Kiev is stored as Europe/Kyiv)."""

    default_error_messages = {"unknown": UNKNOWN_ZONE}
    widget = TimezoneSelect

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("label", _("Time zone"))
        super().__init__(choices=[(name, name) for name in picker_timezone_names()], **kwargs)

    def to_python(self, value: object) -> str:
        text = super().to_python(value)
        if not text:
            return text
        canonical = canonical_timezone_name(text)
        if canonical is None:
            raise unknown_zone(self.error_messages["unknown"], text)
        return canonical

    def valid_value(self, value: str) -> bool:
        return canonical_timezone_name(value) is not None

    def prepare_value(self, value: object) -> object:
        # A stored legacy name (Europe/Kiev) is not in the list; show its current name
        # selected, or the browser would send the first one (UTC) back.
        name = str(getattr(value, "key", value) or "")
        return canonical_timezone_name(name) or value


class CanonicalTimeZoneField(TimeZoneField):
    """django-timezone-field's field, valid only for a current IANA name of the list above
    (django-timezone-field takes any zone file the server can open), with the picker as
    its form field."""

    default_error_messages = {"unknown": UNKNOWN_ZONE}

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("use_pytz", False)
        super().__init__(*args, **kwargs)

    def validate(self, value: object, model_instance: models.Model | None) -> None:
        name = str(value) if value else ""
        if name and canonical_timezone_name(name) != name:
            raise unknown_zone(self.error_messages["unknown"], name)
        super().validate(value, model_instance)

    def formfield(self, **kwargs: object) -> forms.Field:
        # Not Django's choice field over every zone the server has: the picker. Of what the
        # admin passes, keep only what the picker takes.
        defaults: dict[str, object] = {
            "required": not self.blank,
            "label": capfirst(self.verbose_name),
            "help_text": self.help_text,
        }
        if self.has_default():
            defaults["initial"] = str(self.get_default())
        kept = ("required", "label", "help_text", "initial", "disabled", "widget")
        defaults |= {key: value for key, value in kwargs.items() if key in kept}
        return TimezoneNameField(**defaults)


def current_zone_names(model_label: str, field_name: str):
    """A migration step that rewrites every stored zone name to the current IANA name
    (Europe/Kiev → Europe/Kyiv), and one that names no place (`localtime`, `posixrules`,
    `Factory`, saved before the zone fields were strict) to UTC.

    Raw SQL, since loading such a row through the zone field fails on a server without
    that zone file.
    """

    def rewrite(apps: object, schema_editor: object) -> None:
        model = apps.get_model(model_label)
        table = schema_editor.quote_name(model._meta.db_table)
        column = schema_editor.quote_name(model._meta.get_field(field_name).column)
        pk = schema_editor.quote_name(model._meta.pk.column)
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"SELECT {pk}, {column} FROM {table}")  # noqa: S608
            rows = cursor.fetchall()
            for key, name in rows:
                current = canonical_timezone_name(name or "") or "UTC"
                if current != name:
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                        [current, key],
                    )

    return rewrite
