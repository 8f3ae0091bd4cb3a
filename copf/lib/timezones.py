"""Time-zone names: validation, legacy names, and the list offered in pickers."""

import zoneinfo
from importlib import resources
from functools import cache

# Names the IANA database keeps only as backward-compatible links. A member who picks one
# is stored under the current name, so pages and e-mails show what their clock app shows.
LEGACY_NAMES = {
    "Europe/Kiev": "Europe/Kyiv",
    "Europe/Uzhgorod": "Europe/Kyiv",
    "Europe/Zaporozhye": "Europe/Kyiv",
    "Asia/Calcutta": "Asia/Kolkata",
    "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Rangoon": "Asia/Yangon",
    "Asia/Dacca": "Asia/Dhaka",
    "Asia/Thimbu": "Asia/Thimphu",
    "Asia/Ulan_Bator": "Asia/Ulaanbaatar",
    "Asia/Macao": "Asia/Macau",
    "Asia/Chongqing": "Asia/Shanghai",
    "Asia/Chungking": "Asia/Shanghai",
    "Asia/Harbin": "Asia/Shanghai",
    "Asia/Tel_Aviv": "Asia/Jerusalem",
    "Asia/Istanbul": "Europe/Istanbul",
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "America/Indianapolis": "America/Indiana/Indianapolis",
    "America/Louisville": "America/Kentucky/Louisville",
    "America/Godthab": "America/Nuuk",
    "Atlantic/Faeroe": "Atlantic/Faroe",
    "Pacific/Truk": "Pacific/Chuuk",
    "Pacific/Ponape": "Pacific/Pohnpei",
    "Pacific/Enderbury": "Pacific/Kanton",
    "Australia/ACT": "Australia/Sydney",
    "Australia/NSW": "Australia/Sydney",
    "Australia/Canberra": "Australia/Sydney",
    "Australia/Victoria": "Australia/Melbourne",
    "Australia/Queensland": "Australia/Brisbane",
    "Australia/West": "Australia/Perth",
    "Australia/South": "Australia/Adelaide",
    "Australia/North": "Australia/Darwin",
    "Australia/Tasmania": "Australia/Hobart",
    "Canada/Eastern": "America/Toronto",
    "Canada/Central": "America/Winnipeg",
    "Canada/Mountain": "America/Edmonton",
    "Canada/Pacific": "America/Vancouver",
    "Canada/Atlantic": "America/Halifax",
    "Canada/Newfoundland": "America/St_Johns",
    "US/Eastern": "America/New_York",
    "US/Central": "America/Chicago",
    "US/Mountain": "America/Denver",
    "US/Arizona": "America/Phoenix",
    "US/Pacific": "America/Los_Angeles",
    "US/Alaska": "America/Anchorage",
    "US/Hawaii": "Pacific/Honolulu",
    "Brazil/East": "America/Sao_Paulo",
    "Mexico/General": "America/Mexico_City",
    "NZ": "Pacific/Auckland",
    "GB": "Europe/London",
    "Eire": "Europe/Dublin",
    "Japan": "Asia/Tokyo",
    "ROK": "Asia/Seoul",
    "PRC": "Asia/Shanghai",
    "ROC": "Asia/Taipei",
    "Singapore": "Asia/Singapore",
    "Hongkong": "Asia/Hong_Kong",
    "Israel": "Asia/Jerusalem",
    "Iran": "Asia/Tehran",
    "Egypt": "Africa/Cairo",
    "Turkey": "Europe/Istanbul",
    "Poland": "Europe/Warsaw",
    "Portugal": "Europe/Lisbon",
    "Iceland": "Atlantic/Reykjavik",
    "Cuba": "America/Havana",
    "Jamaica": "America/Jamaica",
    "Etc/UCT": "UTC",
    "Etc/UTC": "UTC",
    "Etc/Universal": "UTC",
    "Etc/Zulu": "UTC",
    "Etc/GMT": "UTC",
    "GMT": "UTC",
    "UCT": "UTC",
    "Universal": "UTC",
    "Zulu": "UTC",
}

MAX_NAME_LENGTH = 64


@cache
def _available() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def canonical_timezone_name(name: str) -> str | None:
    """The current IANA name for `name`, or None if it names no zone.

    Matching ignores surrounding spaces and letter case, since people type zone names
    by hand (`asia/kolkata`); legacy links map to their current name.
    """
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        return None
    if name in LEGACY_NAMES:
        return LEGACY_NAMES[name]
    if name in _available():
        return name
    folded = _folded_names().get(name.casefold())
    if folded is None:
        return None
    return LEGACY_NAMES.get(folded, folded)


@cache
def _folded_names() -> dict[str, str]:
    names = {name.casefold(): name for name in _available()}
    names.update({name.casefold(): name for name in LEGACY_NAMES})
    return names


def parse_timezone(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone named by `name` (current or legacy), or None for anything else."""
    canonical = canonical_timezone_name(name)
    if canonical is None:
        return None
    return zoneinfo.ZoneInfo(canonical)


@cache
def picker_timezone_names() -> tuple[str, ...]:
    """UTC and the current zone of every country's region (IANA `zone.tab`), sorted."""
    table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    names = {
        line.split("\t")[2]
        for line in table.splitlines()
        if line and not line.startswith("#") and line.count("\t") >= 2
    }
    return ("UTC", *sorted(names & _available()))
