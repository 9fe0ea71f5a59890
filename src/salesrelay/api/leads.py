"""POST /api/v1/leads: every lead, once, matched and routed in the request."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from fastapi import APIRouter, Header, Response
from fastapi.responses import JSONResponse

from salesrelay.api.deps import IntakeKey, SessionDep
from salesrelay.db import utcnow
from salesrelay.errors import InvalidInputError
from salesrelay.intake import flows as intake_flows
from salesrelay.intake.matching import normalise_lead
from salesrelay.intake.schemas import LeadAccepted, LeadIn

router = APIRouter(prefix="/api/v1", tags=["intake"])

RESPONSES = {
    200: {"model": LeadAccepted, "description": "Replay of an Idempotency-Key, or the lead joined an open journey"},
    401: {"description": "Missing or unknown API key"},
    403: {"description": "The key lacks the intake scope"},
    409: {"description": "No playbook installed"},
    422: {"description": "Invalid lead; `errors` names each field"},
}


@router.post("/leads", status_code=201, response_model=LeadAccepted, responses=RESPONSES)
def create_lead(
    lead: LeadIn,
    key: IntakeKey,
    session: SessionDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
):
    """Match the lead to its contact and account, create or join a journey, route it to a
    rep at once, and start the first-touch clock. The answer says who owns it and why."""
    now = utcnow()
    payload = lead.model_dump(mode="json")
    normalised = normalise_lead(
        email=lead.email,
        phone=lead.phone,
        first_name=lead.first_name,
        last_name=lead.last_name,
        company=lead.company,
        source=lead.source,
        country=lead.country,
        employees=lead.employees,
        industry=lead.industry,
        website=lead.website,
        title=lead.title,
        attributes=lead.all_attributes(),
        received_at=min(lead.received_at, now) if lead.received_at else None,
    )
    submission = intake_flows.Submission(
        lead=normalised,
        key=f"api:{key.id}:{idempotency_key}" if idempotency_key else None,
        request_hash=hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest(),
    )
    context = intake_flows.open_context(session=session, now=now)
    (outcome,) = intake_flows.intake_batch(session=session, context=context, submissions=[submission], now=now)
    intake_flows.close_context(session=session, context=context)
    if outcome.error:
        raise InvalidInputError(outcome.error, field="Idempotency-Key")
    if outcome.stored_response is not None:
        return Response(content=outcome.stored_response, media_type="application/json", status_code=200)
    response.status_code = outcome.status_code
    if outcome.replayed:
        return JSONResponse(status_code=200, content=outcome.accepted.model_dump(mode="json"))
    return outcome.accepted
