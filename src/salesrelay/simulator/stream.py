"""The random lead stream: who arrives when, and every random number each lead will need.

Drawn once per seed with NumPy and shared by every scenario that is compared on it (common
random numbers): the same lead, with the same luck, meets the old team and the new one, so
the difference between two runs is the team's doing and not the dice's. Each purpose has
its own generator, so adding a touch or a meeting to one scenario leaves the other draws
unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from salesrelay.simulator import hours as weekly_hours
from salesrelay.simulator.model import Scenario

DAYS_PER_MONTH = 365.25 / 12
_ARRIVALS, _ATTRIBUTES, _TOUCHES, _MEETINGS = 1, 2, 3, 4


@dataclass(frozen=True)
class LeadStream:
    arrival: np.ndarray
    """Minutes since Monday 00:00 of week one, sorted."""
    source: np.ndarray
    """Index into the scenario's sources (in file order)."""
    source_names: tuple[str, ...]
    u_qualify: np.ndarray
    u_accept: np.ndarray
    u_win: np.ndarray
    u_renew: np.ndarray
    deal_normal: np.ndarray
    patience: np.ndarray
    handoff_delay: np.ndarray
    onboarding_work: np.ndarray
    touch_work: np.ndarray
    """(touches, leads) unit-mean exponential work per touch."""
    meeting_work: np.ndarray
    """(meetings, leads) unit-mean exponential work per meeting."""

    def __len__(self) -> int:
        return len(self.arrival)


def _generator(seed: tuple[int, int], *purpose: int) -> np.random.Generator:
    sequence = np.random.SeedSequence(list(seed), spawn_key=purpose)
    return np.random.Generator(np.random.PCG64(sequence))


def _hourly_rates(scenario: Scenario, source_name: str, hour_count: int) -> np.ndarray:
    source = scenario.sources[source_name]
    per_hour = source.leads_per_month / (DAYS_PER_MONTH * 24.0)
    hour_index = np.arange(hour_count)
    rates = np.full(hour_count, per_hour)
    if source.seasonality is not None:
        season = np.asarray(source.seasonality) / np.mean(source.seasonality)
        month = (hour_index / 24.0 / DAYS_PER_MONTH).astype(int) % 12
        rates = rates * season[month]
    if source.business_hours_share is not None:
        intervals = weekly_hours.parse_weekly_hours(scenario.hours)
        rates = rates * _business_hour_weights(intervals, source.business_hours_share, hour_index)
    return rates


def _business_hour_weights(intervals, share_open: float, hour_index: np.ndarray) -> np.ndarray:
    minute_open = np.zeros(weekly_hours.WEEK_MINUTES)
    for start, end in intervals:
        minute_open[start:end] = 1.0
    open_fraction = minute_open.reshape(-1, 60).mean(axis=1)
    week_share = open_fraction.mean()
    if week_share in (0.0, 1.0):
        return np.ones(len(hour_index))
    weight = open_fraction * share_open / week_share + (1 - open_fraction) * (1 - share_open) / (
        1 - week_share
    )
    return weight[hour_index % len(open_fraction)]


def _arrivals(scenario: Scenario, seed: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    horizon = scenario.horizon_days * 1440.0
    hour_count = math.ceil(horizon / 60.0)
    last_hour_share = horizon / 60.0 - (hour_count - 1)
    times, sources = [], []
    for index, name in enumerate(scenario.sources):
        rng = _generator(seed, _ARRIVALS, index)
        rates = _hourly_rates(scenario, name, hour_count)
        rates[-1] *= last_hour_share
        counts = rng.poisson(rates)
        hour_of_lead = np.repeat(np.arange(hour_count), counts)
        width = np.where(hour_of_lead == hour_count - 1, last_hour_share, 1.0)
        times.append((hour_of_lead + rng.random(len(hour_of_lead)) * width) * 60.0)
        sources.append(np.full(len(hour_of_lead), index, dtype=np.int64))
    arrival = np.concatenate(times) if times else np.zeros(0)
    source = np.concatenate(sources) if sources else np.zeros(0, dtype=np.int64)
    order = np.argsort(arrival, kind="stable")
    return arrival[order], source[order]


def draw_stream(
    scenario: Scenario,
    *,
    seed: int,
    run: int = 0,
    touches: int | None = None,
    meetings: int | None = None,
) -> LeadStream:
    """Draw the leads of `scenario`'s sources for run number `run` of a seed.

    `touches`/`meetings` widen the per-lead draws so that another scenario with more touches
    or meetings can share the stream.
    """
    seed_key = (seed, run)
    arrival, source = _arrivals(scenario, seed_key)
    count = len(arrival)
    touches = max(touches or 0, *(s.touches for s in scenario.segments.values()))
    meetings = max(meetings or 0, *(s.meetings for s in scenario.segments.values()))
    rng = _generator(seed_key, _ATTRIBUTES)
    uniforms = rng.random((4, count))
    exponentials = rng.exponential(size=(3, count))
    return LeadStream(
        arrival=arrival,
        source=source,
        source_names=tuple(scenario.sources),
        u_qualify=uniforms[0],
        u_accept=uniforms[1],
        u_win=uniforms[2],
        u_renew=uniforms[3],
        deal_normal=rng.standard_normal(count),
        patience=exponentials[0],
        handoff_delay=exponentials[1],
        onboarding_work=exponentials[2],
        touch_work=_columns(seed_key, _TOUCHES, touches, count),
        meeting_work=_columns(seed_key, _MEETINGS, meetings, count),
    )


def _columns(seed: tuple[int, int], purpose: int, width: int, count: int) -> np.ndarray:
    return np.stack([_generator(seed, purpose, k).exponential(size=count) for k in range(width)])
