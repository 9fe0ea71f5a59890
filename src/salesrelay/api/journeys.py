"""Journeys: read one with its whole timeline, list, record touches; routing decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from salesrelay.api.deps import ReadKey, SessionDep, WriteKey
from salesrelay.db import utcnow
from salesrelay.errors import InvalidInputError
from salesrelay.journeys import flows as journey_flows
from salesrelay.journeys import service as journey_service
from salesrelay.journeys import views
from salesrelay.journeys.models import Journey
from salesrelay.journeys.schemas import JourneyDetail, JourneyList, RoutingPublic, TouchIn, TouchRecorded
from salesrelay.routing import service as routing_service
from salesrelay.team import service as team_service

router = APIRouter(prefix="/api/v1", tags=["journeys"])

MAX_ID = 2**62


def _journey(session: SessionDep, journey_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Journey:
    return journey_service.require(session=session, journey_id=journey_id)


CurrentJourney = Annotated[Journey, Depends(_journey)]


@router.get("/journeys/{journey_id}", response_model=JourneyDetail, responses={404: {"description": "Unknown journey"}})
def get_journey(journey: CurrentJourney, session: SessionDep, _: ReadKey):
    """The journey with its owner, routing reasons, SLA clocks and whole timeline."""
    return views.detail(session=session, journey=journey)


@router.get("/journeys", response_model=JourneyList)
def list_journeys(
    session: SessionDep,
    _: ReadKey,
    owner: Annotated[str | None, Query(description="Owner's e-mail", max_length=320)] = None,
    stage: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
):
    owner_id = None
    if owner:
        rep = team_service.get_by_email(session=session, email=owner)
        if rep is None:
            raise InvalidInputError(f"no rep with e-mail {owner}", field="owner")
        owner_id = rep.id
    return views.listing(
        session=session, owner_rep_id=owner_id, stage=stage, status=status, offset=offset, limit=limit
    )


@router.post(
    "/journeys/{journey_id}/touches",
    status_code=201,
    response_model=TouchRecorded,
    responses={404: {"description": "Unknown journey"}, 422: {"description": "Invalid touch"}},
)
def record_touch(journey: CurrentJourney, touch: TouchIn, session: SessionDep, key: WriteKey):
    """Record a call, e-mail or meeting. The first touch stops the speed-to-lead clock."""
    now = utcnow()
    at = min(touch.at, now) if touch.at else now
    if at < journey.created_at:
        raise InvalidInputError("a touch cannot happen before the lead arrived", field="at")
    rep_id = None
    if touch.rep_email:
        rep = team_service.get_by_email(session=session, email=touch.rep_email)
        if rep is None:
            raise InvalidInputError(f"no rep with e-mail {touch.rep_email}", field="rep_email")
        rep_id = rep.id
    result = journey_flows.record_touch(
        session=session, journey=journey, at=at, channel=touch.channel, note=touch.note,
        rep_id=rep_id, actor=f"api-key:{key.prefix}",
    )
    return TouchRecorded(journey_id=journey.id, first_touched_at=journey.first_touched_at, **result)


@router.get("/routing/decisions", response_model=list[RoutingPublic])
def routing_log(
    session: SessionDep,
    _: ReadKey,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
):
    """The most recent routing decisions, newest first, each with why."""
    return routing_service.recent(session=session, offset=offset, limit=limit)
