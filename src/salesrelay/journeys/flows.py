"""Things that happen to a journey after intake: touches, stage changes, fields.

`transition` is the one function every stage change goes through — a move within a role,
a handoff's acceptance, an ending (won, lost, disqualified, nurture), a return from
nurture. It checks the move against the playbook, then in the caller's transaction moves
the journey, settles and starts clocks, keeps every rep's open count right, and writes
the event and the outbox rows.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from salesrelay.errors import ConflictError
from salesrelay.events import service as event_service
from salesrelay.handoffs import service as handoff_service
from salesrelay.intake.models import Account
from salesrelay.journeys import service as journey_service
from salesrelay.journeys import stages
from salesrelay.journeys.assign import Assigner
from salesrelay.journeys.models import Journey
from salesrelay.outbox import service as outbox_service
from salesrelay.outbox.service import EMAIL_ONLY, Channels, Person
from salesrelay.sla import service as sla_service
from salesrelay.sla.clocks import BREACH, ClockPlan, Step
from salesrelay.sla.models import SlaClock
from salesrelay.team.models import Rep

if TYPE_CHECKING:
    from salesrelay.handoffs.models import Handoff

NURTURE_RECYCLE_DAYS = 90
RECYCLE_KIND = "recycle"
"""A clock that brings a nurtured lead back to routing when it runs out."""


def record_touch(
    *,
    session: Session,
    journey: Journey,
    at: datetime,
    channel: str,
    note: str | None = None,
    rep_id: int | None = None,
    actor: str | None = None,
) -> dict:
    """A call, e-mail or meeting with the customer. The first one stops the speed-to-lead
    clock; any one answers a customer's request and restarts the follow-up cadence."""
    sla_service.lock_running(session=session, journey_id=journey.id)
    first = journey_service.mark_first_touch(session=session, journey=journey, at=at)
    stopped = (
        sla_service.stop(session=session, journey_id=journey.id, kind="first_touch", at=at)
        if first
        else []
    )
    stopped += sla_service.stop(session=session, journey_id=journey.id, kind="response", at=at)
    if journey.status == "open":
        rules = journey_service.rules(session=session)
        stopped += sla_service.restart(
            session=session,
            playbook=rules.playbook,
            calendar=rules.calendar,
            journey_id=journey.id,
            stage=journey.stage,
            kind="follow_up",
            rep_id=journey.owner_rep_id,
            at=at,
        )
    event_service.record(
        session=session,
        journey_id=journey.id,
        kind="journey.touched",
        at=at,
        rep_id=rep_id if rep_id is not None else journey.owner_rep_id,
        actor=actor,
        data={"channel": channel, "note": note, "first": first},
    )
    _clock_events(session, journey.id, stopped, at)
    journey.updated_at = at
    session.flush()
    return {"first_touch": first, "clocks_stopped": [clock.policy for clock in stopped]}


@dataclass
class Moved:
    journey_id: int
    from_stage: str
    to_stage: str
    status: str
    outcome: str | None
    owner_rep_id: int | None
    clocks_started: list[str] = field(default_factory=list)
    clocks_stopped: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def transition(
    *,
    session: Session,
    journey: Journey,
    to_stage: str,
    now: datetime,
    actor: str | None,
    reason: str | None = None,
    note: str | None = None,
    rep_id: int | None = None,
    fields: Mapping[str, Any] | None = None,
    handoff: Handoff | None = None,
    recycle_at: datetime | None = None,
    channels: Channels = EMAIL_ONLY,
    assigner: Assigner | None = None,
) -> Moved:
    """Move `journey` to `to_stage`, or raise: ConflictError for a move the playbook does not
    allow (naming the allowed ones) or that crosses roles without `handoff`,
    InvalidInputError for an ending without a reason. `rep_id` is who acted."""
    rules = journey_service.rules(session=session)
    playbook = rules.playbook
    sla_service.lock_running(session=session, journey_id=journey.id)
    journey_service.lock(session=session, journey=journey)
    stages.check_move(
        playbook,
        journey_id=journey.id,
        from_stage=journey.stage,
        to_stage=to_stage,
        status=journey.status,
        outcome=journey.outcome,
        via_handoff=handoff.protocol if handoff else None,
        reason=reason,
    )
    if handoff is None:
        pending = handoff_service.pending_for_journey(session=session, journey_id=journey.id)
        if pending is not None:
            raise ConflictError(
                f"journey {journey.id} waits for handoff {pending.id} to be answered (until "
                f"{pending.accept_by.isoformat(timespec='minutes')}); it moves when that is decided"
            )
    stored_fields = stages.check_fields(fields or {}, timezone=rules.calendar.timezone)
    target = playbook.stage(to_stage)
    from_stage, old_owner, was_open = journey.stage, journey.owner_rep_id, journey.status == "open"
    closing = stages.closes(playbook, target)
    account = session.get(Account, journey.account_id)
    new_owner, reasons = old_owner, []
    if handoff is not None:
        new_owner = handoff.to_rep_id
    elif not was_open:  # back from nurture: routed again, account owner first
        own = assigner is None
        assigner = assigner or Assigner(session=session, now=now)
        decision = assigner.choose(
            role=target.role,
            account_owner_id=account.owner_rep_id,
            label=f"back from nurture: {target.role} pool",
        )
        assigner.record(journey_id=journey.id, decision=decision)
        new_owner, reasons = decision.rep_id, list(decision.reasons)
        if own:
            assigner.close()

    journey.stage = to_stage
    journey.updated_at = now
    journey.status = "closed" if closing else "open"
    if target.terminal is not None:
        journey.outcome = target.terminal
    elif not was_open:
        journey.outcome = None
    journey.owner_rep_id = new_owner
    if stored_fields:
        journey.fields = {**(journey.fields or {}), **stored_fields}
    loads: Counter = Counter()
    if was_open and old_owner is not None:
        loads[old_owner] -= 1
    if not closing and new_owner is not None:
        loads[new_owner] += 1
    journey_service.add_open_counts(session=session, owners=loads)
    if target.terminal == "won" and not account.is_customer:
        account.is_customer = True
    if handoff is not None and target.post_sale and new_owner is not None:
        account.owner_rep_id = new_owner  # post-sales owns the relationship from here

    stopped = sla_service.leave_stage(
        session=session, journey_id=journey.id, stage=from_stage, at=now, closing=closing
    )
    started: list[str] = []
    if not closing:
        if new_owner != old_owner:
            sla_service.hand_over(session=session, journey_id=journey.id, rep_id=new_owner)
        kinds = sla_service.STAGE_KINDS + (("response",) if journey.kind == "request" else ())
        started = sla_service.start_for_stage(
            session=session,
            playbook=playbook,
            calendar=rules.calendar,
            journey_id=journey.id,
            stage=to_stage,
            rep_id=new_owner,
            now=now,
            kinds=kinds,
        )
    elif target.terminal == "nurture":
        recycle_at = recycle_at or now + timedelta(days=NURTURE_RECYCLE_DAYS)
        start_recycle_clock(session=session, journey=journey, at=recycle_at, now=now)
        journey.fields = {**(journey.fields or {}), "recycle_at": recycle_at.isoformat()}

    data: dict[str, Any] = {"from": from_stage, "to": to_stage, "reason": reason, "note": note}
    if target.terminal is not None:
        data["outcome"] = target.terminal
    if handoff is not None:
        data["handoff_id"] = handoff.id
    if stored_fields:
        data["fields"] = stored_fields
    if new_owner != old_owner:
        data["owner"] = {"from": old_owner, "to": new_owner}
    if reasons:
        data["reasons"] = reasons
    event_service.record(
        session=session,
        journey_id=journey.id,
        kind="journey.stage_changed",
        at=now,
        rep_id=rep_id if rep_id is not None else old_owner,
        actor=actor,
        data=data,
    )
    _clock_events(session, journey.id, stopped, now)
    key = f"journey:{journey.id}:stage:{uuid.uuid4().hex}"
    outbox_service.publish(
        session=session,
        channels=channels,
        topic="journey.stage_changed",
        key=key,
        now=now,
        journey_id=journey.id,
        data={
            "journey_id": journey.id,
            "account_id": journey.account_id,
            **data,
            "status": journey.status,
            "owner_rep_id": new_owner,
        },
    )
    if not was_open and new_owner is not None:
        owner = person(session, new_owner)
        outbox_service.notify_rep(
            session=session,
            channels=channels,
            rep=owner,
            topic="journey.reopened",
            subject=f"{account.name} is back from nurture: journey {journey.id} is yours",
            body=f"Journey {journey.id} ({account.name}) moved to '{to_stage}' and was routed "
            "to you:\n" + "\n".join(f"- {r}" for r in reasons),
            key=key + ":owner",
            now=now,
            journey_id=journey.id,
        )
    session.flush()
    return Moved(
        journey.id,
        from_stage,
        to_stage,
        journey.status,
        journey.outcome,
        new_owner,
        started,
        [c.policy for c in stopped if c.status in ("met", "missed")],
        reasons,
    )


def update_fields(
    *,
    session: Session,
    journey: Journey,
    fields: Mapping[str, Any],
    now: datetime,
    actor: str | None,
    rep_id: int | None = None,
    channels: Channels = EMAIL_ONLY,
) -> dict[str, Any]:
    """Record what was learned (contract value, renewal date, health…) on the journey."""
    rules = journey_service.rules(session=session)
    values = stages.check_fields(fields, timezone=rules.calendar.timezone)
    journey_service.lock(session=session, journey=journey)
    journey.fields = {**(journey.fields or {}), **values}
    journey.updated_at = now
    event_service.record(
        session=session,
        journey_id=journey.id,
        kind="journey.fields_updated",
        at=now,
        rep_id=rep_id,
        actor=actor,
        data={"fields": values},
    )
    outbox_service.publish(
        session=session,
        channels=channels,
        topic="journey.fields_updated",
        now=now,
        key=f"journey:{journey.id}:fields:{uuid.uuid4().hex}",
        journey_id=journey.id,
        data={"journey_id": journey.id, "account_id": journey.account_id, "fields": values},
    )
    session.flush()
    return dict(journey.fields)


def start_recycle_clock(
    *, session: Session, journey: Journey, at: datetime, now: datetime
) -> SlaClock:
    return sla_service.start_one(
        session=session,
        journey_id=journey.id,
        policy_id="nurture_recycle",
        kind=RECYCLE_KIND,
        stage=journey.stage,
        rep_id=None,
        plan=ClockPlan(started_at=now, due_at=at, steps=(Step(at, BREACH),)),
    )


# -- helpers shared with the other flows ------------------------------------------------


def person(session: Session, rep_id: int | None) -> Person | None:
    rep = session.get(Rep, rep_id) if rep_id is not None else None
    return Person(rep.name, rep.email) if rep is not None else None


def _clock_events(session: Session, journey_id: int, clocks: list[SlaClock], at: datetime) -> None:
    rows = [
        {
            "journey_id": journey_id,
            "kind": f"sla.{clock.status}",
            "at": at,
            "rep_id": clock.rep_id,
            "actor": "system",
            "data": {
                "policy": clock.policy,
                "kind": clock.kind,
                "due_at": clock.due_at.isoformat(),
            },
        }
        for clock in clocks
        if clock.status in ("met", "missed")
    ]
    event_service.record_many(session=session, rows=rows)
