"""Propose a handoff: the protocol's fields as a form, and the customer intro previewed
before anything is sent. 'Preview' changes nothing; 'Propose' runs the handoff flow."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from salesrelay.api.deps import SessionDep
from salesrelay.errors import SalesRelayError
from salesrelay.handoffs import flows as handoff_flows
from salesrelay.handoffs.intro import PersonView, render
from salesrelay.handoffs.protocol import check_fields
from salesrelay.intake.models import Account, Contact
from salesrelay.journeys import service as journey_service
from salesrelay.journeys.models import Journey
from salesrelay.team import service as team_service
from salesrelay.team.models import Rep
from salesrelay.users.access import Principal
from salesrelay.web.auth import Viewer, csrf_protect, now
from salesrelay.web.rendering import page, redirect
from salesrelay.web.views.journeys import owned_journey

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

INPUT_TYPES = {
    "text": "text",
    "number": "number",
    "date": "date",
    "datetime": "datetime-local",
    "email": "email",
    "boolean": "checkbox",
    "choice": "select",
}


def _move(session: Session, journey: Journey, to_stage: str | None):
    playbook = journey_service.rules(session=session).playbook
    moves = [t for t in playbook.transitions_from(journey.stage) if t.handoff]
    move = next((t for t in moves if t.to == to_stage), moves[0] if len(moves) == 1 else None)
    return playbook, move


def _receivers(session: Session, role: str, sender: int | None) -> list[Rep]:
    reps = team_service.active_by_name(session=session)
    return [r for r in reps if role in r.roles and r.id != sender]


def _preview(
    session: Session,
    journey: Journey,
    protocol_id: str,
    protocol,
    values: dict,
    receiver: Rep | None,
) -> dict:
    rules = journey_service.rules(session=session)
    account = session.get(Account, journey.account_id)
    contact = session.get(Contact, journey.contact_id) if journey.contact_id else None
    sender = session.get(Rep, journey.owner_rep_id) if journey.owner_rep_id else None
    name = " ".join(p for p in (contact.first_name, contact.last_name) if p) if contact else ""
    moment = now()
    intro = render(
        protocol,
        protocol_id=protocol_id,
        contact=PersonView(
            name or "there",
            contact.email if contact else None,
            contact.first_name if contact else None,
        ),
        company_name=account.name,
        account={"id": account.id, "name": account.name, "domain": account.domain},
        previous_owner=PersonView(sender.name, sender.email) if sender else None,
        next_owner=PersonView(receiver.name, receiver.email)
        if receiver
        else PersonView("the specialist routing picks", None),
        fields=values,
        all_fields=journey.fields or {},
        accept_by=moment + timedelta(minutes=protocol.accept_within_minutes),
        journey={
            "id": journey.id,
            "stage": journey.stage,
            "kind": journey.kind,
            "source": journey.source,
        },
        timezone=rules.calendar.timezone,
        uid=f"preview-{journey.id}@salesrelay",
        now=moment,
    )
    return {
        "subject": intro.subject,
        "body": intro.body,
        "invite": bool(intro.invite),
        "to": contact.email if contact else None,
    }


def _form_page(
    request: Request,
    session: Session,
    viewer: Principal,
    journey: Journey,
    to_stage: str | None,
    given: dict,
    *,
    preview: bool = False,
    errors=None,
    message: str | None = None,
    to_rep: str = "",
    note: str = "",
    status: int = 200,
):
    playbook, move = _move(session, journey, to_stage)
    if move is None:
        return redirect(f"/journeys/{journey.id}", flash="No handoff leaves this stage.")
    protocol = playbook.handoffs[move.handoff]
    target = playbook.stage(move.to)
    receivers = _receivers(session, target.role, journey.owner_rep_id)
    timezone = journey_service.rules(session=session).calendar.timezone
    values, problems = check_fields(protocol, given, known=journey.fields or {}, timezone=timezone)
    shown = None
    if preview:
        receiver = next((r for r in receivers if str(r.id) == to_rep), None)
        stand_in = None
        if receiver is None and receivers:
            # Routing picks only when the handoff is proposed; preview with the account's
            # owner if they can take it, else the first who could, and say so.
            owner = session.get(Account, journey.account_id).owner_rep_id
            receiver = next((r for r in receivers if r.id == owner), receivers[0])
            stand_in = receiver.name
        shown = _preview(session, journey, move.handoff, protocol, values, receiver)
        shown["stand_in"] = stand_in
        errors = errors or problems
    return page(
        request,
        "handoff_form.html",
        {
            "journey": journey,
            "account": session.get(Account, journey.account_id),
            "move": move,
            "protocol": protocol,
            "target": target,
            "receivers": receivers,
            "given": {**(journey.fields or {}), **given},
            "types": INPUT_TYPES,
            "preview": shown,
            "errors": errors or [],
            "message": message,
            "to_rep": to_rep,
            "note": note,
            "timezone": timezone,
        },
        viewer=viewer,
        status_code=status,
    )


@router.get("/journeys/{journey_id}/handoff")
def handoff_form(
    request: Request,
    journey_id: int,
    viewer: Viewer,
    session: SessionDep,
    to_stage: str | None = None,
):
    journey = owned_journey(session, viewer, journey_id)
    return _form_page(request, session, viewer, journey, to_stage, {})


@router.post("/journeys/{journey_id}/handoff")
def propose(request: Request, journey_id: int, viewer: Viewer, session: SessionDep):
    form = request.state.form
    journey = owned_journey(session, viewer, journey_id)
    to_stage, to_rep = form.get("to_stage") or None, str(form.get("to_rep") or "")
    note = str(form.get("note") or "").strip()[:10_000]
    given = {
        key.removeprefix("f_"): value
        for key, value in form.items()
        if key.startswith("f_") and str(value).strip() != ""
    }
    if form.get("action") != "propose":
        return _form_page(
            request,
            session,
            viewer,
            journey,
            to_stage,
            given,
            preview=True,
            to_rep=to_rep,
            note=note,
        )
    try:
        handoff = handoff_flows.propose(
            session=session,
            journey=journey,
            now=now(),
            actor=viewer.actor,
            fields=given,
            to_stage=to_stage,
            to_rep_id=int(to_rep) if to_rep.isdigit() else None,
            note=note or None,
        )
    except SalesRelayError as error:
        session.rollback()
        journey = owned_journey(session, viewer, journey_id)
        details = error.details if isinstance(error.details, list) else []
        return _form_page(
            request,
            session,
            viewer,
            journey,
            to_stage,
            given,
            preview=True,
            errors=details,
            message=error.message,
            to_rep=to_rep,
            note=note,
            status=error.status_code,
        )
    receiver = session.get(Rep, handoff.to_rep_id)
    return redirect(
        f"/journeys/{journey.id}",
        flash=f"Handoff proposed to {receiver.name if receiver else 'the team'}.",
    )
