"""SLA deadline math: pure, on the business calendar.

A clock promises that something happens within `within` (business minutes unless the
policy says wall-clock). Its escalation ladder is a list of steps, each at a point in
that allowed time ('80%') or after it ('100% + 30m'); the sweep only needs the instant
of the next step, so that is what the database indexes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from salesrelay.calendar import BusinessCalendar
from salesrelay.playbook.schema import SlaPolicy, parse_escalation_offset


@dataclass(frozen=True, slots=True)
class Step:
    at: datetime
    action: str


@dataclass(frozen=True, slots=True)
class ClockPlan:
    started_at: datetime
    due_at: datetime
    steps: tuple[Step, ...]

    @property
    def next_step_at(self) -> datetime | None:
        return self.steps[0].at if self.steps else None


def deadline(
    calendar: BusinessCalendar, start: datetime, minutes: float, *, business_hours: bool = True
) -> datetime:
    if business_hours:
        return calendar.add_business_minutes(start, minutes)
    return start + timedelta(minutes=minutes)


def plan_clock(policy: SlaPolicy, calendar: BusinessCalendar, started_at: datetime) -> ClockPlan:
    allowed = policy.within_minutes
    due_at = deadline(calendar, started_at, allowed, business_hours=policy.business_hours)
    steps = tuple(
        Step(
            deadline(
                calendar,
                started_at,
                parse_escalation_offset(step.at, allowed_minutes=allowed),
                business_hours=policy.business_hours,
            ),
            step.action,
        )
        for step in policy.escalation
    )
    return ClockPlan(started_at, due_at, steps)
