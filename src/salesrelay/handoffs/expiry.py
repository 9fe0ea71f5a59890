"""Handoffs nobody answered: expired at the deadline, then offered to the next receiver.

Called by the SLA sweep when a handoff's acceptance clock runs out (see docs/sla.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from salesrelay.errors import ConflictError, InvalidInputError
from salesrelay.handoffs import messages
from salesrelay.handoffs import service as handoff_service
from salesrelay.handoffs.flows import propose
from salesrelay.handoffs.models import Handoff
from salesrelay.intake.models import Account
from salesrelay.journeys import flows as journey_flows
from salesrelay.journeys.assign import Assigner
from salesrelay.journeys.models import Journey
from salesrelay.outbox import service as outbox_service
from salesrelay.outbox.service import EMAIL_ONLY, Channels
from salesrelay.team.models import Rep


def expire(
    *, session: Session, handoff: Handoff, now: datetime, channels: Channels = EMAIL_ONLY
) -> bool:
    """Nobody accepted in time: the offer lapses and the journey stays with the sender.
    Called by the sweep at the acceptance deadline; False if it was already decided."""
    handoff_service.lock(session=session, handoff=handoff)
    if handoff.status != "proposed":
        return False
    handoff.status, handoff.decided_at = "expired", now
    messages.record_event(
        session=session,
        handoff=handoff,
        kind="handoff.expired",
        now=now,
        actor="system",
        rep_id=handoff.to_rep_id,
        data={"accept_by": handoff.accept_by.isoformat(), "receiver": handoff.to_rep_id},
    )
    journey = session.get(Journey, handoff.journey_id)
    account = session.get(Account, journey.account_id)
    receiver = session.get(Rep, handoff.to_rep_id) if handoff.to_rep_id else None
    for rep_id, topic in ((handoff.from_rep_id, "sender"), (handoff.to_rep_id, "receiver")):
        target = journey_flows.person(session, rep_id)
        if target is None:
            continue
        outbox_service.notify_rep(
            session=session,
            channels=channels,
            rep=target,
            topic="handoff.expired",
            subject=f"Handoff of {account.name} expired unanswered",
            body=f"Handoff {handoff.id} of journey {journey.id} ({account.name}) to "
            f"{receiver.name if receiver else 'nobody'} was not answered by its deadline "
            f"({handoff.accept_by.isoformat(timespec='minutes')}).",
            key=f"handoff:{handoff.id}:expired:{topic}",
            now=now,
            journey_id=journey.id,
        )
    messages.publish(
        session=session, channels=channels, handoff=handoff, topic="handoff.expired", now=now
    )
    session.flush()
    return True


def reoffer(
    *,
    session: Session,
    handoff: Handoff,
    now: datetime,
    assigner: Assigner,
    channels: Channels = EMAIL_ONLY,
) -> tuple[Handoff | None, str]:
    """Escalation 'reassign' on a lapsed handoff: offer it to the next receiver in the role
    (never one who already let it lapse). Returns the new handoff, or None and why not."""
    if handoff.status == "proposed":
        expire(session=session, handoff=handoff, now=now, channels=channels)
    if handoff.status != "expired":
        return None, f"handoff {handoff.id} was {handoff.status}"
    journey = session.get(Journey, handoff.journey_id)
    if journey.status != "open" or journey.stage != handoff.from_stage:
        return None, f"journey {journey.id} has moved on"
    if journey.owner_rep_id != handoff.from_rep_id:
        return None, f"journey {journey.id} changed owner"
    try:
        new = propose(
            session=session,
            journey=journey,
            now=now,
            actor="system",
            fields=handoff.fields,
            to_stage=handoff.to_stage,
            note=handoff.note,
            channels=channels,
            replaces=handoff,
            exclude=handoff_service.earlier_receivers(session=session, handoff=handoff),
            assigner=assigner,
        )
    except (ConflictError, InvalidInputError) as error:
        return None, error.message
    return new, f"offered again as handoff {new.id} to rep {new.to_rep_id}"
