"""One journey's move in a restructure, as a handoff: propose → accept / reject / expire.

Proposing names the receiver the plan chose and starts an acceptance clock, so the SLA
sweep reminds, escalates and finally expires an offer nobody answers (the next run then
offers the journey to someone else). Accepting changes only the owner — the stage stays —
and queues the customer's intro in the outbox in the same transaction. Rejecting leaves the
journey with its owner; the next run plans it for another receiver.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from salesrelay.errors import ConflictError
from salesrelay.events import service as event_service
from salesrelay.handoffs import flows as handoff_flows
from salesrelay.handoffs import messages
from salesrelay.handoffs import service as handoff_service
from salesrelay.handoffs.intro import format_moment
from salesrelay.handoffs.models import Handoff
from salesrelay.handoffs.protocol import acceptance_policy
from salesrelay.intake.models import Account
from salesrelay.journeys import service as journey_service
from salesrelay.journeys.models import Journey
from salesrelay.outbox import service as outbox_service
from salesrelay.outbox.service import EMAIL_ONLY, Channels, Person
from salesrelay.restructure.protocol import PROTOCOL, PROTOCOL_ID, REJECTION_REASONS
from salesrelay.sla import service as sla_service
from salesrelay.sla.clocks import plan_clock
from salesrelay.team.models import Rep


def propose(
    *,
    session: Session,
    journey: Journey,
    from_rep_id: int | None,
    to_rep_id: int,
    role: str,
    fields: dict[str, Any],
    reasons: Sequence[str],
    now: datetime,
    actor: str | None,
    channels: Channels = EMAIL_ONLY,
) -> Handoff:
    """Offer `journey` to `to_rep_id`, or raise ConflictError when the plan no longer fits it
    (it moved, changed owner, has another handoff pending, or the receiver cannot take it)."""
    rules = journey_service.rules(session=session)
    sla_service.lock_running(session=session, journey_id=journey.id)
    journey_service.lock(session=session, journey=journey)
    if journey.status != "open":
        raise ConflictError(f"journey {journey.id} is closed ({journey.outcome})")
    if journey.owner_rep_id != from_rep_id:
        raise ConflictError(f"journey {journey.id} changed owner since the plan was made")
    _check_stage(rules.playbook, journey, role)
    pending = handoff_service.pending_for_journey(session=session, journey_id=journey.id)
    if pending is not None:
        raise ConflictError(f"journey {journey.id} waits for handoff {pending.id}")
    receiver = session.get(Rep, to_rep_id)
    if receiver is None or receiver.deleted_at is not None or receiver.paused:
        raise ConflictError(f"rep {to_rep_id} is paused or no longer on the team")
    if role not in receiver.roles:
        raise ConflictError(f"{receiver.name} no longer holds the role '{role}'")
    if receiver.id == from_rep_id:
        raise ConflictError(f"journey {journey.id} is already with {receiver.name}")

    policy_id, policy = acceptance_policy(rules.playbook, PROTOCOL.accept_within)
    plan = plan_clock(policy, rules.calendar, now, within_minutes=PROTOCOL.accept_within_minutes)
    clock = sla_service.start_one(
        session=session,
        journey_id=journey.id,
        policy_id=policy_id,
        kind="handoff_acceptance",
        stage=journey.stage,
        rep_id=receiver.id,
        plan=plan,
    )
    handoff = handoff_service.create(
        session=session,
        values={
            "journey_id": journey.id,
            "protocol": PROTOCOL_ID,
            "from_rep_id": from_rep_id,
            "to_rep_id": receiver.id,
            "from_stage": journey.stage,
            "to_stage": journey.stage,
            "status": "proposed",
            "fields": fields,
            "reasons": list(reasons),
            "proposed_at": now,
            "accept_by": plan.due_at,
            "clock_id": clock.id,
        },
    )
    messages.record_event(
        session=session,
        handoff=handoff,
        kind="handoff.proposed",
        now=now,
        actor=actor,
        rep_id=from_rep_id,
        data={
            "protocol": PROTOCOL_ID,
            "to_stage": journey.stage,
            "to_rep_id": receiver.id,
            "accept_by": plan.due_at.isoformat(),
            "fields": fields,
            "reasons": list(reasons),
        },
    )
    account = session.get(Account, journey.account_id)
    sender = session.get(Rep, from_rep_id) if from_rep_id is not None else None
    deadline = format_moment(plan.due_at, rules.calendar.timezone)
    week = f"week {fields['week']} of {fields['weeks']} of the restructure to {fields['playbook']}"
    _notify(
        session,
        channels,
        receiver,
        handoff,
        now,
        "proposed",
        subject=f"Restructure: {account.name} moves to you (accept by {deadline})",
        body=f"{sender.name if sender else 'The queue'} hands {account.name} (journey "
        f"{journey.id}, stage '{journey.stage}') to you in {week}. Accept or reject it by "
        f"{deadline}.\n\nWhy you:\n" + "\n".join(f"- {reason}" for reason in reasons) + "\n\n"
        f"salesrelay restructure accept {handoff.id}   |   salesrelay restructure reject "
        f"{handoff.id} --reason <{'|'.join(REJECTION_REASONS)}>",
    )
    if sender is not None:
        _notify(
            session,
            channels,
            sender,
            handoff,
            now,
            "proposed:sender",
            subject=f"Restructure: {account.name} moves to {receiver.name}",
            body=f"In {week}, {account.name} (journey {journey.id}, stage '{journey.stage}') "
            f"moves to {receiver.name}. It stays yours until they accept (by {deadline}); "
            "the customer is introduced to them then, with you in copy.",
        )
    messages.publish(
        session=session, channels=channels, handoff=handoff, topic="handoff.proposed", now=now
    )
    session.flush()
    return handoff


def accept(
    *,
    session: Session,
    handoff: Handoff,
    now: datetime,
    actor: str | None,
    rep_id: int | None = None,
    note: str | None = None,
    channels: Channels = EMAIL_ONLY,
) -> Handoff:
    """The receiver takes the journey: it becomes theirs in the same stage, its running
    clocks hold them to account, and the customer gets the intro."""
    journey = _locked_for_accept(session, handoff, rep_id)
    rules = journey_service.rules(session=session)
    receiver = session.get(Rep, handoff.to_rep_id)
    if receiver is None or receiver.deleted_at is not None:
        raise ConflictError(f"the receiver of handoff {handoff.id} is no longer on the team")
    role = _check_stage(rules.playbook, journey, None)
    if role not in receiver.roles:
        raise ConflictError(
            f"journey {journey.id} is now in '{journey.stage}' ({role} work), which "
            f"{receiver.name} does not do; reject the handoff so it can be offered again"
        )
    handoff_flows.settle_clock(session=session, handoff=handoff, now=now)
    handoff.status, handoff.decided_at = "accepted", now
    old = journey.owner_rep_id
    journey.owner_rep_id, journey.updated_at = receiver.id, now
    journey_service.add_open_counts(
        session=session, owners=Counter({receiver.id: 1} | ({old: -1} if old is not None else {}))
    )
    sla_service.hand_over(session=session, journey_id=journey.id, rep_id=receiver.id)
    account = session.get(Account, journey.account_id)
    stage = rules.playbook.stage(journey.stage)
    if stage.post_sale or account.owner_rep_id in (None, old):
        account.owner_rep_id = receiver.id  # who "account owner first" routing finds now
    event_service.record(
        session=session,
        journey_id=journey.id,
        kind="journey.reassigned",
        at=now,
        rep_id=receiver.id,
        actor=actor,
        data={"from": old, "to": receiver.id, "reasons": handoff.reasons, "handoff_id": handoff.id},
    )
    sender = session.get(Rep, old) if old is not None else None
    intro = messages.send_intro(
        session=session,
        handoff=handoff,
        journey=journey,
        account=account,
        protocol=PROTOCOL,
        rules=rules,
        sender=sender,
        receiver=receiver,
        now=now,
    )
    messages.record_event(
        session=session,
        handoff=handoff,
        kind="handoff.accepted",
        now=now,
        actor=actor,
        rep_id=receiver.id,
        data={"note": note, "intro": intro or "no contact e-mail", "late": now > handoff.accept_by},
    )
    if sender is not None:
        _notify(
            session,
            channels,
            sender,
            handoff,
            now,
            "accepted",
            subject=f"{receiver.name} accepted {account.name}",
            body=f"{receiver.name} accepted handoff {handoff.id}: journey {journey.id} "
            f"({account.name}, stage '{journey.stage}') is theirs now, and the customer has "
            "been introduced." + (f"\n\nNote: {note}" if note else ""),
        )
    outbox_service.publish(
        session=session,
        channels=channels,
        topic="journey.reassigned",
        now=now,
        key=f"handoff:{handoff.id}:reassigned",
        journey_id=journey.id,
        data={"journey_id": journey.id, "from_rep_id": old, "to_rep_id": receiver.id},
    )
    messages.publish(
        session=session, channels=channels, handoff=handoff, topic="handoff.accepted", now=now
    )
    session.flush()
    return handoff


def require(*, session: Session, handoff_id: int) -> Handoff:
    handoff = handoff_service.require(session=session, handoff_id=handoff_id)
    if handoff.protocol != PROTOCOL_ID:
        raise ConflictError(
            f"handoff {handoff.id} is a '{handoff.protocol}' handoff, not a restructure one: "
            f"answer it with `salesrelay handoffs accept|reject {handoff.id}`"
        )
    return handoff


def pending_for(*, session: Session, rep_id: int) -> list[Handoff]:
    """The restructure offers waiting for this rep's answer, oldest first."""
    handoffs, _ = handoff_service.listing(
        session=session, to_rep_id=rep_id, status="proposed", limit=100_000
    )
    return sorted((h for h in handoffs if h.protocol == PROTOCOL_ID), key=lambda h: h.id)


# -- helpers ---------------------------------------------------------------------------


def _check_stage(playbook, journey: Journey, role: str | None) -> str:
    """The role that owns the journey's stage now; ConflictError if it is not `role`."""
    try:
        owner_role = playbook.stage(journey.stage).role
    except KeyError:
        raise ConflictError(
            f"journey {journey.id} is in stage '{journey.stage}', which the active playbook "
            "does not have"
        ) from None
    if role is not None and owner_role != role:
        raise ConflictError(
            f"journey {journey.id} moved to '{journey.stage}' ({owner_role} work) since the plan"
        )
    return owner_role


def _locked_for_accept(session: Session, handoff: Handoff, rep_id: int | None) -> Journey:
    journey = handoff_flows.lock_for_answer(
        session=session, handoff=handoff, rep_id=rep_id, verb="accept"
    )
    if handoff.protocol != PROTOCOL_ID:
        raise ConflictError(f"handoff {handoff.id} is not a restructure handoff")
    if journey.status != "open" or journey.owner_rep_id != handoff.from_rep_id:
        raise ConflictError(
            f"journey {journey.id} was closed or changed owner after this offer; reject it"
        )
    return journey


def _notify(
    session: Session,
    channels: Channels,
    rep: Rep,
    handoff: Handoff,
    now: datetime,
    what: str,
    *,
    subject: str,
    body: str,
) -> None:
    outbox_service.notify_rep(
        session=session,
        channels=channels,
        rep=Person(rep.name, rep.email),
        topic=f"restructure.{what.split(':')[0]}",
        subject=subject,
        body=body,
        key=f"handoff:{handoff.id}:{what}",
        now=now,
        journey_id=handoff.journey_id,
    )
