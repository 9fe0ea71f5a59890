"""SLA deadline math: pure, on the business calendar.

A clock promises that something happens within `within` (business minutes unless the
policy says wall-clock). Its escalation ladder is a list of steps, each at a point in
that allowed time ('80%') or after it ('100% + 30m'); the sweep only needs the instant
of the next step, so that is what the database indexes.

Every plan also holds a `breach` step at the deadline itself (before any policy step at the
same instant), so the sweep records each breach when it happens even if the policy's
ladder has no step at 100%.
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


BREACH = "breach"


def plan_clock(
    policy: SlaPolicy,
    calendar: BusinessCalendar,
    started_at: datetime,
    *,
    within_minutes: float | None = None,
) -> ClockPlan:
    """The deadline and the escalation ladder; `within_minutes` overrides the policy's
    allowed time (a handoff's acceptance window comes from its protocol)."""
    allowed = policy.within_minutes if within_minutes is None else within_minutes
    due_at = deadline(calendar, started_at, allowed, business_hours=policy.business_hours)
    ladder = [(due_at, 0, BREACH)]
    for step in policy.escalation:
        at = deadline(
            calendar,
            started_at,
            parse_escalation_offset(step.at, allowed_minutes=allowed),
            business_hours=policy.business_hours,
        )
        ladder.append((at, 1, step.action))
    steps = tuple(Step(at, action) for at, _, action in sorted(ladder, key=lambda s: s[:2]))
    return ClockPlan(started_at, due_at, steps)


def allowed_minutes(
    policy: SlaPolicy, calendar: BusinessCalendar, started_at: datetime, due_at: datetime
) -> float:
    """The allowed time a running clock was planned with, recovered from its stored
    start and deadline, so its ladder stays the same whatever the policy says today."""
    if policy.business_hours:
        minutes = calendar.business_minutes_between(started_at, due_at)
    else:
        minutes = (due_at - started_at).total_seconds() / 60
    return round(minutes, 4)
