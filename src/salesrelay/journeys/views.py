"""Read models of journeys for the API, CLI and pages."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from salesrelay.events import service as event_service
from salesrelay.intake.models import Account, Contact
from salesrelay.intake.schemas import Owner
from salesrelay.journeys.models import Journey
from salesrelay.journeys.schemas import (
    AccountRef,
    ClockPublic,
    ContactPublic,
    EventPublic,
    JourneyDetail,
    JourneyList,
    JourneySummary,
    RoutingPublic,
)
from salesrelay.routing import service as routing_service
from salesrelay.sla import service as sla_service
from salesrelay.team.models import Rep


def _owners(session: Session, rep_ids: set[int]) -> dict[int, Owner]:
    if not rep_ids:
        return {}
    rows = session.execute(select(Rep.id, Rep.name, Rep.email).where(Rep.id.in_(rep_ids)))
    return {rep_id: Owner(id=rep_id, name=name, email=email) for rep_id, name, email in rows}


def _summary(journey: Journey, owners: dict[int, Owner]) -> dict:
    return {
        "id": journey.id,
        "account_id": journey.account_id,
        "kind": journey.kind,
        "stage": journey.stage,
        "status": journey.status,
        "outcome": journey.outcome,
        "owner": owners.get(journey.owner_rep_id) if journey.owner_rep_id else None,
        "source": journey.source,
        "created_at": journey.created_at,
        "updated_at": journey.updated_at,
        "first_touch_due_at": journey.first_touch_due_at,
        "first_touched_at": journey.first_touched_at,
    }


def detail(*, session: Session, journey: Journey) -> JourneyDetail:
    account = session.get(Account, journey.account_id)
    contact = session.get(Contact, journey.contact_id) if journey.contact_id else None
    owners = _owners(session, {journey.owner_rep_id} - {None})
    return JourneyDetail(
        **_summary(journey, owners),
        account=AccountRef.model_validate(account, from_attributes=True),
        contact=ContactPublic.model_validate(contact, from_attributes=True) if contact else None,
        fields=journey.fields or {},
        routing=[
            RoutingPublic.model_validate(r, from_attributes=True)
            for r in routing_service.decisions_for(session=session, journey_id=journey.id)
        ],
        clocks=[
            ClockPublic.model_validate(c, from_attributes=True)
            for c in sla_service.for_journey(session=session, journey_id=journey.id)
        ],
        timeline=[
            EventPublic.model_validate(e, from_attributes=True)
            for e in event_service.timeline(session=session, journey_id=journey.id)
        ],
    )


def listing(
    *,
    session: Session,
    owner_rep_id: int | None = None,
    stage: str | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 50,
    owner_rep_ids: Collection[int] | None = None,
) -> JourneyList:
    """Newest first; `owner_rep_ids` keeps the journeys owned by one of those reps."""
    query = select(Journey)
    if owner_rep_ids is not None:
        query = query.where(Journey.owner_rep_id.in_(owner_rep_ids))
    if owner_rep_id is not None:
        query = query.where(Journey.owner_rep_id == owner_rep_id)
    if stage:
        query = query.where(Journey.stage == stage)
    if status:
        query = query.where(Journey.status == status)
    count = session.scalar(select(func.count()).select_from(query.subquery()))
    journeys = list(session.scalars(query.order_by(Journey.id.desc()).offset(offset).limit(limit)))
    owners = _owners(session, {j.owner_rep_id for j in journeys if j.owner_rep_id})
    return JourneyList(data=[JourneySummary(**_summary(j, owners)) for j in journeys], count=count)
