"""What one run measured: counts, speed to lead, SLA compliance, utilization, stage flows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from salesrelay.simulator import hours as weekly_hours

if TYPE_CHECKING:
    from salesrelay.simulator.engine import Engine

STAGES = ("waiting", "qualifying", "handoff", "opportunity", "onboarding")
"""Where a lead can be: waiting for a first touch, being qualified (touches and follow-ups),
in a handoff to a closer, an open opportunity (meetings and the cycle), onboarding."""


class Counts:
    """Running tallies, including the time-integral of each stage's occupancy (for L = λW).

    The engine updates the stage lists in place (see `Engine._move`); they are plain lists
    because that update runs a few times per lead.
    """

    def __init__(self, stages: int) -> None:
        self.in_stage = [0] * stages
        self.area = [0.0] * stages
        self.changed = [0.0] * stages
        self.entered = [0] * stages
        self.left = [0] * stages
        self.sojourn = [0.0] * stages
        self.qualified = 0
        self.handoffs_accepted = 0
        self.opportunities = 0
        self.won = 0
        self.customers = 0
        self.renewals = 0
        self.new_revenue = 0.0
        self.renewal_revenue = 0.0

    def settle(self, horizon: float) -> None:
        for stage, count in enumerate(self.in_stage):
            self.area[stage] += count * (horizon - self.changed[stage])
            self.changed[stage] = horizon


@dataclass
class StageFlow:
    """Little's law terms of one stage over the run: L (time-average count), λ, W."""

    mean_count: float
    arrivals_per_minute: float
    mean_minutes: float
    completed: int


@dataclass
class RunResult:
    metrics: dict[str, float]
    utilization: dict[str, float]
    stages: dict[str, StageFlow]
    waits_minutes: np.ndarray = field(repr=False)
    """Arrival to first touch of every touched lead."""
    abandon_waits_minutes: np.ndarray = field(repr=False)
    """Arrival to going cold of every lead that went cold before a touch."""
    busy_minutes: dict[str, float] = field(default_factory=dict)

    def queue_view(
        self, *, target_seconds: float, reps: int, horizon_minutes: float, patience: bool
    ) -> dict[str, float]:
        """The Erlang quantities measured on this run (first touches only)."""
        waits, gone = self.waits_minutes, self.abandon_waits_minutes
        resolved = len(waits) + len(gone)
        if resolved == 0:
            return {"p_wait": 0.0, "service_level": 1.0, "asa_seconds": 0.0, "occupancy": 0.0}
        busy = next(iter(self.busy_minutes.values()), 0.0)
        view = {
            "p_wait": (np.count_nonzero(waits > 0) + len(gone)) / resolved,
            "service_level": np.count_nonzero(waits <= target_seconds / 60.0) / resolved,
            "asa_seconds": float(waits.mean() * 60.0) if len(waits) else 0.0,
            "occupancy": busy / (reps * horizon_minutes),
            "mean_wait_seconds": (waits.sum() + gone.sum()) * 60.0 / resolved,
        }
        if patience:
            view["p_abandon"] = len(gone) / resolved
        return {key: float(value) for key, value in view.items()}


def _available_minutes(engine: Engine) -> dict[str, float]:
    available = {name: 0.0 for name in engine.roles}
    clocks = {name: weekly_hours.BusinessClock(role.hours) for name, role in engine.roles.items()}
    horizon = np.array([engine.horizon])
    for rep, role in enumerate(engine.rep_role):
        start = np.array([max(0.0, engine.rep_hired[rep])])
        if start[0] < engine.horizon:
            available[role.name] += float(clocks[role.name].open_minutes_between(start, horizon)[0])
    return available


def _sla_compliance(engine: Engine, arrival: np.ndarray, first_touch: np.ndarray) -> float:
    scenario = engine.scenario
    clock = weekly_hours.BusinessClock(weekly_hours.parse_weekly_hours(scenario.hours))
    touched = first_touch >= 0
    end = np.where(touched, first_touch, engine.horizon)
    business_wait = clock.open_minutes_between(arrival, end)
    within = touched & (business_wait <= scenario.sla_minutes)
    # A lead still waiting at the end counts only once its promise has run out.
    decided = touched | np.asarray(engine.abandoned) | (business_wait > scenario.sla_minutes)
    return float(within.sum() / decided.sum()) if decided.any() else 1.0


def _percentiles(waits: np.ndarray) -> dict[str, float]:
    if len(waits) == 0:
        return {f"speed_to_lead_{name}_minutes": 0.0 for name in ("p50", "p90", "p99", "mean")}
    p50, p90, p99 = np.percentile(waits, [50, 90, 99])
    return {
        "speed_to_lead_p50_minutes": float(p50),
        "speed_to_lead_p90_minutes": float(p90),
        "speed_to_lead_p99_minutes": float(p99),
        "speed_to_lead_mean_minutes": float(waits.mean()),
    }


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def collect(engine: Engine) -> RunResult:
    counts, horizon = engine.counts, engine.horizon
    arrival = engine.stream.arrival
    arrived = arrival <= horizon
    first_touch = np.asarray(engine.first_touch)
    abandoned = np.asarray(engine.abandoned, dtype=bool)
    touched = first_touch >= 0
    waits = (first_touch - arrival)[touched]
    abandon_waits = np.asarray(engine.abandon_waits)
    leads = int(arrived.sum())
    metrics = {
        "leads": float(leads),
        "touched": float(touched.sum()),
        "abandoned": float(abandoned.sum()),
        "qualified": float(counts.qualified),
        "handoffs_accepted": float(counts.handoffs_accepted),
        "opportunities": float(counts.opportunities),
        "won": float(counts.won),
        "customers": float(counts.customers),
        "renewals": float(counts.renewals),
        "new_revenue": counts.new_revenue,
        "renewal_revenue": counts.renewal_revenue,
        "revenue": counts.new_revenue + counts.renewal_revenue,
        **_percentiles(waits),
        "sla_compliance": _sla_compliance(engine, arrival[arrived], first_touch[arrived]),
        "lead_to_touched": _ratio(touched.sum(), leads),
        "touched_to_qualified": _ratio(counts.qualified, touched.sum()),
        "qualified_to_opportunity": _ratio(counts.opportunities, counts.qualified),
        "opportunity_to_won": _ratio(counts.won, counts.opportunities),
    }
    available = _available_minutes(engine)
    busy = {name: role.busy_minutes for name, role in engine.roles.items()}
    utilization = {
        name: busy[name] / available[name]
        for name, role in engine.roles.items()
        if not role.unlimited and available[name] > 0
    }
    for name, share in utilization.items():
        metrics[f"utilization.{name}"] = share
    stages = {
        name: StageFlow(
            mean_count=counts.area[index] / horizon,
            arrivals_per_minute=counts.entered[index] / horizon,
            mean_minutes=_ratio(counts.sojourn[index], counts.left[index]),
            completed=counts.left[index],
        )
        for index, name in enumerate(STAGES)
    }
    return RunResult(metrics, utilization, stages, waits, abandon_waits, busy)
