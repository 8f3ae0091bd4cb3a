"""Recurrence rules: validate RRULE text and expand it in an anchor zone into UTC instants.

Pure functions, no database. The rule is expanded in the anchor zone's *wall-clock* time,
then each local start is turned into a UTC instant:

- a local time that does not exist (the spring-forward gap) is read with the offset from
  before the change, so 02:30 on a night when clocks jump from 02:00 to 03:00 becomes 03:30
  local time: the meeting starts as late as the gap is long, never earlier;
- a local time that happens twice (the autumn fall-back hour) is the first of the two
  (``fold=0``), the earlier UTC instant.

Expansion is bounded: rules more frequent than daily are refused, a rule has to produce
its first meeting within ten years of its start date, and its start and UNTIL fall in the
years people may enter (`copf.lib.dates`), far from where date arithmetic overflows.
"""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr
from django.utils.translation import gettext as _

from copf.lib.dates import EARLIEST_YEAR, LATEST_YEAR, is_supported_date

ALLOWED_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
ALLOWED_PARTS = frozenset(
    {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST"}
)
SUB_DAILY_PARTS = frozenset({"BYHOUR", "BYMINUTE", "BYSECOND"})
MAX_INTERVAL = 400
MAX_COUNT = 10_000
FIRST_MEETING_WITHIN_YEARS = 10
# The Gregorian calendar repeats exactly every 400 years (146,097 days, a whole number of
# weeks), so a rule shifted by 400 years yields the same dates shifted by 400 years.
GREGORIAN_CYCLE_YEARS = 400
MAX_YEAR = 9999


class RuleError(ValueError):
    """An RRULE we cannot or will not use; the message is fit to show to an admin."""


def normalize_rule(text: str) -> str:
    """Canonical RRULE text (upper case, no `RRULE:` prefix), or RuleError saying why not."""
    text = (text or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if not text:
        raise RuleError("Enter a recurrence rule, for example FREQ=MONTHLY;BYDAY=2MO.")
    if "\n" in text or "\r" in text:
        raise RuleError("Enter one RRULE line only, without DTSTART or EXDATE lines.")
    parts = _split_rule(text.upper())
    freq = parts.get("FREQ")
    if freq is None:
        raise RuleError("The rule needs a FREQ, for example FREQ=WEEKLY.")
    if freq in {"HOURLY", "MINUTELY", "SECONDLY"}:
        raise RuleError(f"FREQ={freq} is more frequent than daily; meetings repeat at most daily.")
    if freq not in ALLOWED_FREQUENCIES:
        raise RuleError(f"FREQ must be one of {', '.join(ALLOWED_FREQUENCIES)}, not {freq}.")
    sub_daily = SUB_DAILY_PARTS.intersection(parts)
    if sub_daily:
        raise RuleError(
            f"{', '.join(sorted(sub_daily))} would repeat more than once a day; the start time "
            "comes from the series' start time instead."
        )
    unknown = set(parts) - ALLOWED_PARTS
    if unknown:
        raise RuleError(f"Unsupported rule part: {', '.join(sorted(unknown))}.")
    _check_byday(parts.get("BYDAY"), freq=freq, has_bymonth="BYMONTH" in parts)
    _check_list(parts, "BYMONTHDAY", 31, "a day of the month")
    _check_list(parts, "BYMONTH", 12, "a month number", signed=False)
    _check_list(parts, "BYSETPOS", 366, "a position in the set")
    _check_number(parts, "INTERVAL", 1, MAX_INTERVAL)
    _check_number(parts, "COUNT", 1, MAX_COUNT)
    if "COUNT" in parts and "UNTIL" in parts:
        raise RuleError("Use COUNT or UNTIL, not both.")
    if "UNTIL" in parts:
        until = _parse_until(parts["UNTIL"], anchor=ZoneInfo("UTC"))
        if not is_supported_date(until):
            raise RuleError(
                _("UNTIL=%(until)s must fall in the years %(earliest)d to %(latest)d.")
                % {"until": parts["UNTIL"], "earliest": EARLIEST_YEAR, "latest": LATEST_YEAR}
            )
    canonical = ";".join(f"{key}={value}" for key, value in parts.items())
    try:
        rrulestr(_without_until(canonical), dtstart=datetime(2000, 1, 1))  # noqa: DTZ001
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise RuleError(f"This is not a valid RRULE: {error}.") from error
    return canonical


def validate_series_rule(
    rule: str, *, start_date: date, start_time: time, anchor: ZoneInfo
) -> None:
    """RuleError unless the rule yields a first meeting within ten years of its start."""
    if not is_supported_date(start_date):
        raise RuleError(f"The start date must fall between {EARLIEST_YEAR} and {LATEST_YEAR}.")
    first = first_local_occurrence(
        rule, start_date=start_date, start_time=start_time, anchor=anchor
    )
    limit = datetime.combine(start_date, start_time) + timedelta(
        days=365 * FIRST_MEETING_WITHIN_YEARS + 3
    )
    if first is None or first > limit:
        raise RuleError(
            f"This rule produces no meeting within {FIRST_MEETING_WITHIN_YEARS} years of the "
            "start date (check the days, months, COUNT and UNTIL)."
        )


def first_local_occurrence(
    rule: str, *, start_date: date, start_time: time, anchor: ZoneInfo
) -> datetime | None:
    """The first wall-clock start in the anchor zone within ten years, else None.

    dateutil searches for an impossible rule (say the 30th of February) until the year
    9999, which takes seconds. Shifting the start by whole 400-year cycles to between 11
    and 410 years before 9999 gives the same dates and caps that search.
    """
    start = datetime.combine(start_date, start_time)
    latest_shifted_year = MAX_YEAR - FIRST_MEETING_WITHIN_YEARS - 1
    cycles = max((latest_shifted_year - start.year) // GREGORIAN_CYCLE_YEARS, 0)
    shift_years = cycles * GREGORIAN_CYCLE_YEARS
    shifted_start = start.replace(year=start.year + shift_years)
    recurrence = _build(rule, dtstart=shifted_start, anchor=anchor, shift_years=shift_years)
    try:
        found = recurrence.after(shifted_start, inc=True)
    except (ValueError, IndexError, OverflowError) as error:
        raise RuleError(f"This is not a valid RRULE: {error}.") from error
    if found is None:
        return None
    return found.replace(year=found.year - shift_years)


def expand(
    rule: str,
    *,
    start_date: date,
    start_time: time,
    anchor: ZoneInfo,
    after: datetime,
    before: datetime,
) -> list[datetime]:
    """UTC start instants of the rule that fall in [after, before), in order."""
    if after.tzinfo is None or before.tzinfo is None:
        raise ValueError("after and before must be aware datetimes")
    dtstart = datetime.combine(start_date, start_time)
    recurrence = _build(rule, dtstart=dtstart, anchor=anchor)
    # Widen the local window by a day each side: offsets never exceed 26 hours, and the
    # exact UTC bounds are applied below.
    local_after = after.astimezone(anchor).replace(tzinfo=None) - timedelta(days=2)
    local_before = before.astimezone(anchor).replace(tzinfo=None) + timedelta(days=2)
    instants = (
        to_utc(local, anchor) for local in recurrence.between(local_after, local_before, inc=True)
    )
    return [instant for instant in instants if after <= instant < before]


def to_utc(local: datetime, anchor: ZoneInfo) -> datetime:
    """A naive wall-clock time in `anchor` as a UTC instant, by the module's gap/fold rule."""
    return local.replace(tzinfo=anchor, fold=0).astimezone(UTC)


def rule_parts(rule: str) -> dict[str, str]:
    return _split_rule(rule)


def _build(rule: str, *, dtstart: datetime, anchor: ZoneInfo, shift_years: int = 0) -> rrule:
    parts = _split_rule(rule)
    recurrence = rrulestr(_without_until(rule), dtstart=dtstart)
    if "UNTIL" in parts:
        until = _parse_until(parts["UNTIL"], anchor=anchor)
        if until.year + shift_years <= MAX_YEAR:
            recurrence = recurrence.replace(until=until.replace(year=until.year + shift_years))
    return recurrence


def _split_rule(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for piece in text.split(";"):
        if not piece:
            continue
        key, sep, value = piece.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise RuleError(f"“{piece}” is not a NAME=VALUE rule part.")
        if key in parts:
            raise RuleError(f"{key} appears twice in the rule.")
        parts[key] = value
    return parts


def _without_until(rule: str) -> str:
    return ";".join(piece for piece in rule.split(";") if not piece.startswith("UNTIL="))


def _parse_until(value: str, *, anchor: ZoneInfo) -> datetime:
    """UNTIL as a naive wall-clock time in the anchor zone (UTC values are converted)."""
    formats = ("%Y%m%dT%H%M%SZ", "%Y%m%dT%H%M%S", "%Y%m%d")
    for fmt in formats:
        try:
            parsed = datetime.strptime(value, fmt)  # noqa: DTZ007
        except ValueError:
            continue
        if fmt.endswith("Z"):
            return parsed.replace(tzinfo=UTC).astimezone(anchor).replace(tzinfo=None)
        if fmt == "%Y%m%d":
            return parsed.replace(hour=23, minute=59, second=59)
        return parsed
    raise RuleError(f"UNTIL={value} is not a date (YYYYMMDD) or a UTC time (YYYYMMDDTHHMMSSZ).")


WEEKDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")


def _check_byday(value: str | None, *, freq: str, has_bymonth: bool) -> None:
    if value is None:
        return
    if freq == "MONTHLY" or (freq == "YEARLY" and has_bymonth):
        highest = 5
    elif freq == "YEARLY":
        highest = 53
    else:
        highest = 0
    for item in value.split(","):
        match = WEEKDAY.match(item)
        if match is None:
            raise RuleError(f"BYDAY={item} is not a weekday such as MO, 2MO or -1FR.")
        if match.group(1) is None:
            continue
        ordinal = int(match.group(1))
        if highest == 0:
            raise RuleError(f"BYDAY={item}: a numbered weekday needs FREQ=MONTHLY or YEARLY.")
        if ordinal == 0 or abs(ordinal) > highest:
            raise RuleError(
                f"BYDAY={item}: the number must be from 1 to {highest} or -1 to -{highest}."
            )


def _check_list(
    parts: dict[str, str], key: str, highest: int, what: str, *, signed: bool = True
) -> None:
    if key not in parts:
        return
    for item in parts[key].split(","):
        digits = item[1:] if signed and item[:1] in "+-" else item
        if not (digits.isascii() and digits.isdigit()) or not 1 <= int(digits) <= highest:
            low = f"-{highest} to -1 or " if signed else ""
            raise RuleError(f"{key}={item} is not {what} ({low}1 to {highest}).")


def _check_number(parts: dict[str, str], key: str, low: int, high: int) -> None:
    if key not in parts:
        return
    value = parts[key]
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise RuleError(f"{key} must be a whole number from {low} to {high}, not {value}.")


WEEKDAY_NAMES = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
UNITS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}


def describe_rule(rule: str, *, start_date: date) -> str:
    """The rule in plain words: "Every month on the second Monday"."""
    parts = _split_rule(rule)
    freq = parts["FREQ"]
    interval = int(parts.get("INTERVAL", "1"))
    unit = UNITS[freq]
    every = f"Every {unit}" if interval == 1 else f"Every {interval} {unit}s"
    days = (
        [_describe_weekday(item) for item in parts["BYDAY"].split(",")] if "BYDAY" in parts else []
    )
    month_days = (
        [_describe_month_day(int(item)) for item in parts["BYMONTHDAY"].split(",")]
        if "BYMONTHDAY" in parts
        else []
    )
    months = (
        [MONTH_NAMES[int(item) - 1] for item in parts["BYMONTH"].split(",")]
        if "BYMONTH" in parts
        else []
    )
    if "BYSETPOS" in parts:
        text = f"{every}, by the rule {rule}"
    elif freq == "WEEKLY" or (freq == "DAILY" and days):
        weekday_names = days or [f"{start_date:%A}"]
        if freq == "DAILY" and interval == 1:
            text = f"Every {_join(weekday_names)}"
        else:
            text = f"{every} on {_join(weekday_names)}"
    elif freq == "DAILY":
        text = every
    elif freq == "MONTHLY":
        when = days + month_days or [_describe_month_day(start_date.day)]
        text = f"{every} on {_join(when)}"
    elif days or month_days:
        text = f"{every} on {_join(days + month_days)}"
    elif months:
        text = f"{every} on {_describe_month_day(start_date.day)}"
    else:
        text = f"{every} on {start_date.day} {MONTH_NAMES[start_date.month - 1]}"
    if months:
        text += f" in {_join(months)}"
    if "COUNT" in parts:
        count = int(parts["COUNT"])
        text += ", once" if count == 1 else f", {count} times"
    if "UNTIL" in parts:
        until = _parse_until(parts["UNTIL"], anchor=ZoneInfo("UTC"))
        text += f", until {until.day} {MONTH_NAMES[until.month - 1]} {until.year}"
    return text


def _describe_weekday(item: str) -> str:
    match = WEEKDAY.match(item)
    if match is None:
        return item
    name = WEEKDAY_NAMES[match.group(2)]
    if match.group(1) is None:
        return name
    ordinal = int(match.group(1))
    if ordinal == -1:
        return f"the last {name}"
    if ordinal < 0:
        return f"the {ORDINALS.get(-ordinal, str(-ordinal))}-to-last {name}"
    return f"the {ORDINALS.get(ordinal, f'{ordinal}th')} {name}"


def _describe_month_day(day: int) -> str:
    if day == -1:
        return "the last day"
    if day < 0:
        return f"the {_ordinal_suffix(-day)}-to-last day"
    return f"the {_ordinal_suffix(day)}"


def _ordinal_suffix(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
