"""POST /api/v1/leads: every lead, once, matched and routed in the request."""

from __future__ import annotations

import hashlib
import time
from time import perf_counter
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from salesrelay.api import errors, inputs
from salesrelay.api.deps import AuthError, authorize
from salesrelay.db import transaction, utcnow
from salesrelay.errors import InvalidInputError
from salesrelay.intake import flows as intake_flows
from salesrelay.intake.matching import normalise_lead
from salesrelay.intake.schemas import LeadAccepted, LeadIn
from salesrelay.notify import webhook
from salesrelay.telemetry import instruments

SIGNATURE_TOLERANCE_SECONDS = 300
"""How far a signed request's timestamp may be from our clock: replays older than this fail."""


async def signed_body(
    request: Request,
    signature: Annotated[
        str | None,
        Header(
            alias=webhook.SIGNATURE_HEADER,
            description="sha256=<hex HMAC-SHA256 of '<timestamp>.<raw body>'>; required when "
            "the server sets SALESRELAY_INTAKE_SIGNING_SECRET",
        ),
    ] = None,
    timestamp: Annotated[
        str | None,
        Header(alias=webhook.TIMESTAMP_HEADER, description="Unix seconds the body was signed at"),
    ] = None,
) -> None:
    """When the install sets an intake signing secret, the body must carry its signature,
    made the way SalesRelay signs the webhooks it sends (docs/api.md). Checked before the
    key, with no database work, so unsigned floods cost one HMAC each."""
    secret = request.app.state.settings.intake_signing_secret
    if not secret:
        return
    how = (
        f"send {webhook.TIMESTAMP_HEADER}: <Unix seconds> and {webhook.SIGNATURE_HEADER}: "
        "sha256=<hex HMAC-SHA256 of '<timestamp>.<raw body>' keyed with the intake signing "
        "secret>"
    )
    if not signature or not timestamp:
        raise AuthError(f"this server accepts only signed leads: {how}")
    try:
        recent = abs(time.time() - int(timestamp)) <= SIGNATURE_TOLERANCE_SECONDS
    except ValueError:
        recent = False
    if not recent:
        raise AuthError(
            f"{webhook.TIMESTAMP_HEADER} must be the current time in Unix seconds (within "
            f"{SIGNATURE_TOLERANCE_SECONDS} s); sign each request when you send it"
        )
    if not webhook.verify(
        secret,
        timestamp=timestamp,
        body=await request.body(),
        signature=signature.strip().removeprefix("sha256="),
        tolerance_seconds=SIGNATURE_TOLERANCE_SECONDS,
    ):
        raise AuthError(f"{webhook.SIGNATURE_HEADER} does not match the body: {how}")


class _MeasuredRoute(APIRoute):
    """Counts every answer of the intake route by outcome and times it, including the answers
    given before the handler runs (a bad signature, an invalid body): two clock reads, a
    counter and a histogram, all in memory."""

    def get_route_handler(self):
        handle = super().get_route_handler()
        rejected = instruments.INTAKE_BY_OUTCOME["rejected"]

        async def measured(request: Request) -> Response:
            started = perf_counter()
            try:
                response = await handle(request)
            except Exception:
                rejected.inc()
                raise
            finally:
                instruments.intake_seconds.observe(perf_counter() - started)
            outcome = getattr(request.state, "intake_outcome", "rejected")
            instruments.INTAKE_BY_OUTCOME[outcome].inc()
            return response

        return measured


router = APIRouter(
    prefix="/api/v1",
    tags=["intake"],
    responses=errors.COMMON,
    dependencies=[Depends(inputs.refuse_unstorable)],
    route_class=_MeasuredRoute,
)

RESPONSES = {
    200: {
        "model": LeadAccepted,
        "description": "Replay of an Idempotency-Key, or the lead joined an open journey",
    },
    **errors.responses(
        {
            401: "Missing or unknown API key",
            403: "The key lacks the intake scope",
            409: "No playbook installed",
            422: "Invalid lead; `errors` names each field",
        }
    ),
}


@router.post(
    "/leads",
    status_code=201,
    response_model=LeadAccepted,
    responses=RESPONSES,
    dependencies=[Depends(signed_body)],
)
async def create_lead(
    lead: LeadIn,
    request: Request,
    authorization: Annotated[
        str | None, Header(description="Bearer API key with scope intake")
    ] = None,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
):
    """Match the lead to its contact and account, create or join a journey, route it to a
    rep at once, and start the first-touch clock. The answer says who owns it and why."""
    # The whole unit of work runs in one worker thread, start to commit: intake is the hot
    # path, and one hop instead of one per dependency halves its overhead.
    status, body, request.state.intake_outcome = await run_in_threadpool(
        _intake, request.app.state, lead, authorization, idempotency_key
    )
    return Response(content=body, status_code=status, media_type="application/json")


def _intake(
    state, lead: LeadIn, authorization: str | None, idempotency_key: str | None
) -> tuple[int, bytes, str]:
    """The answer's status and body, and its outcome for the metrics."""
    now = utcnow()
    with transaction(state.sessionmaker) as session:
        key = authorize(
            session=session, header=authorization, scope="intake", limits=state.key_limits
        )
        submission = intake_flows.Submission(
            lead=_normalised(lead, now),
            key=f"api:{key.id}:{idempotency_key}" if idempotency_key else None,
            request_hash=hashlib.sha256(
                orjson.dumps(lead.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
            ).hexdigest(),
        )
        (outcome,) = intake_flows.intake(session=session, submissions=[submission], now=now)
    if outcome.error:
        raise InvalidInputError(outcome.error, field="Idempotency-Key")
    if outcome.stored_response is not None:
        return 200, outcome.stored_response.encode(), "replayed"
    body = LeadAccepted(**outcome.answer).model_dump_json().encode()
    if outcome.replayed:
        return outcome.status_code, body, "replayed"
    return outcome.status_code, body, "created" if outcome.status_code == 201 else "joined"


def _normalised(lead: LeadIn, now):
    return normalise_lead(
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
