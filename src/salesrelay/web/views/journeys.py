"""Journeys: the filtered list, one journey's whole timeline, logging a touch, moving it."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlalchemy.orm import Session

from salesrelay.api.deps import SessionDep
from salesrelay.errors import SalesRelayError
from salesrelay.events import service as event_service
from salesrelay.handoffs import service as handoff_service
from salesrelay.intake.models import Account, Contact
from salesrelay.journeys import flows as journey_flows
from salesrelay.journeys import service as journey_service
from salesrelay.journeys.models import Journey
from salesrelay.playbook.service import NoPlaybookError
from salesrelay.routing import service as routing_service
from salesrelay.sla import service as sla_service
from salesrelay.users import access
from salesrelay.users.access import Principal
from salesrelay.web import queries
from salesrelay.web.auth import PageForbidden, Viewer, csrf_protect, now
from salesrelay.web.pagination import PageNumber
from salesrelay.web.rendering import local_path, page, redirect

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

CHANNELS = ("call", "email", "meeting", "sms", "chat", "linkedin", "other")


def visible_journey(session: Session, viewer: Principal, journey_id: int) -> Journey:
    journey = journey_service.get(session=session, journey_id=journey_id)
    # Another rep's journey is answered exactly like one that does not exist.
    if journey is None or not access.journey_visible(
        session=session, principal=viewer, journey=journey
    ):
        raise PageForbidden(f"There is no journey {journey_id} that you can see.", 404)
    return journey


def owned_journey(session: Session, viewer: Principal, journey_id: int) -> Journey:
    journey = visible_journey(session, viewer, journey_id)
    if not viewer.sees_rep(journey.owner_rep_id):
        raise PageForbidden("This journey is offered to you but is not yours until you accept it.")
    return journey


def _day(value: str | None) -> datetime | None:
    try:
        return (
            datetime.combine(datetime.fromisoformat(value).date(), time(), UTC) if value else None
        )
    except ValueError:
        return None


@router.get("/journeys")
def journey_list(
    request: Request,
    viewer: Viewer,
    session: SessionDep,
    number: PageNumber = 1,
    stage: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(pattern="^(open|closed|)$")] = None,
    owner: Annotated[str | None, Query(max_length=20)] = None,
    source: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[str | None, Query(max_length=32)] = None,
    until: Annotated[str | None, Query(max_length=32)] = None,
    touched: Annotated[
        str | None, Query(max_length=40, pattern=r"^(never|within:\d+-\d*)?$")
    ] = None,
    ids: Annotated[str | None, Query(max_length=20_000)] = None,
    team: Annotated[str | None, Query(max_length=20)] = None,
    breached: Annotated[str | None, Query(max_length=64)] = None,
    handoff: Annotated[str | None, Query(pattern="^(proposed|accepted|rejected|expired|)$")] = None,
    reason: Annotated[str | None, Query(max_length=64)] = None,
):
    """Every dashboard chart links here with the filters that reproduce its journeys."""
    wanted = queries.JourneyFilter(
        stage=stage or None,
        status=status or None,
        owner=int(owner) if owner and owner.isdigit() else None,
        source=source or None,
        since=_day(since),
        until=_day(until),
        touched=touched or None,
        ids=tuple(int(i) for i in (ids or "").split(",") if i.isdigit())[:2000],
        team=int(team) if team and team.isdigit() else None,
        breached=breached or None,
        handoff=handoff or None,
        reason=reason or None,
    )
    rows, pager = queries.journeys(session=session, wanted=wanted, team=viewer.team, page=number)
    owners = queries.rep_names(session, (j.owner_rep_id for j, _ in rows))
    try:
        stages = journey_service.rules(session=session).playbook.stages
    except NoPlaybookError:
        stages = []
    return page(
        request,
        "journeys.html",
        {
            "rows": rows,
            "pager": pager,
            "owners": owners,
            "wanted": wanted,
            "stages": stages,
            "reps": queries.team_reps(session, viewer.team),
        },
        viewer=viewer,
    )


def _detail_context(session: Session, viewer: Principal, journey: Journey) -> dict:
    rules = journey_service.rules(session=session)
    playbook = rules.playbook
    stage = next((s for s in playbook.stages if s.id == journey.stage), None)
    moves = playbook.transitions_from(journey.stage) if journey.status == "open" else []
    if journey.status != "open" and stage is not None and stage.terminal == "nurture":
        moves = playbook.transitions_from(journey.stage)
    handoffs = handoff_service.for_journey(session=session, journey_id=journey.id)
    events = event_service.timeline(session=session, journey_id=journey.id)
    decisions = routing_service.decisions_for(session=session, journey_id=journey.id)
    clocks = sla_service.for_journey(session=session, journey_id=journey.id)
    # Events name reps by id (owner, receiver, back_to): every name, as the team is small.
    names = queries.all_rep_names(session)
    return {
        "journey": journey,
        "account": session.get(Account, journey.account_id),
        "contact": session.get(Contact, journey.contact_id) if journey.contact_id else None,
        "stage": stage,
        "stages": {s.id: s for s in playbook.stages},
        "within": [t for t in moves if not t.handoff],
        "handoff_moves": [t for t in moves if t.handoff],
        "protocols": playbook.handoffs,
        "pending": next((h for h in handoffs if h.status == "proposed"), None),
        "handoffs": handoffs,
        "events": list(reversed(events)),
        "decisions": decisions,
        "clocks": clocks,
        "names": names,
        "channels": CHANNELS,
        "owns": viewer.sees_rep(journey.owner_rep_id),
        "timezone": rules.calendar.timezone,
    }


@router.get("/journeys/{journey_id}")
def journey_page(request: Request, journey_id: int, viewer: Viewer, session: SessionDep):
    journey = visible_journey(session, viewer, journey_id)
    return page(request, "journey.html", _detail_context(session, viewer, journey), viewer=viewer)


def _back(target: str | None, journey_id: int) -> str:
    return local_path(target) or f"/journeys/{journey_id}"


@router.post("/journeys/{journey_id}/touches")
def log_touch(
    journey_id: int,
    viewer: Viewer,
    session: SessionDep,
    channel: Annotated[str, Form(pattern="^(call|email|meeting|sms|chat|linkedin|other)$")],
    note: Annotated[str, Form(max_length=10_000)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
):
    journey = owned_journey(session, viewer, journey_id)
    done = journey_flows.record_touch(
        session=session,
        journey=journey,
        at=now(),
        channel=channel,
        note=note.strip() or None,
        rep_id=viewer.rep_id,
        actor=viewer.actor,
    )
    stopped = ", ".join(p.replace("_", " ") for p in done["clocks_stopped"])
    message = f"Logged a {channel} on journey {journey.id}." + (
        f" Clock stopped: {stopped}." if stopped else ""
    )
    return redirect(_back(back, journey.id), flash=message)


@router.post("/journeys/{journey_id}/move")
def move(
    request: Request,
    journey_id: int,
    viewer: Viewer,
    session: SessionDep,
    to_stage: Annotated[str, Form(max_length=64)],
    reason: Annotated[str, Form(max_length=500)] = "",
    note: Annotated[str, Form(max_length=10_000)] = "",
):
    journey = owned_journey(session, viewer, journey_id)
    try:
        moved = journey_flows.transition(
            session=session,
            journey=journey,
            to_stage=to_stage,
            now=now(),
            actor=viewer.actor,
            reason=reason.strip() or None,
            note=note.strip() or None,
            rep_id=viewer.rep_id,
        )
    except SalesRelayError as error:
        # Nothing of a refused move is kept: start over from what is stored.
        session.rollback()
        journey = visible_journey(session, viewer, journey_id)
        context = _detail_context(session, viewer, journey)
        context["move_error"] = error.message
        return page(request, "journey.html", context, viewer=viewer, status_code=error.status_code)
    return redirect(
        f"/journeys/{journey.id}", flash=f"Moved to {moved.to_stage.replace('_', ' ')}."
    )
