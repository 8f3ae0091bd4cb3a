"""What each slot means for each voter's day, and how fairly a slot shares the burden.

**Parts of the day.** A meeting is placed in the voter's day by the hours it covers, in
their zone: *night* if any of it falls between 00:00 and 06:00; else *early morning* if it
starts before 08:00; else *late evening* if it runs past 21:00; else *day*.

**Fairness score.** Each voter carries a burden for the slot: 0 in their day, 1 in their
early morning or late evening, 3 in their night (a night costs sleep, not only comfort).
The score is 100 × (1 − average burden ÷ 3), rounded: 100 when the slot falls in everyone's
day, 0 when it falls in everyone's night. The average is over every voter whose votes count,
whatever they voted, so a slot does not become fair because the people it hurts said no.
Between two slots with the same score, the one that puts fewer voters in their night comes
first, then the one with more yes votes.

**Best slots.** By votes: the most yes, then the most if-need-be, then the fairest. By
fairness: the highest score, then the fewest nights, then the most yes. Both are shown side
by side; when they are the same slot, the poll has an easy answer.
"""

import enum
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

NIGHT_ENDS = time(6)
EARLY_ENDS = time(8)
LATE_STARTS = time(21)


class DayPart(enum.Enum):
    NIGHT = ("night", _("night"), 3)
    EARLY = ("early", _("early morning"), 1)
    LATE = ("late", _("late evening"), 1)
    DAY = ("day", _("day"), 0)

    def __init__(self, slug: str, label: str, burden: int) -> None:
        self.slug = slug
        self.label = label
        self.burden = burden


MAX_BURDEN = DayPart.NIGHT.burden


def part_of_day(starts_at: datetime, length: timedelta, zone: ZoneInfo) -> DayPart:
    """Where a meeting of `length` from `starts_at` falls in a day in `zone`."""
    start = starts_at.astimezone(zone)
    end = (starts_at + length).astimezone(zone)
    if _touches_night(start, end):
        return DayPart.NIGHT
    if start.time() < EARLY_ENDS:
        return DayPart.EARLY
    if end.date() > start.date() or end.time() > LATE_STARTS:
        return DayPart.LATE
    return DayPart.DAY


def _touches_night(start: datetime, end: datetime) -> bool:
    """Does [start, end) overlap 00:00–06:00 of any day it covers?"""
    if start.time() < NIGHT_ENDS:
        return True
    # It reaches into the next day's night when it ends after that day's midnight.
    return end.date() > start.date() and end.time() > time(0)


def fairness_score(parts: Iterable[DayPart]) -> int:
    """100 × (1 − average burden ÷ the night's burden); 100 with no one to burden."""
    burdens = [part.burden for part in parts]
    if not burdens:
        return 100
    return round(100 * (1 - sum(burdens) / (len(burdens) * MAX_BURDEN)))


@dataclass(frozen=True)
class Cell:
    """A slot as one voter lives it: their local start, its part of their day, their vote."""

    local: datetime
    part: DayPart
    choice: str  # "yes", "if_need_be", "no", or "" for no vote


@dataclass
class SlotResult:
    starts_at: datetime
    cells: list[Cell]
    yes: int = 0
    if_need_be: int = 0
    no: int = 0
    nights: int = 0
    fairness: int = 100
    best_by_votes: bool = False
    best_by_fairness: bool = False


@dataclass(frozen=True)
class Voter:
    """Whom a column of the grid is about."""

    key: object
    name: str
    zone: ZoneInfo


@dataclass
class Results:
    voters: list[Voter]
    slots: list[SlotResult] = field(default_factory=list)

    @property
    def best_by_votes(self) -> SlotResult | None:
        return next((slot for slot in self.slots if slot.best_by_votes), None)

    @property
    def best_by_fairness(self) -> SlotResult | None:
        return next((slot for slot in self.slots if slot.best_by_fairness), None)


def results(
    *,
    slots: Sequence[datetime],
    voters: Sequence[Voter],
    choices: dict[tuple[object, datetime], str],
    length: timedelta,
) -> Results:
    """The grid: for each slot, each voter's local time, part of day and vote, with the
    counts, nights and fairness score, and the best slots marked. `choices` maps
    (voter key, slot start) to the vote."""
    found = Results(voters=list(voters))
    for starts_at in slots:
        cells = []
        for voter in voters:
            part = part_of_day(starts_at, length, voter.zone)
            cells.append(
                Cell(
                    local=starts_at.astimezone(voter.zone),
                    part=part,
                    choice=choices.get((voter.key, starts_at), ""),
                )
            )
        counted = Counter(cell.choice for cell in cells)
        found.slots.append(
            SlotResult(
                starts_at=starts_at,
                cells=cells,
                yes=counted["yes"],
                if_need_be=counted["if_need_be"],
                no=counted["no"],
                nights=sum(cell.part is DayPart.NIGHT for cell in cells),
                fairness=fairness_score(cell.part for cell in cells),
            )
        )
    if found.slots and voters:
        by_votes = max(found.slots, key=lambda s: (s.yes, s.if_need_be, s.fairness, -_at(s)))
        by_fairness = max(found.slots, key=lambda s: (s.fairness, -s.nights, s.yes, -_at(s)))
        by_votes.best_by_votes = True
        by_fairness.best_by_fairness = True
    return found


def _at(slot: SlotResult) -> float:
    """Earlier slots win ties."""
    return slot.starts_at.timestamp()


# --- a recurring slot across the year ------------------------------------------------------


class Moved(enum.Enum):
    THEIR_CLOCKS = ("theirs", _("your clocks changed"))
    ANCHOR_CLOCKS = ("anchor", _("the meeting's zone changed its clocks"))
    BOTH = ("both", _("both clocks changed"))

    def __init__(self, slug: str, label: str) -> None:
        self.slug = slug
        self.label = label


@dataclass(frozen=True)
class Occurrence:
    starts_at: datetime
    local: datetime
    part: DayPart
    moved: Moved | None  # why the local time differs from the occurrence before, if it does


def year_of_starts(
    starts: Sequence[datetime], *, anchor: ZoneInfo, zone: ZoneInfo, length: timedelta
) -> list[Occurrence]:
    """Each start of a recurring slot as a voter in `zone` lives it, marking the ones whose
    local start time moved from the one before, and whose clocks moved it."""
    found = []
    previous: datetime | None = None
    for starts_at in starts:
        local = starts_at.astimezone(zone)
        moved = None
        if previous is not None and local.time() != previous.astimezone(zone).time():
            theirs = _offset(previous, zone) != _offset(starts_at, zone)
            anchors = _offset(previous, anchor) != _offset(starts_at, anchor)
            moved = (
                Moved.BOTH
                if theirs and anchors
                else Moved.ANCHOR_CLOCKS
                if anchors
                else Moved.THEIR_CLOCKS
            )
        found.append(
            Occurrence(
                starts_at=starts_at,
                local=local,
                part=part_of_day(starts_at, length, zone),
                moved=moved,
            )
        )
        previous = starts_at
    return found


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    return instant.astimezone(zone).utcoffset() or timedelta(0)


def recurring_rule(first: datetime, *, anchor: ZoneInfo, frequency: str) -> str:
    """The RRULE that repeats `first` weekly, or monthly on the same weekday of the month
    (the 1st to 4th, or the last when it is the 5th), in the anchor zone."""
    local = first.astimezone(anchor)
    weekday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[local.weekday()]
    if frequency == "weekly":
        return f"FREQ=WEEKLY;BYDAY={weekday}"
    nth = (local.day - 1) // 7 + 1
    return f"FREQ=MONTHLY;BYDAY={nth if nth <= 4 else -1}{weekday}"


def first_local(first: datetime, anchor: ZoneInfo) -> tuple[date, time]:
    local = first.astimezone(anchor)
    return local.date(), local.time().replace(tzinfo=None)


def twelve_months_after(instant: datetime) -> datetime:
    return (instant + timedelta(days=365)).astimezone(UTC)
