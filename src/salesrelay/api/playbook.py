"""The active playbook: read it, replace it (validated), see its history."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel

from salesrelay.api import errors, inputs
from salesrelay.api.deps import AdminKey, ReadKey, SessionDep
from salesrelay.playbook import service as playbook_service

router = APIRouter(
    prefix="/api/v1",
    tags=["playbook"],
    responses=errors.COMMON,
    dependencies=[Depends(inputs.refuse_unstorable)],
)


class PlaybookPublic(BaseModel):
    version: int
    name: str
    yaml: str


class PlaybookVersionPublic(BaseModel):
    version: int
    name: str
    active: bool
    created_at: datetime
    created_by: str | None


@router.get(
    "/playbook",
    response_model=PlaybookPublic,
    responses=errors.responses({409: "None installed"}),
)
def get_playbook(session: SessionDep, _: ReadKey):
    active = playbook_service.active(session=session)
    return PlaybookPublic(
        version=active.version, name=active.playbook.name, yaml=active.source_text
    )


@router.put(
    "/playbook",
    response_model=PlaybookPublic,
    responses=errors.responses({422: "Validation errors, each with its line"}),
)
def put_playbook(
    session: SessionDep,
    key: AdminKey,
    yaml: str = Body(..., media_type="application/yaml", max_length=1_000_000),
):
    """Install a new version (YAML body). Nothing changes if it has errors."""
    row = playbook_service.install(session=session, text=yaml, created_by=key.actor)
    return PlaybookPublic(version=row.version, name=row.name, yaml=row.source_text)


@router.get("/playbook/versions", response_model=list[PlaybookVersionPublic])
def playbook_versions(session: SessionDep, _: ReadKey):
    return [
        PlaybookVersionPublic.model_validate(row, from_attributes=True)
        for row in playbook_service.history(session=session)
    ]
