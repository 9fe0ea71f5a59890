"""The handoff protocol: propose → accept / reject (with a reason) / expire, then rate.

A cross-role move never happens by itself: the current owner proposes it with the fields
the protocol asks for, a receiver in the next role accepts it within the deadline, and
only then does `journeys.flows.transition` move the journey. The customer hears who they
work with next, from a template the playbook owns.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from salesrelay.errors import ConflictError, InvalidInputError
from salesrelay.handoffs import messages
from salesrelay.handoffs import service as handoff_service
from salesrelay.handoffs.models import Handoff
from salesrelay.handoffs.protocol import acceptance_policy, check_fields
from salesrelay.intake.models import Account
from salesrelay.journeys import flows as journey_flows
from salesrelay.journeys import service as journey_service
from salesrelay.journeys import stages
from salesrelay.journeys.assign import Assigner
from salesrelay.journeys.models import Journey
from salesrelay.outbox import service as outbox_service
from salesrelay.outbox.service import EMAIL_ONLY, Channels
from salesrelay.playbook.schema import HandoffProtocol
from salesrelay.sla import service as sla_service
from salesrelay.sla.clocks import plan_clock
from salesrelay.sla.models import SlaClock
from salesrelay.team.models import Rep

RESTRUCTURE = "restructure"
"""Owner changes of a restructure run as handoffs too; they are answered by restructure.moves."""


def propose(
    *,
    session: Session,
    journey: Journey,
    now: datetime,
    actor: str | None,
    fields: Mapping[str, Any],
    to_stage: str | None = None,
    to_rep_id: int | None = None,
    note: str | None = None,
    channels: Channels = EMAIL_ONLY,
    replaces: Handoff | None = None,
    exclude: Collection[int] = (),
    assigner: Assigner | None = None,
) -> Handoff:
    """The owner offers the journey to the next role. Every missing or invalid field is
    refused at once (InvalidInputError listing them); the receiver is `to_rep_id` or
    chosen by routing — the account's owner first, never the sender or `exclude`."""
    rules = journey_service.rules(session=session)
    playbook = rules.playbook
    sla_service.lock_running(session=session, journey_id=journey.id)
    journey_service.lock(session=session, journey=journey)
    if journey.status != "open":
        raise ConflictError(
            f"journey {journey.id} is closed ({journey.outcome}); nothing to hand off"
        )
    move = stages.handoff_move(
        playbook,
        journey_id=journey.id,
        from_stage=journey.stage,
        to_stage=to_stage,
        status=journey.status,
        outcome=journey.outcome,
    )
    pending = handoff_service.pending_for_journey(session=session, journey_id=journey.id)
    if pending is not None:
        raise ConflictError(
            f"journey {journey.id} already has handoff {pending.id} waiting for "
            "an answer; it must be accepted, rejected or expire first"
        )
    sender = journey.owner_rep_id
    if sender is None:
        raise ConflictError(
            f"journey {journey.id} has no owner yet; assign it before handing it off"
        )
    protocol = playbook.handoffs[move.handoff]
    values, problems = check_fields(
        protocol, fields, known=journey.fields or {}, timezone=rules.calendar.timezone
    )
    if problems:
        raise InvalidInputError(
            f"handoff '{move.handoff}' cannot be proposed: "
            + "; ".join(p["message"] for p in problems),
            details=problems,
        )
    target = playbook.stage(move.to)
    account = session.get(Account, journey.account_id)
    if to_rep_id is not None:
        receiver, reasons = (
            _named_receiver(session, to_rep_id, sender, target.role),
            ["named by the sender"],
        )
    else:
        own = assigner is None
        assigner = assigner or Assigner(session=session, now=now)
        decision = assigner.choose(
            role=target.role,
            account_owner_id=account.owner_rep_id,
            exclude={sender, *exclude},
            label=f"{target.role} pool",
        )
        if decision.rep_id is None:
            raise ConflictError(
                f"nobody in role '{target.role}' can take journey {journey.id} now: "
                + "; ".join(decision.reasons),
                details=[{"field": "to_rep_email", "message": r} for r in decision.reasons],
            )
        assigner.record(journey_id=journey.id, decision=decision)
        if own:
            assigner.close()
        receiver, reasons = decision.rep_id, list(decision.reasons)

    policy_id, policy = acceptance_policy(playbook, protocol.accept_within)
    plan = plan_clock(policy, rules.calendar, now, within_minutes=protocol.accept_within_minutes)
    clock = sla_service.start_one(
        session=session,
        journey_id=journey.id,
        policy_id=policy_id,
        kind="handoff_acceptance",
        stage=target.id,
        rep_id=receiver,
        plan=plan,
    )
    handoff = handoff_service.create(
        session=session,
        values={
            "journey_id": journey.id,
            "protocol": move.handoff,
            "from_rep_id": sender,
            "to_rep_id": receiver,
            "from_stage": journey.stage,
            "to_stage": target.id,
            "status": "proposed",
            "fields": values,
            "note": note,
            "reasons": reasons,
            "proposed_at": now,
            "accept_by": plan.due_at,
            "clock_id": clock.id,
            "replaces_id": replaces.id if replaces else None,
        },
    )
    journey.fields = {**(journey.fields or {}), **values}
    journey.updated_at = now
    messages.record_event(
        session=session,
        handoff=handoff,
        kind="handoff.proposed",
        now=now,
        actor=actor,
        rep_id=sender,
        data={
            "protocol": handoff.protocol,
            "to_stage": handoff.to_stage,
            "to_rep_id": receiver,
            "accept_by": handoff.accept_by.isoformat(),
            "fields": values,
            "note": note,
            "reasons": reasons,
            "replaces": handoff.replaces_id,
        },
    )
    sender_rep, receiver_rep = session.get(Rep, sender), session.get(Rep, receiver)
    messages.notify_receiver(
        session=session,
        channels=channels,
        handoff=handoff,
        protocol=protocol,
        account=account,
        sender=sender_rep,
        receiver=receiver_rep,
        timezone=rules.calendar.timezone,
        now=now,
    )
    if protocol.warm_intro:
        messages.send_intro(
            session=session,
            handoff=handoff,
            journey=journey,
            account=account,
            protocol=protocol,
            rules=rules,
            sender=sender_rep,
            receiver=receiver_rep,
            now=now,
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
    """The receiver takes the journey: ownership and stage move, the new stage's clocks
    start, and the customer gets the intro (unless it went out at proposal)."""
    if handoff.protocol == RESTRUCTURE:
        from salesrelay.restructure import moves  # restructure builds on handoffs, not back

        return moves.accept(
            session=session,
            handoff=handoff,
            now=now,
            actor=actor,
            rep_id=rep_id,
            note=note,
            channels=channels,
        )
    journey = lock_for_answer(session=session, handoff=handoff, rep_id=rep_id, verb="accept")
    rules = journey_service.rules(session=session)
    protocol = rules.playbook.handoffs.get(handoff.protocol)
    if protocol is None:
        raise ConflictError(f"handoff protocol '{handoff.protocol}' is no longer in the playbook")
    settle_clock(session=session, handoff=handoff, now=now)
    handoff.status, handoff.decided_at = "accepted", now
    moved = journey_flows.transition(
        session=session,
        journey=journey,
        to_stage=handoff.to_stage,
        now=now,
        actor=actor,
        rep_id=handoff.to_rep_id,
        handoff=handoff,
        note=note,
        channels=channels,
    )
    account = session.get(Account, journey.account_id)
    sender, receiver = session.get(Rep, handoff.from_rep_id), session.get(Rep, handoff.to_rep_id)
    intro = None
    if not protocol.warm_intro:
        intro = messages.send_intro(
            session=session,
            handoff=handoff,
            journey=journey,
            account=account,
            protocol=protocol,
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
        rep_id=handoff.to_rep_id,
        data={
            "note": note,
            "clocks_started": moved.clocks_started,
            "intro": intro or ("sent at proposal" if protocol.warm_intro else "no contact e-mail"),
            "late": now > handoff.accept_by,
        },
    )
    if sender is not None:
        outbox_service.notify_rep(
            session=session,
            channels=channels,
            rep=journey_flows.person(session, sender.id),
            topic="handoff.accepted",
            subject=f"{receiver.name} accepted {account.name}",
            body=f"{receiver.name} accepted handoff {handoff.id}: journey {journey.id} "
            f"({account.name}) is now in '{handoff.to_stage}' with them."
            + (f"\n\nNote: {note}" if note else ""),
            key=f"handoff:{handoff.id}:accepted",
            now=now,
            journey_id=journey.id,
        )
    messages.publish(
        session=session, channels=channels, handoff=handoff, topic="handoff.accepted", now=now
    )
    session.flush()
    return handoff


def reject(
    *,
    session: Session,
    handoff: Handoff,
    now: datetime,
    actor: str | None,
    reason: str,
    note: str | None = None,
    rep_id: int | None = None,
    channels: Channels = EMAIL_ONLY,
) -> Handoff:
    """The receiver refuses, with one of the protocol's reasons: the journey stays with the
    sender, who is told why. The same for every protocol, restructure moves included."""
    restructure = handoff.protocol == RESTRUCTURE
    journey = lock_for_answer(session=session, handoff=handoff, rep_id=rep_id, verb="reject")
    protocol = _protocol(session, handoff)
    allowed = protocol.rejection_reasons if protocol else []
    if reason not in allowed:
        raise InvalidInputError(
            f"reason must be one of: {', '.join(allowed)} (add details in the note)", field="reason"
        )
    settle_clock(session=session, handoff=handoff, now=now)
    handoff.status, handoff.decided_at = "rejected", now
    handoff.rejection_reason, handoff.rejection_note = reason, note
    journey.updated_at = now
    messages.record_event(
        session=session,
        handoff=handoff,
        kind="handoff.rejected",
        now=now,
        actor=actor,
        rep_id=handoff.to_rep_id,
        data={"reason": reason, "note": note, "back_to": handoff.from_rep_id},
    )
    receiver = session.get(Rep, handoff.to_rep_id)
    account = session.get(Account, journey.account_id)
    owner = journey_flows.person(session, handoff.from_rep_id)
    if owner is not None:
        outbox_service.notify_rep(
            session=session,
            channels=channels,
            rep=owner,
            topic="restructure.rejected" if restructure else "handoff.rejected",
            subject=f"{receiver.name} rejected {account.name}: {reason.replace('_', ' ')}",
            body=f"Handoff {handoff.id} of journey {journey.id} ({account.name}) was rejected "
            f"by {receiver.name}.\nReason: {reason}"
            + (f"\nNote: {note}" if note else "")
            + f"\n\nThe journey stays with you in '{handoff.from_stage}'."
            + (" The next restructure run offers it to someone else." if restructure else ""),
            key=f"handoff:{handoff.id}:rejected",
            now=now,
            journey_id=journey.id,
        )
    messages.publish(
        session=session, channels=channels, handoff=handoff, topic="handoff.rejected", now=now
    )
    session.flush()
    return handoff


def rate(
    *,
    session: Session,
    handoff: Handoff,
    now: datetime,
    actor: str | None,
    rating: int,
    comment: str | None = None,
    rep_id: int | None = None,
    channels: Channels = EMAIL_ONLY,
) -> Handoff:
    """The receiver says how good the handoff was (1-5): the raw material of handoff quality."""
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise InvalidInputError("rating must be a whole number from 1 to 5", field="rating")
    handoff_service.lock(session=session, handoff=handoff)
    if rep_id is not None and rep_id != handoff.to_rep_id:
        raise ConflictError(
            f"handoff {handoff.id} went to someone else; only its receiver rates it"
        )
    if handoff.status not in ("accepted", "rejected"):
        raise ConflictError(
            f"handoff {handoff.id} is {handoff.status}; it is rated once accepted or rejected"
        )
    if handoff.rating is not None:
        raise ConflictError(f"handoff {handoff.id} is already rated ({handoff.rating}/5)")
    handoff.rating, handoff.rating_comment, handoff.rated_at = rating, comment, now
    messages.record_event(
        session=session,
        handoff=handoff,
        kind="handoff.rated",
        now=now,
        actor=actor,
        rep_id=handoff.to_rep_id,
        data={"rating": rating, "comment": comment},
    )
    messages.publish(
        session=session, channels=channels, handoff=handoff, topic="handoff.rated", now=now
    )
    session.flush()
    return handoff


# -- helpers ---------------------------------------------------------------------------


def _named_receiver(session: Session, rep_id: int, sender: int, role: str) -> int:
    rep = session.get(Rep, rep_id)
    if rep is None or rep.deleted_at is not None:
        raise InvalidInputError("the named receiver is not on the team", field="to_rep_email")
    if rep.id == sender:
        raise InvalidInputError("a rep cannot hand a journey to themselves", field="to_rep_email")
    if role not in rep.roles:
        raise InvalidInputError(
            f"{rep.name} does not hold the role '{role}' this stage needs", field="to_rep_email"
        )
    return rep.id


def lock_for_answer(
    *, session: Session, handoff: Handoff, rep_id: int | None, verb: str
) -> Journey:
    """Lock what an answer changes and check it may be given: the handoff is still proposed
    and `rep_id` (when given) is its receiver. Returns the locked journey."""
    # Clocks, then the handoff, then the journey: the order the sweep takes them in.
    sla_service.lock_running(session=session, journey_id=handoff.journey_id)
    handoff_service.lock(session=session, handoff=handoff)
    if handoff.status != "proposed":
        raise ConflictError(
            f"handoff {handoff.id} is already {handoff.status}; only a proposed "
            f"handoff can be {'accepted' if verb == 'accept' else 'rejected'}"
        )
    if rep_id is not None and rep_id != handoff.to_rep_id:
        raise ConflictError(
            f"handoff {handoff.id} was offered to someone else; only its receiver can {verb} it"
        )
    journey = journey_service.require(session=session, journey_id=handoff.journey_id)
    return journey_service.lock(session=session, journey=journey)


def _protocol(session: Session, handoff: Handoff) -> HandoffProtocol | None:
    if handoff.protocol == RESTRUCTURE:
        from salesrelay.restructure.protocol import PROTOCOL

        return PROTOCOL
    return journey_service.rules(session=session).playbook.handoffs.get(handoff.protocol)


def settle_clock(*, session: Session, handoff: Handoff, now: datetime) -> None:
    """An answer keeps the acceptance promise if it came before the deadline."""
    clock = session.get(SlaClock, handoff.clock_id) if handoff.clock_id else None
    if clock is not None and clock.status == "running":
        clock.status = "met" if now <= clock.due_at else "missed"
        clock.stopped_at, clock.next_step_at = now, None
