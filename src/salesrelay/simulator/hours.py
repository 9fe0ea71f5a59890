"""Weekly working hours for the simulator, in minutes since Monday 00:00 of the first week.

Written exactly as in a playbook calendar (parsed by `salesrelay.calendar`):
``mon-fri 09:00-17:00``, ``mon-thu 08:00-18:00; fri 08:00-14:00`` or ``24/7``. Holidays
and time zones are not simulated: a scenario runs on one local clock.
"""

from __future__ import annotations

import numpy as np

from salesrelay import calendar

WEEK_MINUTES = 7 * 24 * 60


def parse_weekly_hours(text: str) -> list[tuple[int, int]]:
    """Open intervals [start, end) in minutes of the week, sorted and merged."""
    weekly = calendar.parse_hours(text)
    if weekly.is_empty:
        raise ValueError("these hours never open; a simulated team needs working hours")
    intervals = [
        (day * 1440 + start, day * 1440 + end)
        for day, spans in enumerate(weekly.days)
        for start, end in spans
    ]
    merged = [intervals[0]]
    for start, end in intervals[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def open_share(intervals: list[tuple[int, int]]) -> float:
    return sum(end - start for start, end in intervals) / WEEK_MINUTES


def transitions(intervals: list[tuple[int, int]], horizon: float) -> list[tuple[float, bool]]:
    """(time, opens?) for every opening and closing before the horizon, in time order.

    Always-open hours give a single opening at 0.
    """
    if intervals == [(0, WEEK_MINUTES)]:
        return [(0.0, True)]
    changes: list[tuple[float, bool]] = []
    week = 0
    while week * WEEK_MINUTES < horizon:
        base = week * WEEK_MINUTES
        for start, end in intervals:
            if base + start < horizon:
                changes.append((float(base + start), True))
            if base + end < horizon:
                changes.append((float(base + end), False))
        week += 1
    return changes


class BusinessClock:
    """Open minutes elapsed between two moments, for SLA compliance on a business clock."""

    def __init__(self, intervals: list[tuple[int, int]]) -> None:
        minute_open = np.zeros(WEEK_MINUTES)
        for start, end in intervals:
            minute_open[start:end] = 1.0
        self._cumulative = np.concatenate(([0.0], np.cumsum(minute_open)))
        self._per_week = float(self._cumulative[-1])

    def open_minutes_since_start(self, times: np.ndarray) -> np.ndarray:
        weeks, within = np.divmod(np.asarray(times, dtype=float), WEEK_MINUTES)
        whole = np.floor(within).astype(int)
        fraction = within - whole
        step = self._cumulative[whole + 1] - self._cumulative[whole]
        return weeks * self._per_week + self._cumulative[whole] + fraction * step

    def open_minutes_between(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        return self.open_minutes_since_start(end) - self.open_minutes_since_start(start)
