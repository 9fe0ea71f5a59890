"""Read models of handoffs for the API and CLI."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from salesrelay.handoffs import service as handoff_service
from salesrelay.handoffs.models import Handoff
from salesrelay.handoffs.schemas import HandoffList, HandoffPublic
from salesrelay.intake.schemas import Owner
from salesrelay.team.models import Rep


def _owners(session: Session, ids: set[int]) -> dict[int, Owner]:
    if not ids:
        return {}
    rows = session.execute(select(Rep.id, Rep.name, Rep.email).where(Rep.id.in_(ids)))
    return {rep_id: Owner(id=rep_id, name=name, email=email) for rep_id, name, email in rows}


def _public(handoff: Handoff, owners: dict[int, Owner]) -> HandoffPublic:
    return HandoffPublic(
        id=handoff.id,
        journey_id=handoff.journey_id,
        protocol=handoff.protocol,
        status=handoff.status,
        from_stage=handoff.from_stage,
        to_stage=handoff.to_stage,
        from_rep=owners.get(handoff.from_rep_id),
        to_rep=owners.get(handoff.to_rep_id),
        fields=handoff.fields or {},
        note=handoff.note,
        reasons=handoff.reasons or [],
        proposed_at=handoff.proposed_at,
        accept_by=handoff.accept_by,
        decided_at=handoff.decided_at,
        rejection_reason=handoff.rejection_reason,
        rejection_note=handoff.rejection_note,
        rating=handoff.rating,
        rating_comment=handoff.rating_comment,
        rated_at=handoff.rated_at,
        replaces_id=handoff.replaces_id,
    )


def public(*, session: Session, handoff: Handoff) -> HandoffPublic:
    ids = {rep for rep in (handoff.from_rep_id, handoff.to_rep_id) if rep is not None}
    return _public(handoff, _owners(session, ids))


def listing(*, session: Session, **filters) -> HandoffList:
    handoffs, count = handoff_service.listing(session=session, **filters)
    ids = {rep for h in handoffs for rep in (h.from_rep_id, h.to_rep_id) if rep is not None}
    owners = _owners(session, ids)
    return HandoffList(data=[_public(h, owners) for h in handoffs], count=count)
