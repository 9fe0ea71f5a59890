"""What the engine keeps per role and per segment during a run."""

from __future__ import annotations

import math
from collections import deque

from salesrelay.simulator import hours as weekly_hours
from salesrelay.simulator.model import Scenario, Segment


class RoleState:
    """A role during a run: its reps, queues by task class, and what it has done."""

    def __init__(self, name: str, scenario: Scenario) -> None:
        spec = scenario.roles[name]
        self.name = name
        self.unlimited = spec.unlimited
        self.slowdown = 1.0 / (1.0 - min(scenario.penalty(name), 0.99))
        self.capacity = spec.capacity
        self.ramp_minutes = spec.ramp_days * 1440.0
        self.ramp_start = spec.ramp_start_productivity
        self.hours = weekly_hours.parse_weekly_hours(spec.hours or scenario.hours)
        self.open = False
        self.idle: list[int] = []
        self.active_reps = 0
        self.queues: list[deque] = [deque() for _ in range(4)]
        self.running: list[set[int]] = [set() for _ in range(4)]
        self.busy_minutes = 0.0
        self.open_opportunities = 0
        self.backlog: deque[int] = deque()


class SegmentPlan:
    """A segment's numbers, resolved once: roles as objects, durations in minutes."""

    __slots__ = ("closer", "cycle_gap", "post_sales", "segment", "sigma", "touch_interval")

    def __init__(self, segment: Segment, roles: dict[str, RoleState]) -> None:
        self.segment = segment
        self.closer = roles[segment.owners["closing"]]
        post_sales = segment.owners.get("post_sales")
        self.post_sales = roles[post_sales] if post_sales else None
        self.cycle_gap = segment.cycle_days * 1440.0 / segment.meetings
        self.touch_interval = segment.touch_interval_hours * 60.0
        self.sigma = math.sqrt(math.log1p(segment.deal_size_cv**2))
