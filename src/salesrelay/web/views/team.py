"""Team: reps with their roles, capacity, working hours and time off; pause and resume."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session

from salesrelay.api.deps import SessionDep
from salesrelay.api.team import known_roles
from salesrelay.errors import SalesRelayError
from salesrelay.team import service as team_service
from salesrelay.team.models import Rep
from salesrelay.team.schemas import AbsenceIn, RepUpdate
from salesrelay.users.access import Principal
from salesrelay.web.auth import PageForbidden, Viewer, csrf_protect, now
from salesrelay.web.pagination import PageNumber, Pager
from salesrelay.web.rendering import page, redirect

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


@router.get("/team")
def team(request: Request, viewer: Viewer, session: SessionDep, number: PageNumber = 1):
    pager = Pager.of(number, team_service.count_active(session=session))
    reps = team_service.active_by_name(session=session, offset=pager.offset, limit=pager.size)
    time_off = team_service.time_off(session=session, rep_ids=[r.id for r in reps], now=now())
    managers = team_service.names(
        session=session, rep_ids={r.manager_id for r in reps if r.manager_id}
    )
    return page(
        request,
        "team.html",
        {"reps": reps, "pager": pager, "time_off": time_off, "managers": managers},
        viewer=viewer,
    )


def _managed(session: Session, viewer: Principal, rep_id: int) -> Rep:
    rep = team_service.get(session=session, rep_id=rep_id)
    if rep is None or rep.deleted_at is not None:
        raise PageForbidden(f"There is no rep {rep_id}.", 404)
    if not viewer.manages(rep.id):
        raise PageForbidden("Only an admin or this rep's manager can change their settings.")
    return rep


def _update(session: Session, rep: Rep, **changes) -> str | None:
    try:
        data = RepUpdate(**changes)
        team_service.update(session=session, rep=rep, data=data, known_roles=known_roles(session))
    except ValidationError as error:
        return "; ".join(e["msg"].removeprefix("Value error, ") for e in error.errors())
    except SalesRelayError as error:
        return error.message
    return None


@router.post("/team/{rep_id}/pause")
def pause(rep_id: int, viewer: Viewer, session: SessionDep):
    rep = _managed(session, viewer, rep_id)
    _update(session, rep, paused=True)
    return redirect("/team", flash=f"{rep.name} gets no new leads until resumed.")


@router.post("/team/{rep_id}/resume")
def resume(rep_id: int, viewer: Viewer, session: SessionDep):
    rep = _managed(session, viewer, rep_id)
    _update(session, rep, paused=False)
    return redirect("/team", flash=f"{rep.name} is back in routing.")


@router.post("/team/{rep_id}")
def change(
    rep_id: int,
    viewer: Viewer,
    session: SessionDep,
    capacity: Annotated[int, Form(ge=0, le=1_000_000)],
    hours: Annotated[str, Form(max_length=200)],
    timezone: Annotated[str, Form(max_length=64)],
    roles: Annotated[str, Form(max_length=500)],
):
    rep = _managed(session, viewer, rep_id)
    problem = _update(
        session,
        rep,
        capacity=capacity,
        hours=hours,
        timezone=timezone,
        roles=[r.strip() for r in roles.split(",") if r.strip()],
    )
    if problem:
        session.rollback()
        return redirect("/team", flash=f"Nothing changed for {rep.name}: {problem}")
    return redirect("/team", flash=f"Saved {rep.name}.")


@router.post("/team/{rep_id}/absences")
def time_off(
    rep_id: int,
    viewer: Viewer,
    session: SessionDep,
    starts: Annotated[str, Form(max_length=10)],
    ends: Annotated[str, Form(max_length=10)],
    note: Annotated[str, Form(max_length=500)] = "",
):
    rep = team_service.get(session=session, rep_id=rep_id)
    if rep is None or not (viewer.manages(rep_id) or viewer.rep_id == rep_id):
        raise PageForbidden("Reps set their own time off; managers set their team's.")
    try:
        start = datetime.combine(datetime.fromisoformat(starts).date(), time(), UTC)
        end = datetime.combine(datetime.fromisoformat(ends).date(), time(), UTC) + timedelta(days=1)
        team_service.add_absence(
            session=session,
            rep=rep,
            data=AbsenceIn(starts_at=start, ends_at=end, note=note or None),
        )
    except (ValueError, ValidationError, SalesRelayError) as error:
        session.rollback()
        message = getattr(error, "message", None) or str(error).splitlines()[0]
        return redirect("/team", flash=f"No time off saved: {message}")
    return redirect("/team", flash=f"{rep.name} is out of office {starts} to {ends}.")
