"""Starting and stopping SLA clocks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from salesrelay.sla.clocks import ClockPlan
from salesrelay.sla.models import SlaClock


def clock_row(
    *, journey_id: int, policy_id: str, kind: str, stage: str | None, rep_id: int | None, plan: ClockPlan
) -> dict[str, Any]:
    return {
        "journey_id": journey_id,
        "policy": policy_id,
        "kind": kind,
        "stage": stage,
        "rep_id": rep_id,
        "status": "running",
        "started_at": plan.started_at,
        "due_at": plan.due_at,
        "next_step_at": plan.next_step_at,
        "steps_done": 0,
    }


def start_many(*, session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(SlaClock), rows)


def stop(*, session: Session, journey_id: int, kind: str, at: datetime) -> list[SlaClock]:
    """Stop the journey's running clocks of one kind; each is met or missed by its deadline."""
    clocks = list(
        session.scalars(
            select(SlaClock).where(
                SlaClock.journey_id == journey_id, SlaClock.kind == kind, SlaClock.status == "running"
            )
        )
    )
    for clock in clocks:
        clock.status = "met" if at <= clock.due_at else "missed"
        clock.stopped_at = at
        clock.next_step_at = None
    session.flush()
    return clocks


def for_journey(*, session: Session, journey_id: int) -> list[SlaClock]:
    return list(session.scalars(select(SlaClock).where(SlaClock.journey_id == journey_id).order_by(SlaClock.id)))


def cancel_running(*, session: Session, journey_id: int, at: datetime) -> None:
    session.execute(
        update(SlaClock)
        .where(SlaClock.journey_id == journey_id, SlaClock.status == "running")
        .values(status="cancelled", stopped_at=at, next_step_at=None)
    )
