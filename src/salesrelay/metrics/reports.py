"""The math every report shares: percentiles, histograms, shares and business time. Pure.

Durations are float seconds in NumPy arrays. Percentiles follow NumPy's default ("linear",
Hyndman & Fan method 7) to the last bit, so a figure can be checked with `np.percentile`.
Business time comes from the playbook's `BusinessCalendar`: `BusinessClock` samples the
calendar's own business-minute arithmetic at every instant where it can open or close and
interpolates between them, which turns a million durations into two `searchsorted` calls.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from salesrelay.calendar import BusinessCalendar

PERCENTILES = (50.0, 90.0, 99.0)
DAY = 86400.0
SLOT = 900.0


# -- percentiles -----------------------------------------------------------------------


def _lerp(low: float, high: float, weight: float) -> float:
    # NumPy's own lerp: from the upper neighbour when the weight is 0.5 or more.
    step = high - low
    return float(high - step * (1 - weight) if weight >= 0.5 else low + step * weight)


def _positions(n: int, qs: Sequence[float]) -> list[tuple[int, int, float]]:
    """For each q, the two order statistics around NumPy's virtual index (n - 1) * q/100."""
    found = []
    for q in qs:
        virtual = (n - 1) * np.true_divide(q, 100)
        below = math.floor(virtual)
        found.append((below, min(below + 1, n - 1), float(virtual - below)))
    return found


def percentiles_of_sorted(ordered: np.ndarray, qs: Sequence[float]) -> list[float | None]:
    """NumPy's linear percentiles of an ascending array; None for each q when it is empty."""
    if len(ordered) == 0:
        return [None for _ in qs]
    return [_lerp(ordered[lo], ordered[hi], w) for lo, hi, w in _positions(len(ordered), qs)]


def percentiles(values: np.ndarray, qs: Sequence[float] = PERCENTILES) -> list[float | None]:
    """NumPy's linear percentiles (`np.percentile`), the same to the last bit.

    Like NumPy, only the order statistics needed are put in place (a partition, not a
    sort), so a million values take a few milliseconds.
    """
    n = len(values)
    if n == 0:
        return [None for _ in qs]
    spots = _positions(n, qs)
    placed = np.partition(values, sorted({i for lo, hi, _ in spots for i in (lo, hi)}))
    return [_lerp(placed[lo], placed[hi], w) for lo, hi, w in spots]


def mean(values: np.ndarray) -> float | None:
    return float(values.mean()) if len(values) else None


def share(part: float, whole: float) -> float | None:
    """part / whole, or None when there is nothing to divide (never 0/0 as 0)."""
    return part / whole if whole else None


# -- groups ----------------------------------------------------------------------------


class Groups:
    """Rows split by one or more integer key columns, in ascending key order.

    `index` gives each row its group number; `keys` the key tuple of each group. With no
    key columns every row is in one group (the total). Keys are small codes (-1 for none),
    so they are combined into one integer and counted, not sorted.
    """

    def __init__(self, keys: Sequence[np.ndarray], rows: int) -> None:
        if not keys:
            self.index = np.zeros(rows, dtype=np.intp)
            self.keys: list[tuple[int, ...]] = [()]
            return
        columns = [np.asarray(k, dtype=np.int64) + 1 for k in keys]  # -1 → 0
        sizes = [int(c.max()) + 1 if len(c) else 1 for c in columns]
        combined = columns[0]
        for column, size in zip(columns[1:], sizes[1:], strict=True):
            combined *= size
            combined += column
        space = math.prod(sizes)
        if space <= 4 * rows + 1_000_000:
            present = np.flatnonzero(np.bincount(combined, minlength=space))
            lookup = np.zeros(space, dtype=np.intp)
            lookup[present] = np.arange(len(present))
            self.index = lookup[combined]
        else:
            present, self.index = np.unique(combined, return_inverse=True)
        self.keys = []
        for value in present.tolist():
            key = []
            for size in reversed(sizes):
                value, code = divmod(value, size)
                key.append(code - 1)
            self.keys.append(tuple(reversed(key)))

    def __len__(self) -> int:
        return len(self.keys)

    def counts(self, mask: np.ndarray | None = None) -> np.ndarray:
        index = self.index if mask is None else self.index[mask]
        return np.bincount(index, minlength=len(self))

    def sums(self, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        if mask is None:
            return np.bincount(self.index, weights=values, minlength=len(self))
        return np.bincount(self.index[mask], weights=values[mask], minlength=len(self))

    def percentiles(
        self, values: np.ndarray, mask: np.ndarray, qs: Sequence[float] = PERCENTILES
    ) -> list[list[float | None]]:
        """Per group, the percentiles of `values` over the rows in `mask`."""
        return self.percentiles_of([values], mask, qs)[0]

    def percentiles_of(
        self, columns: Sequence[np.ndarray], mask: np.ndarray, qs: Sequence[float] = PERCENTILES
    ) -> list[list[list[float | None]]]:
        """percentiles() of several value columns over the same rows, splitting them once."""
        return self.percentiles_by(self.index[mask], [values[mask] for values in columns], qs)

    def percentiles_by(
        self, index: np.ndarray, columns: Sequence[np.ndarray], qs: Sequence[float] = PERCENTILES
    ) -> list[list[list[float | None]]]:
        """Per value column, per group, the percentiles; `index` is each value's group."""
        if len(self) == 1:
            return [[percentiles(values, qs)] for values in columns]
        # A stable sort of small integers is a radix sort: linear, whatever the row count.
        narrow = index.astype(np.int16 if len(self) < 2**15 else np.int32)
        order = np.argsort(narrow, kind="stable")
        bounds = np.searchsorted(narrow[order], np.arange(len(self) + 1))
        found = []
        for values in columns:
            ordered = values[order]
            found.append(
                [percentiles(ordered[bounds[g] : bounds[g + 1]], qs) for g in range(len(self))]
            )
        return found


# -- histograms ------------------------------------------------------------------------


def histogram(values: np.ndarray, edges: Sequence[float]) -> list[int]:
    """Counts in [edges[i], edges[i+1]), the last bucket open-ended: len(edges) buckets."""
    bucket = np.searchsorted(np.asarray(edges, dtype=float), values, side="right") - 1
    return [int(c) for c in np.bincount(bucket[bucket >= 0], minlength=len(edges))]


def grouped_histogram(
    index: np.ndarray, values: np.ndarray, edges: Sequence[float], groups: int
) -> np.ndarray:
    """histogram() per group: a (groups, len(edges)) array of counts; `index` is each
    value's group."""
    bucket = np.searchsorted(np.asarray(edges, dtype=float), values, side="right") - 1
    kept = bucket >= 0
    cells = index[kept] * len(edges) + bucket[kept]
    counts = np.bincount(cells, minlength=groups * len(edges))
    return counts.reshape(groups, len(edges))


def bucket_label(low: float, high: float | None, unit: str = "min") -> str:
    def text(value: float) -> str:
        if unit == "min" and value >= 60 and value % 60 == 0:
            hours = value / 60
            return f"{hours:g}h"
        return f"{value:g}{'m' if unit == 'min' else unit}"

    return f"{text(low)}+" if high is None else f"{text(low)}-{text(high)}"


# -- business time ---------------------------------------------------------------------


class BusinessClock:
    """Business seconds elapsed since the start of the covered range, for many instants.

    Between consecutive breakpoints (each local midnight and each opening and closing
    instant of the weekly hours) the calendar is either open throughout or closed
    throughout, so business time grows linearly there; the elapsed business time at each
    breakpoint is asked of the calendar itself, which keeps holidays, closed dates and
    daylight-saving days exactly as `business_minutes_between` counts them.
    """

    def __init__(self, calendar: BusinessCalendar, start: float, end: float) -> None:
        self.calendar = calendar
        zone = ZoneInfo(calendar.timezone)
        first = datetime.fromtimestamp(start, UTC).astimezone(zone).date() - timedelta(days=1)
        last = datetime.fromtimestamp(end, UTC).astimezone(zone).date() + timedelta(days=2)
        points = sorted(set(_breakpoints(calendar, zone, first, last)))
        instants = [datetime.fromtimestamp(p, UTC) for p in points]
        elapsed = [0.0]
        for left, right in itertools.pairwise(instants):
            elapsed.append(elapsed[-1] + calendar.business_minutes_between(left, right) * 60)
        self.points = np.asarray(points, dtype=float)
        self.elapsed = np.asarray(elapsed, dtype=float)
        widths = np.diff(self.points)
        slopes = np.divide(
            np.diff(self.elapsed), widths, out=np.zeros_like(widths), where=widths > 0
        )
        self.slopes = np.append(slopes, 0.0)
        # A binary search over random instants misses the cache at every step; instead each
        # quarter hour knows its last breakpoint before it starts, and a step or two (at
        # most the breakpoints within one quarter hour) walks forward from there.
        self.origin = self.points[0]
        slots = int((self.points[-1] - self.origin) // SLOT) + 1
        self.slot_first = (
            np.searchsorted(self.points, self.origin + SLOT * np.arange(slots), side="right") - 1
        )
        per_slot = np.diff(np.append(self.slot_first, len(self.points) - 1))
        self.walk = int(per_slot.max()) + 1 if len(per_slot) else 1

    def covers(self, start: float, end: float) -> bool:
        return self.points[0] <= start and end <= self.points[-1]

    def at(self, instants: np.ndarray) -> np.ndarray:
        """Business seconds from the first breakpoint to each instant in the covered range.

        Works in place on a few buffers: on a million instants, fresh temporaries would
        cost more in page faults than the arithmetic."""
        with np.errstate(invalid="ignore"):  # NaN instants give NaN results
            where = np.subtract(instants, self.origin)
            where *= 1 / SLOT
            slot = where.astype(np.intp)
        np.clip(slot, 0, len(self.slot_first) - 1, out=slot)
        current = np.take(self.slot_first, slot)
        ahead, moved = slot, np.empty(len(instants), dtype=bool)
        last = len(self.points) - 1
        for _ in range(self.walk):
            np.add(current, 1, out=ahead)
            np.minimum(ahead, last, out=ahead)
            np.take(self.points, ahead, out=where)
            np.less_equal(where, instants, out=moved)
            if not moved.any():
                break
            np.copyto(current, ahead, where=moved)
        result = np.take(self.points, current)
        np.subtract(instants, result, out=result)
        result *= np.take(self.slopes, current, out=where)
        result += np.take(self.elapsed, current, out=where)
        return result

    def between(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Business seconds in [start, end) for each pair; 0 when end <= start."""
        return np.maximum(self.at(ends) - self.at(starts), 0.0)


def _breakpoints(calendar: BusinessCalendar, zone: ZoneInfo, first: date, last: date):
    day = first
    while day <= last:
        midnight = datetime.combine(day, time(), tzinfo=zone)
        yield midnight.timestamp()
        for opening, closing in calendar.hours.days[day.weekday()]:
            for minute in (opening, closing):
                if minute >= 1440:
                    continue  # the next midnight, yielded with the next day
                yield midnight.replace(hour=minute // 60, minute=minute % 60).timestamp()
        day += timedelta(days=1)


_clocks: dict[int, BusinessClock] = {}


def business_clock(calendar: BusinessCalendar, start: float, end: float) -> BusinessClock:
    """A clock covering [start, end], reused while it covers what is asked of it."""
    clock = _clocks.get(id(calendar))
    if clock is not None and clock.calendar is calendar and clock.covers(start, end):
        return clock
    if clock is not None and clock.calendar is calendar:
        start, end = min(start, clock.points[0]), max(end, clock.points[-1])
    if len(_clocks) > 8:
        _clocks.clear()
    _clocks[id(calendar)] = clock = BusinessClock(calendar, start, end)
    return clock


def business_seconds(
    calendar: BusinessCalendar, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:
    """Business seconds between paired instants (epoch seconds); NaN where either is NaN."""
    if len(starts) == 0:
        return np.zeros(0)
    with np.errstate(invalid="ignore"):
        low = np.nanmin(starts) if not np.isnan(starts).all() else np.nan
        high = np.nanmax(ends) if not np.isnan(ends).all() else np.nan
        if np.isnan(low) or np.isnan(high):
            return np.full(len(starts), np.nan)
        clock = business_clock(calendar, float(min(low, high)), float(max(low, high)))
        return np.maximum(clock.at(ends) - clock.at(starts), 0.0)
