"""Starting and stopping SLA clocks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import literal_column, select, update
from sqlalchemy.orm import Session

from salesrelay.calendar import BusinessCalendar
from salesrelay.db import insert_rows
from salesrelay.playbook.schema import Playbook
from salesrelay.sla.clocks import ClockPlan, plan_clock
from salesrelay.sla.models import SlaClock


def clock_row(
    *,
    journey_id: int,
    policy_id: str,
    kind: str,
    stage: str | None,
    rep_id: int | None,
    plan: ClockPlan,
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
    insert_rows(session, SlaClock.__table__, rows)


def stop(*, session: Session, journey_id: int, kind: str, at: datetime) -> list[SlaClock]:
    """Stop the journey's running clocks of one kind; each is met or missed by its deadline."""
    clocks = list(
        session.scalars(
            select(SlaClock).where(
                SlaClock.journey_id == journey_id,
                SlaClock.kind == kind,
                SlaClock.status == "running",
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
    return list(
        session.scalars(
            select(SlaClock).where(SlaClock.journey_id == journey_id).order_by(SlaClock.id)
        )
    )


def cancel_running(*, session: Session, journey_id: int, at: datetime) -> None:
    session.execute(
        update(SlaClock)
        .where(SlaClock.journey_id == journey_id, SlaClock.status == "running")
        .values(status="cancelled", stopped_at=at, next_step_at=None)
    )


# -- clocks that follow the journey through its stages ---------------------------------

STAGE_KINDS = ("follow_up", "time_in_stage")
"""Clocks every journey gets on entering a stage; `response` clocks are for requests only."""

_STOPPED_ON_LEAVING = ("follow_up", "time_in_stage")
"""Kept (met) or broken (missed) by leaving the stage; a first touch or an answer to a
customer is only kept by a touch, so leaving cancels those instead."""


def lock_running(*, session: Session, journey_id: int) -> list[SlaClock]:
    """Lock the journey's running clocks before changing the journey.

    The sweep locks a clock first and the journey after; taking the locks in the same order
    here means a transition and a sweep wait for each other instead of deadlocking.
    """
    return list(
        session.scalars(
            select(SlaClock)
            .where(SlaClock.journey_id == journey_id, SlaClock.status == "running")
            .order_by(SlaClock.id)
            .with_for_update()
        )
    )


def start_for_stage(
    *,
    session: Session,
    playbook: Playbook,
    calendar: BusinessCalendar,
    journey_id: int,
    stage: str,
    rep_id: int | None,
    now: datetime,
    kinds: tuple[str, ...] = STAGE_KINDS,
) -> list[str]:
    """Start the clocks the playbook promises for `stage`; returns their policy ids."""
    rows = []
    for kind in kinds:
        for policy_id, policy in playbook.policies_for_stage(stage, kind):
            if stage in policy.pause_in:
                continue
            plan = plan_clock(policy, calendar, now)
            rows.append(
                clock_row(
                    journey_id=journey_id,
                    policy_id=policy_id,
                    kind=kind,
                    stage=stage,
                    rep_id=rep_id,
                    plan=plan,
                )
            )
    start_many(session=session, rows=rows)
    return [row["policy"] for row in rows]


def leave_stage(
    *, session: Session, journey_id: int, stage: str, at: datetime, closing: bool = False
) -> list[SlaClock]:
    """Stop the clocks of the stage a journey leaves (all of them when it closes).

    Acceptance clocks belong to their handoff, which settles them itself."""
    query = select(SlaClock).where(
        SlaClock.journey_id == journey_id,
        SlaClock.status == "running",
        SlaClock.kind != "handoff_acceptance",
    )
    if not closing:
        query = query.where(SlaClock.stage == stage)
    clocks = list(session.scalars(query))
    for clock in clocks:
        if clock.kind in _STOPPED_ON_LEAVING:
            clock.status = "met" if at <= clock.due_at else "missed"
        else:
            clock.status = "cancelled"
        clock.stopped_at = at
        clock.next_step_at = None
    session.flush()
    return clocks


def restart(
    *,
    session: Session,
    playbook: Playbook,
    calendar: BusinessCalendar,
    journey_id: int,
    stage: str,
    kind: str,
    rep_id: int | None,
    at: datetime,
) -> list[SlaClock]:
    """A cadence clock (follow-up) is kept by each touch and starts over from it."""
    stopped = stop(session=session, journey_id=journey_id, kind=kind, at=at)
    start_for_stage(
        session=session,
        playbook=playbook,
        calendar=calendar,
        journey_id=journey_id,
        stage=stage,
        rep_id=rep_id,
        now=at,
        kinds=(kind,),
    )
    return stopped


def hand_over(*, session: Session, journey_id: int, rep_id: int | None) -> None:
    """The journey's running clocks now hold its new owner to account."""
    session.execute(
        update(SlaClock)
        .where(
            SlaClock.journey_id == journey_id,
            SlaClock.status == "running",
            SlaClock.kind != "handoff_acceptance",
        )
        .values(rep_id=rep_id)
    )


def start_one(
    *,
    session: Session,
    journey_id: int,
    policy_id: str,
    kind: str,
    stage: str | None,
    rep_id: int | None,
    plan: ClockPlan,
) -> SlaClock:
    clock = SlaClock(
        **clock_row(
            journey_id=journey_id,
            policy_id=policy_id,
            kind=kind,
            stage=stage,
            rep_id=rep_id,
            plan=plan,
        )
    )
    session.add(clock)
    session.flush()
    return clock


# -- the sweep's query -----------------------------------------------------------------


RUNNING = literal_column("'running'")
"""Written into the SQL, not bound: the planner can only use the partial index (WHERE status =
'running') when it sees the value — a PostgreSQL generic plan with `status = $1` cannot."""


def due_query(now: datetime, limit: int):
    """Running clocks whose next step is due, earliest first: served by the partial index
    ix_sla_clocks_running_next_step_at (see docs/sla.md for the plans)."""
    return (
        select(SlaClock)
        .where(SlaClock.status == RUNNING, SlaClock.next_step_at <= now)
        .order_by(SlaClock.next_step_at)
        .limit(limit)
    )


def any_due(*, session: Session, now: datetime) -> bool:
    return (
        session.scalar(
            select(SlaClock.id)
            .where(SlaClock.status == RUNNING, SlaClock.next_step_at <= now)
            .order_by(SlaClock.next_step_at)
            .limit(1)
        )
        is not None
    )


def claim_due(*, session: Session, now: datetime, limit: int) -> list[SlaClock]:
    """Lock up to `limit` due clocks for this transaction; other workers skip them."""
    return list(session.scalars(due_query(now, limit).with_for_update(skip_locked=True)))
