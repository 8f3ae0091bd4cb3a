"""Time-zone names: validation, legacy names, and the list offered in pickers.

The names are those of the tzdata package, the same on every server; the server's own zone
files (`localtime`, `posixrules`, `posix/...`) name no place a member lives in.
"""

import zoneinfo
from functools import cache
from importlib import resources

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
