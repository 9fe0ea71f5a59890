"""The SLA sweep: find due clocks with one indexed query and apply their escalation steps.

Each batch is one transaction: the clocks are claimed (FOR UPDATE SKIP LOCKED on
PostgreSQL, so concurrent workers take different clocks; SQLite's BEGIN IMMEDIATE lets
one writer in at a time), their due steps applied — events, outbox rows, reassignments —
and `steps_done` / `next_step_at` advanced, all committed together. A worker killed
mid-batch commits nothing, and the next sweep redoes the same steps: each step happens
exactly once.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from salesrelay.db import transaction, utcnow
from salesrelay.errors import SalesRelayError
from salesrelay.events import service as event_service
from salesrelay.handoffs import expiry as handoff_expiry
from salesrelay.handoffs import service as handoff_service
from salesrelay.handoffs.intro import format_moment
from salesrelay.handoffs.models import Handoff
from salesrelay.intake.models import Account
from salesrelay.journeys import post_sales
from salesrelay.journeys import service as journey_service
from salesrelay.journeys.assign import Assigner
from salesrelay.journeys.flows import RECYCLE_KIND
from salesrelay.journeys.models import Journey
from salesrelay.outbox import service as outbox_service
from salesrelay.outbox.service import EMAIL_ONLY, Channels, Person
from salesrelay.playbook.schema import SlaPolicy
from salesrelay.sla import service as sla_service
from salesrelay.sla.clocks import BREACH, Step, allowed_minutes, plan_clock
from salesrelay.sla.models import SlaClock
from salesrelay.team.models import Rep
from salesrelay.telemetry import instruments

log = logging.getLogger("salesrelay.sweep")


@dataclass
class SweepResult:
    clocks: int = 0
    steps: int = 0
    breaches: int = 0
    failures: int = 0
    handled: list[tuple[str, str, float]] = field(default_factory=list, repr=False)
    """(action, clock kind, seconds late) of each step in one batch, for the metrics once
    the batch is committed; `add` leaves it out, so a long backlog holds no list."""

    def add(self, other: SweepResult) -> None:
        self.clocks += other.clocks
        self.steps += other.steps
        self.breaches += other.breaches
        self.failures += other.failures

    def counts(self) -> dict[str, int]:
        return {
            "clocks": self.clocks,
            "steps": self.steps,
            "breaches": self.breaches,
            "failures": self.failures,
        }


@dataclass
class _Batch:
    session: Session
    now: datetime
    channels: Channels
    rules: journey_service.Rules
    journeys: dict[int, Journey]
    accounts: dict[int, Account]
    handoffs: dict[int, Handoff]
    reps: dict[int, Rep]
    """The whole team, held for the batch (the session's identity map keeps no strong
    references, so a get() per step would reload the same rows thousands of times)."""
    assigner: Assigner
    events: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    result: SweepResult = field(default_factory=SweepResult)


def sweep_batch(
    *, session: Session, now: datetime, limit: int, channels: Channels = EMAIL_ONLY
) -> SweepResult:
    """Claim up to `limit` due clocks and apply their due steps, in the caller's transaction."""
    clocks = sla_service.claim_due(session=session, now=now, limit=limit)
    if not clocks:
        return SweepResult()
    journey_ids = {clock.journey_id for clock in clocks}
    journeys = {
        j.id: j for j in session.scalars(select(Journey).where(Journey.id.in_(journey_ids)))
    }
    account_ids = {journey.account_id for journey in journeys.values()}
    batch = _Batch(
        session=session,
        now=now,
        channels=channels,
        rules=journey_service.rules(session=session),
        journeys=journeys,
        accounts={
            a.id: a for a in session.scalars(select(Account).where(Account.id.in_(account_ids)))
        },
        handoffs=handoff_service.by_clock_ids(
            session=session,
            clock_ids=[c.id for c in clocks if c.kind == "handoff_acceptance"],
        ),
        reps={rep.id: rep for rep in session.scalars(select(Rep))},
        assigner=Assigner(session=session, now=now),
    )
    for clock in clocks:
        _advance(batch, clock)
    event_service.record_many(session=session, rows=batch.events)
    outbox_service.enqueue_many(session=session, rows=batch.messages)
    batch.assigner.close()
    session.flush()
    batch.result.clocks = len(clocks)
    return batch.result


def sweep_due(
    *,
    factory: sessionmaker[Session],
    probe: sessionmaker[Session] | None = None,
    batch_size: int = 500,
    channels: Channels = EMAIL_ONLY,
    clock: Callable[[], datetime] = utcnow,
    max_batches: int = 1000,
) -> SweepResult:
    """Batches, each in its own transaction, until nothing is due. `probe` (a read-only
    sessionmaker) answers "anything due?" without taking SQLite's write lock."""
    total = SweepResult()
    for _ in range(max_batches):
        now = clock()
        with transaction(probe or factory) as session:
            if not sla_service.any_due(session=session, now=now):
                break
        with transaction(factory) as session:
            result = sweep_batch(session=session, now=now, limit=batch_size, channels=channels)
        _observe(result)
        total.add(result)
        if result.clocks < batch_size:
            break
    return total


def _observe(result: SweepResult) -> None:
    """Count a committed batch's steps: a batch rolled back and redone counts once."""
    for action, kind, late in result.handled:
        instruments.sla_steps.labels(action).inc()
        instruments.sweep_lag_seconds.observe(late)
        if action == BREACH:
            instruments.sla_breaches.labels(kind).inc()


# -- one clock -------------------------------------------------------------------------


_FLOW_BREACHES = ("handoff_acceptance", RECYCLE_KIND)
"""Clocks whose breach runs another flow (expire a handoff, recycle a lead)."""


def _policy(batch: _Batch, clock: SlaClock) -> SlaPolicy:
    policy = batch.rules.playbook.sla.get(clock.policy)
    if policy is None or clock.kind == RECYCLE_KIND:
        # A policy since removed from the playbook (or a recycle date): only the deadline.
        return SlaPolicy(kind="time_in_stage", within="0m", business_hours=False)
    return policy


def _advance(batch: _Batch, clock: SlaClock) -> None:
    journey = batch.journeys.get(clock.journey_id)
    if journey is None:
        clock.status, clock.next_step_at, clock.stopped_at = "cancelled", None, batch.now
        return
    policy = _policy(batch, clock)
    calendar = batch.rules.calendar
    allowed = allowed_minutes(policy, calendar, clock.started_at, clock.due_at)
    plan = plan_clock(policy, calendar, clock.started_at, within_minutes=allowed)
    steps = [Step(clock.due_at, BREACH) if s.action == BREACH else s for s in plan.steps]
    index = clock.steps_done
    while index < len(steps) and steps[index].at <= batch.now and clock.status == "running":
        step = steps[index]
        if step.action == "reassign" or (step.action == BREACH and clock.kind in _FLOW_BREACHES):
            # These call other flows; a failure must not block the rest of the batch.
            try:
                with batch.session.begin_nested():
                    _apply(batch, clock, journey, index, step)
            except (SalesRelayError, ValueError) as error:
                log.warning("clock %s step %s (%s) failed: %s", clock.id, index, step.action, error)
                batch.result.failures += 1
                batch.events.append(
                    _event_row(
                        batch, clock, journey, "sla.step_failed", index, step, {"error": str(error)}
                    )
                )
        else:
            _apply(batch, clock, journey, index, step)
        index += 1
        batch.result.steps += 1
        batch.result.handled.append(
            (step.action, clock.kind, (batch.now - step.at).total_seconds())
        )
    clock.steps_done = index
    clock.next_step_at = steps[index].at if index < len(steps) else None
    if clock.next_step_at is None and clock.status == "running":
        handoff = batch.handoffs.get(clock.id)
        if clock.kind == RECYCLE_KIND:
            clock.status, clock.stopped_at = "met", batch.now
        elif handoff is not None and handoff.status != "proposed":
            clock.status, clock.stopped_at = "missed", batch.now


def _apply(batch: _Batch, clock: SlaClock, journey: Journey, index: int, step: Step) -> None:
    handoff = batch.handoffs.get(clock.id)
    action, outcome = step.action, {}
    if action == BREACH:
        clock.breached_at = clock.due_at
        batch.result.breaches += 1
        if handoff is not None:
            expired = handoff_expiry.expire(
                session=batch.session, handoff=handoff, now=batch.now, channels=batch.channels
            )
            outcome = {"handoff_id": handoff.id, "expired": expired}
        elif clock.kind == RECYCLE_KIND:
            outcome = {
                "recycled_to": post_sales.recycle(
                    session=batch.session, journey=journey, now=batch.now
                )
            }
        batch.events.append(_event_row(batch, clock, journey, "sla.breached", index, step, outcome))
        return
    responsible = _responsible(clock, journey, handoff)
    if action == "remind_owner":
        outcome = _remind(batch, clock, journey, index, responsible)
    elif action == "notify_manager":
        outcome = _alert_manager(batch, clock, journey, index, responsible)
    elif action == "reassign":
        if handoff is not None:
            new, why = handoff_expiry.reoffer(
                session=batch.session,
                handoff=handoff,
                now=batch.now,
                assigner=batch.assigner,
                channels=batch.channels,
            )
            outcome = {
                "handoff_id": handoff.id,
                "new_handoff_id": new.id if new else None,
                "outcome": why,
            }
        else:
            outcome = _reassign(batch, clock, journey)
    batch.events.append(_event_row(batch, clock, journey, "sla.escalated", index, step, outcome))


def _responsible(clock: SlaClock, journey: Journey, handoff: Handoff | None) -> int | None:
    """Whoever the promise is waiting on: the receiver of an open handoff, else the owner."""
    if handoff is not None and handoff.status == "proposed":
        return handoff.to_rep_id
    return journey.owner_rep_id


def _label(batch: _Batch, clock: SlaClock) -> str:
    policy = batch.rules.playbook.sla.get(clock.policy)
    return policy.label if policy and policy.label else clock.policy.replace("_", " ")


def _remind(
    batch: _Batch, clock: SlaClock, journey: Journey, index: int, rep_id: int | None
) -> dict:
    rep = batch.reps.get(rep_id) if rep_id is not None else None
    if rep is None:
        return {"outcome": "nobody to remind: the journey is queued"}
    account = batch.accounts[journey.account_id]
    due = format_moment(clock.due_at, batch.rules.calendar.timezone)
    late = batch.now >= clock.due_at
    batch.messages += outbox_service.rep_messages(
        channels=batch.channels,
        rep=Person(rep.name, rep.email),
        topic="sla.remind_owner",
        subject=f"{'Overdue' if late else 'Due soon'}: {_label(batch, clock)} for {account.name}",
        body=f"{_label(batch, clock)} on journey {journey.id} ({account.name}, stage "
        f"'{journey.stage}') {'was' if late else 'is'} due {due}.",
        key=f"sla:{clock.id}:{index}:remind",
        now=batch.now,
        journey_id=journey.id,
    )
    return {"outcome": f"reminded {rep.name}", "rep_id": rep.id}


def _alert_manager(
    batch: _Batch, clock: SlaClock, journey: Journey, index: int, rep_id: int | None
) -> dict:
    rep = batch.reps.get(rep_id) if rep_id is not None else None
    manager = batch.reps.get(rep.manager_id) if rep is not None and rep.manager_id else None
    if manager is None:
        who = rep.name if rep else "the queue"
        return {"outcome": f"no manager to notify for {who}"}
    account = batch.accounts[journey.account_id]
    due = format_moment(clock.due_at, batch.rules.calendar.timezone)
    batch.messages += outbox_service.rep_messages(
        channels=batch.channels,
        rep=Person(manager.name, manager.email),
        topic="sla.notify_manager",
        subject=f"SLA breached: {_label(batch, clock)} for {account.name} ({rep.name})",
        body=f"{_label(batch, clock)} on journey {journey.id} ({account.name}, stage "
        f"'{journey.stage}') was due {due}; {rep.name} is responsible.",
        key=f"sla:{clock.id}:{index}:manager",
        now=batch.now,
        journey_id=journey.id,
    )
    return {"outcome": f"notified {manager.name}, manager of {rep.name}", "rep_id": manager.id}


def _reassign(batch: _Batch, clock: SlaClock, journey: Journey) -> dict:
    if journey.status != "open":
        return {"outcome": "journey is closed"}
    old = journey.owner_rep_id
    account = batch.accounts[journey.account_id]
    stage = batch.rules.playbook.stage(journey.stage)
    decision = batch.assigner.choose(
        role=stage.role,
        account_owner_id=account.owner_rep_id,
        exclude={old} if old is not None else (),
        label=f"{stage.role} pool",
    )
    batch.assigner.record(journey_id=journey.id, decision=decision)
    if decision.rep_id is None:
        return {
            "outcome": "nobody else available; the owner keeps it",
            "reasons": list(decision.reasons),
        }
    new = decision.rep_id
    journey_service.lock(session=batch.session, journey=journey)
    journey.owner_rep_id, journey.updated_at = new, batch.now
    loads = {new: 1} | ({old: -1} if old is not None else {})
    journey_service.add_open_counts(session=batch.session, owners=Counter(loads))
    batch.assigner.released(old)
    sla_service.hand_over(session=batch.session, journey_id=journey.id, rep_id=new)
    if account.owner_rep_id == old:
        account.owner_rep_id = new
    reasons = [f"SLA '{clock.policy}' breached by rep {old}", *decision.reasons]
    event_service.record(
        session=batch.session,
        journey_id=journey.id,
        kind="journey.reassigned",
        at=batch.now,
        rep_id=new,
        actor="system",
        data={"from": old, "to": new, "reasons": reasons, "clock_id": clock.id},
    )
    new_rep = batch.reps[new]
    batch.messages += outbox_service.rep_messages(
        channels=batch.channels,
        rep=Person(new_rep.name, new_rep.email),
        topic="journey.reassigned",
        subject=f"Now yours: {account.name} (journey {journey.id})",
        body=f"Journey {journey.id} ({account.name}, stage '{journey.stage}') was reassigned "
        "to you "
        f"because {_label(batch, clock)} was missed.\n" + "\n".join(f"- {r}" for r in reasons),
        key=f"sla:{clock.id}:reassign:{new}",
        now=batch.now,
        journey_id=journey.id,
    )
    outbox_service.publish(
        session=batch.session,
        channels=batch.channels,
        topic="journey.reassigned",
        now=batch.now,
        key=f"sla:{clock.id}:reassign:{new}",
        journey_id=journey.id,
        data={
            "journey_id": journey.id,
            "from_rep_id": old,
            "to_rep_id": new,
            "policy": clock.policy,
        },
    )
    return {"outcome": f"reassigned to {new_rep.name}", "from": old, "to": new}


def _event_row(
    batch: _Batch,
    clock: SlaClock,
    journey: Journey,
    kind: str,
    index: int,
    step: Step,
    outcome: dict,
) -> dict[str, Any]:
    return {
        "journey_id": journey.id,
        "kind": kind,
        "at": batch.now,
        "rep_id": clock.rep_id,
        "actor": "system",
        "data": {
            "clock_id": clock.id,
            "policy": clock.policy,
            "clock_kind": clock.kind,
            "action": step.action,
            "step": index,
            "scheduled_at": step.at.isoformat(),
            "due_at": clock.due_at.isoformat(),
            "lag_seconds": round((batch.now - step.at).total_seconds(), 3),
            **outcome,
        },
    }
