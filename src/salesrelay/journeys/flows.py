"""Things that happen to a journey after intake."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from salesrelay.events import service as event_service
from salesrelay.journeys import service as journey_service
from salesrelay.journeys.models import Journey
from salesrelay.sla import service as sla_service


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
    """A call, e-mail or meeting with the customer. The first one stops the speed-to-lead clock."""
    first = journey_service.mark_first_touch(session=session, journey=journey, at=at)
    stopped = sla_service.stop(session=session, journey_id=journey.id, kind="first_touch", at=at) if first else []
    event_service.record(
        session=session,
        journey_id=journey.id,
        kind="journey.touched",
        at=at,
        rep_id=rep_id if rep_id is not None else journey.owner_rep_id,
        actor=actor,
        data={"channel": channel, "note": note, "first": first},
    )
    for clock in stopped:
        event_service.record(
            session=session,
            journey_id=journey.id,
            kind="sla.met" if clock.status == "met" else "sla.missed",
            at=at,
            rep_id=clock.rep_id,
            data={"policy": clock.policy, "due_at": clock.due_at.isoformat()},
        )
    journey.updated_at = at
    session.flush()
    return {"first_touch": first, "clocks_stopped": [clock.policy for clock in stopped]}
