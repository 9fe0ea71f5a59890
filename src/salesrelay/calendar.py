"""The business calendar: when a team is open, and arithmetic in business time.

Opening hours are wall-clock hours in the calendar's time zone: "09:00-17:00" stays eight
hours on a day the clocks change. Every instant going in must be timezone-aware (storage is
UTC); every instant coming out is aware UTC.

Wall-clock boundaries are turned into instants with zoneinfo's `fold=0` rule: a boundary
that falls in a spring-forward gap moves forward by the gap (02:30 on a day that skips
02:00-03:00 becomes 03:30), and a boundary in the repeated fall-back hour means its first
occurrence. Holidays and closed dates close the whole local day.

Open intervals are half-open, [opening, closing): the closing instant itself is closed. A
deadline that uses up the last business minute of a day *is* the closing instant, not the
next opening; every other deadline falls inside open hours.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_package

if TYPE_CHECKING:
    from salesrelay.playbook import schema

MINUTES_PER_DAY = 1440
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS_HELP = (
    "write days then times, e.g. 'mon-fri 09:00-17:00', 'mon-thu 08:00-18:00; fri 08:00-14:00', "
    "'mon,wed 10:00-12:00 13:00-17:00' or '24/7'"
)

_DAY_ALIASES = {
    **{name: (index,) for index, name in enumerate(DAY_NAMES)},
    "daily": tuple(range(7)),
    "weekdays": tuple(range(5)),
    "weekends": (5, 6),
}
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ALWAYS_WORDS = frozenset({"24/7", "24x7", "always"})
_CLOSED_WORDS = frozenset({"closed", "off"})
_TIME_RANGE = re.compile(r"^(\d{1,2})(?::(\d{2}))?-(\d{1,2})(?::(\d{2}))?$")
_DAY_CACHE_SIZE = 4096
_MAX_DAYS_WITHOUT_OPENING = 3660

Interval = tuple[int, int]
"""(start minute, end minute) of a local day, 0 ≤ start < end ≤ 1440."""


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Opening hours per weekday (0 = Monday): sorted, non-overlapping minute intervals."""

    days: tuple[tuple[Interval, ...], ...]

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise ValueError("weekly hours need exactly seven days, Monday first")
        for intervals in self.days:
            previous_end = -1
            for start, end in intervals:
                if not 0 <= start < end <= MINUTES_PER_DAY or start <= previous_end:
                    raise ValueError(f"bad or unsorted opening interval {start}-{end}")
                previous_end = end

    def is_open(self, local: datetime) -> bool:
        """Whether the wall time `local` (naive or aware, read as is) is inside these hours."""
        minute = local.hour * 60 + local.minute
        for start, end in self.days[local.weekday()]:
            if minute < start:
                return False
            if minute < end:
                return True
        return False

    @property
    def is_empty(self) -> bool:
        return not any(self.days)

    @property
    def is_always_open(self) -> bool:
        return all(intervals == ((0, MINUTES_PER_DAY),) for intervals in self.days)

    def minutes_until_open(self, local: datetime) -> float | None:
        """Wall-clock minutes from `local` to the next opening (0 when open); None if never."""
        if self.is_open(local):
            return 0.0
        minute = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
        weekday = local.weekday()
        for days_ahead in range(8):
            for start, _end in self.days[(weekday + days_ahead) % 7]:
                waited = days_ahead * MINUTES_PER_DAY + start - minute
                if waited > 0:
                    return waited
        return None

    def __str__(self) -> str:
        """The hours in the form `parse_hours` reads, consecutive equal days grouped."""
        if self.is_always_open:
            return "24/7"
        clauses: list[str] = []
        day = 0
        while day < 7:
            last = day
            while last + 1 < 7 and self.days[last + 1] == self.days[day]:
                last += 1
            if self.days[day]:
                days = DAY_NAMES[day] if last == day else f"{DAY_NAMES[day]}-{DAY_NAMES[last]}"
                ranges = " ".join(f"{_clock(s)}-{_clock(e)}" for s, e in self.days[day])
                clauses.append(f"{days} {ranges}")
            day = last + 1
        return "; ".join(clauses) or "closed"


ALWAYS_OPEN = WeeklyHours(days=(((0, MINUTES_PER_DAY),),) * 7)
"""Round the clock, every day."""


def parse_hours(spec: str | Mapping[str, Sequence[str] | str]) -> WeeklyHours:
    """Read opening hours from a playbook.

    Clauses add up, so a day may be listed in several clauses as long as its ranges do not
    overlap. A range that ends before it starts runs overnight into the next day. "closed"
    alone means never open (a rep who only takes leads when nobody else is working).
    """
    clauses: list[tuple[str, list[str]]] = []
    if isinstance(spec, str):
        text = spec.strip().lower()
        if text in _ALWAYS_WORDS:
            return ALWAYS_OPEN
        if text in _CLOSED_WORDS:
            return WeeklyHours(days=((),) * 7)
        for clause in re.split(r"[;\n]", _normalize(text)):
            tokens = [token for token in re.split(r"[\s,]+", clause) if token]
            if tokens:
                split = next((i for i, t in enumerate(tokens) if not _is_day_token(t)), len(tokens))
                if split == 0 and not _TIME_RANGE.match(tokens[0]):
                    raise ValueError(f"{tokens[0]!r} is not a day; {HOURS_HELP}")
                clauses.append((",".join(tokens[:split]), tokens[split:]))
    elif isinstance(spec, Mapping):
        for days, ranges in spec.items():
            if isinstance(ranges, str):
                ranges = [ranges]
            elif not isinstance(ranges, Sequence) or not all(isinstance(r, str) for r in ranges):
                raise ValueError(f"hours for {days!r} must be a list of ranges; {HOURS_HELP}")
            tokens = [
                t for r in ranges for t in re.split(r"[\s,]+", _normalize(str(r).lower())) if t
            ]
            clauses.append((_normalize(str(days).lower()), tokens or ["closed"]))
    else:
        raise ValueError(f"opening hours must be text or a mapping of days; {HOURS_HELP}")
    if not clauses:
        raise ValueError(f"no opening hours given; {HOURS_HELP}")

    per_day: list[list[Interval]] = [[] for _ in range(7)]
    for days_text, time_tokens in clauses:
        days = _parse_days(days_text, spec)
        if not time_tokens:
            raise ValueError(f"{days_text!r} has no times in {spec!r}; {HOURS_HELP}")
        if len(time_tokens) == 1 and time_tokens[0] in _CLOSED_WORDS:
            continue
        for token in time_tokens:
            start, end = _parse_range(token, spec)
            for day in days:
                if end > start:
                    per_day[day].append((start, end))
                else:  # overnight: the rest of this day and the start of the next
                    per_day[day].append((start, MINUTES_PER_DAY))
                    if end:
                        per_day[(day + 1) % 7].append((0, end))
    return WeeklyHours(days=tuple(_merge(day, intervals) for day, intervals in enumerate(per_day)))


def _normalize(text: str) -> str:
    return re.sub(r"\s*[-–—]\s*", "-", text).replace(" to ", "-")


def _is_day_token(token: str) -> bool:
    return all(part in _DAY_ALIASES or part in _FULL_DAY_NAMES for part in token.split("-"))


def _day_index(name: str) -> int:
    return DAY_NAMES.index(name[:3]) if name in _FULL_DAY_NAMES else DAY_NAMES.index(name)


def _parse_days(text: str, spec: object) -> tuple[int, ...]:
    if not text:
        raise ValueError(f"a clause in {spec!r} names no days; {HOURS_HELP}")
    days: list[int] = []
    for part in filter(None, re.split(r"[\s,]+", text)):
        if part in _DAY_ALIASES:
            days.extend(_DAY_ALIASES[part])
            continue
        ends = part.split("-")
        if len(ends) != 2 or not all(e in DAY_NAMES or e in _FULL_DAY_NAMES for e in ends):
            raise ValueError(f"{part!r} is not a day or a range of days; {HOURS_HELP}")
        first, last = _day_index(ends[0]), _day_index(ends[1])
        days.extend((first + offset) % 7 for offset in range((last - first) % 7 + 1))
    return tuple(dict.fromkeys(days))


def _parse_range(token: str, spec: object) -> Interval:
    if token in ("24h", "all-day"):
        return 0, MINUTES_PER_DAY
    match = _TIME_RANGE.match(token)
    if not match:
        raise ValueError(
            f"{token!r} in {spec!r} is not a time range such as 09:00-17:00; {HOURS_HELP}"
        )
    start_hour, start_minute, end_hour, end_minute = (int(g or 0) for g in match.groups())
    start, end = start_hour * 60 + start_minute, end_hour * 60 + end_minute
    if start_minute > 59 or end_minute > 59 or start >= MINUTES_PER_DAY or end > MINUTES_PER_DAY:
        raise ValueError(f"{token!r} in {spec!r} is not a valid time range; times run 00:00-24:00")
    if start == end:
        raise ValueError(f"{token!r} in {spec!r} is empty; give a start before the end")
    return start, end


def _merge(day: int, intervals: list[Interval]) -> tuple[Interval, ...]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start < merged[-1][1]:
            earlier = merged[-1]
            raise ValueError(
                f"{DAY_NAMES[day]} has overlapping hours {_clock(earlier[0])}-{_clock(earlier[1])} "
                f"and {_clock(start)}-{_clock(end)}; list each day's ranges once"
            )
        if merged and start == merged[-1][1]:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{name} {value.isoformat()} has no time zone; pass an aware datetime (UTC)"
        )


def wall_minutes_between(start: datetime, end: datetime) -> float:
    """Elapsed minutes on the wall clock, 0 if end <= start (a 24/7 calendar's answer)."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    return max(0.0, (end - start).total_seconds() / 60)


class BusinessCalendar:
    """Opening hours in one time zone, less holidays and closed dates.

    Without `hours` the calendar is open round the clock. Per local day, the open intervals
    are computed once as POSIX timestamps and memoized, so the arithmetic below walks whole
    intervals and costs a few microseconds per call.
    """

    __slots__ = (
        "_always_open",
        "_closed_by_year",
        "_day_spans",
        "_holidays_for_year",
        "_zone",
        "closed_dates",
        "holiday_country",
        "hours",
        "timezone",
    )

    def __init__(
        self,
        *,
        timezone: str = "UTC",
        hours: WeeklyHours | None = None,
        holiday_country: str | None = None,
        closed_dates: Iterable[date] = (),
    ) -> None:
        self.timezone = timezone
        self._zone = _zone(timezone)
        self.hours = ALWAYS_OPEN if hours is None else hours
        self.holiday_country = holiday_country or None
        self._holidays_for_year = _holiday_source(self.holiday_country)
        self.closed_dates = frozenset(closed_dates)
        self._closed_by_year: dict[int, frozenset[date]] = {}
        self._day_spans: dict[int, tuple[tuple[float, float], ...]] = {}
        self._always_open = (
            self.hours.is_always_open and self.holiday_country is None and not self.closed_dates
        )

    @classmethod
    def from_playbook(cls, calendar: schema.Calendar) -> BusinessCalendar:
        closed: list[date] = []
        for text in calendar.closed_dates:
            try:
                closed.append(date.fromisoformat(str(text)))
            except ValueError:
                raise ValueError(f"closed date {text!r} is not a date; write YYYY-MM-DD") from None
        return cls(
            timezone=calendar.timezone,
            hours=parse_hours(calendar.hours),
            holiday_country=calendar.holidays,
            closed_dates=closed,
        )

    def __repr__(self) -> str:
        return (
            f"BusinessCalendar(timezone={self.timezone!r}, hours='{self.hours}', "
            f"holiday_country={self.holiday_country!r}, closed_dates={len(self.closed_dates)})"
        )

    # -- questions ----------------------------------------------------------------------
    def is_open(self, at: datetime) -> bool:
        _require_aware(at, "at")
        if self._always_open:
            return True
        moment = at.timestamp()
        return any(o <= moment < c for o, c in self._spans(at.astimezone(self._zone).toordinal()))

    def next_open(self, at: datetime) -> datetime:
        """`at` itself (in UTC) when open, otherwise the next opening."""
        _require_aware(at, "at")
        if self._always_open:
            return at.astimezone(UTC)
        moment = at.timestamp()
        ordinal = at.astimezone(self._zone).toordinal()
        for day in range(ordinal, ordinal + _MAX_DAYS_WITHOUT_OPENING):
            for opening, closing in self._spans(day):
                if moment < closing:
                    if moment >= opening:
                        return at.astimezone(UTC)
                    return datetime.fromtimestamp(opening, UTC)
        raise self._never_open()

    def add_business_minutes(self, start: datetime, minutes: float) -> datetime:
        """The instant `minutes` of open time after `start`; a closed start waits for opening."""
        _require_aware(start, "start")
        if not 0 <= minutes < math.inf:
            raise ValueError(f"cannot add {minutes!r} business minutes; give a number ≥ 0")
        if self._always_open:
            return start.astimezone(UTC) + timedelta(minutes=minutes)
        moment = start.timestamp()
        remaining = minutes * 60.0
        ordinal = start.astimezone(self._zone).toordinal()
        idle_days = 0
        day_spans = self._day_spans
        while idle_days < _MAX_DAYS_WITHOUT_OPENING:
            spans = day_spans.get(ordinal)
            if spans is None:
                spans = self._spans(ordinal)
            idle_days += 1
            for opening, closing in spans:
                if moment >= closing:
                    continue
                if moment < opening:
                    moment = opening
                available = closing - moment
                if remaining <= available:
                    return datetime.fromtimestamp(moment + remaining, UTC)
                remaining -= available
                moment = closing
                idle_days = 0
            ordinal += 1
        raise self._never_open()

    def business_minutes_between(self, start: datetime, end: datetime) -> float:
        """Open minutes in [start, end); 0 if end <= start."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        if end <= start:
            return 0.0
        if self._always_open:
            return (end - start).total_seconds() / 60
        begin, finish = start.timestamp(), end.timestamp()
        total = 0.0
        first = start.astimezone(self._zone).toordinal()
        last = end.astimezone(self._zone).toordinal()
        for ordinal in range(first, last + 1):
            for opening, closing in self._spans(ordinal):
                overlap = min(closing, finish) - max(opening, begin)
                if overlap > 0:
                    total += overlap
        return total / 60

    # -- the day table ------------------------------------------------------------------
    def _spans(self, ordinal: int) -> tuple[tuple[float, float], ...]:
        """Open intervals of one local day as (opening, closing) POSIX timestamps."""
        found = self._day_spans.get(ordinal)
        if found is not None:
            return found
        day = date.fromordinal(ordinal)
        spans: list[tuple[float, float]] = []
        if not self._is_closed_day(day):
            midnight = datetime.combine(day, time(), tzinfo=self._zone)
            for start, end in self.hours.days[day.weekday()]:
                opening = _wall_instant(midnight, start)
                closing = _wall_instant(midnight, end)
                if spans and opening < spans[-1][1]:  # a boundary moved by a DST gap
                    opening = spans[-1][1]
                if closing > opening:
                    spans.append((opening, closing))
        if len(self._day_spans) >= _DAY_CACHE_SIZE:
            self._day_spans.clear()
        self._day_spans[ordinal] = result = tuple(spans)
        return result

    def _is_closed_day(self, day: date) -> bool:
        if day in self.closed_dates:
            return True
        if self._holidays_for_year is None:
            return False
        closed = self._closed_by_year.get(day.year)
        if closed is None:
            closed = self._closed_by_year[day.year] = self._holidays_for_year(day.year)
        return day in closed

    def _never_open(self) -> ValueError:
        return ValueError(f"{self!r} never opens; give it opening hours")


def _wall_instant(midnight: datetime, minute: int) -> float:
    """POSIX time of a wall-clock minute of the day that starts at local `midnight` (fold=0)."""
    if minute >= MINUTES_PER_DAY:
        following = midnight.date() + timedelta(days=1)
        return datetime.combine(following, time(), tzinfo=midnight.tzinfo).timestamp()
    return midnight.replace(hour=minute // 60, minute=minute % 60).timestamp()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}; write an IANA name such as 'America/New_York' or 'UTC'"
        ) from None


def _holiday_source(code: str | None) -> Callable[[int], frozenset[date]] | None:
    """A function year → frozenset of that year's public holidays, or None."""
    if code is None:
        return None
    country, _, subdivision = code.strip().upper().partition("-")
    try:
        holidays_package.country_holidays(country, subdiv=subdivision or None)
    except NotImplementedError:
        raise ValueError(
            f"unknown holiday calendar {code!r}; write an ISO country code, optionally with a "
            "subdivision, such as 'US' or 'DE-BY'"
        ) from None

    def for_year(year: int) -> frozenset[date]:
        return frozenset(
            holidays_package.country_holidays(country, subdiv=subdivision or None, years=year)
        )

    return for_year
