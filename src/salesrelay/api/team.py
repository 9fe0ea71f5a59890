"""Reps: list, create, change, remove, out-of-office."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from salesrelay.api import errors, inputs
from salesrelay.api.deps import AdminKey, ForbiddenError, ReadKey, SessionDep, WriteKey
from salesrelay.playbook import service as playbook_service
from salesrelay.playbook.service import NoPlaybookError
from salesrelay.team import service as team_service
from salesrelay.team.models import Rep
from salesrelay.team.schemas import (
    AbsenceIn,
    AbsencePublic,
    RepCreate,
    RepList,
    RepPublic,
    RepUpdate,
)

router = APIRouter(
    prefix="/api/v1",
    tags=["team"],
    responses=errors.COMMON,
    dependencies=[Depends(inputs.refuse_unstorable)],
)

UNKNOWN_REP = errors.responses({404: "Unknown rep"})


def _rep(session: SessionDep, rep_id: Annotated[int, Path(ge=1, le=inputs.MAX_ID)]) -> Rep:
    return team_service.require(session=session, rep_id=rep_id)


CurrentRep = Annotated[Rep, Depends(_rep)]


def known_roles(session) -> list[str] | None:
    try:
        return list(playbook_service.active(session=session).playbook.roles)
    except NoPlaybookError:
        return None


@router.get("/reps", response_model=RepList)
def list_reps(
    session: SessionDep,
    _: ReadKey,
    role: Annotated[str | None, Query(max_length=64)] = None,
    offset: Annotated[int, Query(ge=0, le=inputs.MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
):
    reps, count = team_service.list_reps(session=session, role=role, offset=offset, limit=limit)
    return RepList(
        data=[RepPublic.model_validate(r, from_attributes=True) for r in reps], count=count
    )


@router.post(
    "/reps",
    status_code=201,
    response_model=RepPublic,
    responses=errors.responses({409: "E-mail taken"}),
)
def create_rep(data: RepCreate, session: SessionDep, _: AdminKey):
    rep = team_service.create(session=session, data=data, known_roles=known_roles(session))
    return RepPublic.model_validate(rep, from_attributes=True)


@router.get("/reps/{rep_id}", response_model=RepPublic, responses=UNKNOWN_REP)
def get_rep(rep: CurrentRep, _: ReadKey):
    return RepPublic.model_validate(rep, from_attributes=True)


@router.patch(
    "/reps/{rep_id}",
    response_model=RepPublic,
    responses=errors.responses({404: "Unknown rep", 409: "E-mail taken"}),
)
def update_rep(rep: CurrentRep, data: RepUpdate, session: SessionDep, principal: WriteKey):
    """Change any field; `paused: true` stops new leads going to the rep."""
    if not principal.manages(rep.id):
        raise ForbiddenError("only an admin or the rep's manager can change a rep")
    rep = team_service.update(session=session, rep=rep, data=data, known_roles=known_roles(session))
    return RepPublic.model_validate(rep, from_attributes=True)


@router.delete("/reps/{rep_id}", status_code=204, responses=UNKNOWN_REP)
def delete_rep(rep: CurrentRep, session: SessionDep, _: AdminKey):
    team_service.delete(session=session, rep=rep)
    return Response(status_code=204)


@router.post(
    "/reps/{rep_id}/absences",
    status_code=201,
    response_model=AbsencePublic,
    responses=UNKNOWN_REP,
)
def add_absence(rep: CurrentRep, data: AbsenceIn, session: SessionDep, principal: WriteKey):
    """An out-of-office period: no new leads go to the rep while it lasts."""
    if not (principal.manages(rep.id) or principal.rep_id == rep.id):
        raise ForbiddenError("reps set their own out-of-office; managers set their team's")
    absence = team_service.add_absence(session=session, rep=rep, data=data)
    return AbsencePublic.model_validate(absence, from_attributes=True)
