"""Journeys: read one with its whole timeline, list, record touches, move through stages;
post-sales journeys of an account; routing decisions."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy.orm import Session

from salesrelay.api import errors, inputs
from salesrelay.api.deps import CurrentPrincipal, ForbiddenError, ReadKey, SessionDep, WriteKey
from salesrelay.db import utcnow
from salesrelay.errors import InvalidInputError, NotFoundError
from salesrelay.intake.matching import email_key
from salesrelay.intake.models import Account
from salesrelay.intake.schemas import Owner
from salesrelay.journeys import flows as journey_flows
from salesrelay.journeys import post_sales, views
from salesrelay.journeys import service as journey_service
from salesrelay.journeys.models import Journey
from salesrelay.journeys.schemas import (
    AccountJourneyIn,
    AccountJourneyOpened,
    CustomerRequestIn,
    FieldsIn,
    ForwardedEmailIn,
    JourneyDetail,
    JourneyList,
    ResolveIn,
    RoutingPublic,
    TouchIn,
    TouchRecorded,
    TransitionDone,
    TransitionIn,
)
from salesrelay.outbox.service import Channels
from salesrelay.routing import service as routing_service
from salesrelay.team import service as team_service
from salesrelay.users import access
from salesrelay.users.access import Principal

router = APIRouter(
    prefix="/api/v1",
    tags=["journeys"],
    responses=errors.COMMON,
    dependencies=[Depends(inputs.refuse_unstorable)],
)

MAX_ID = inputs.MAX_ID


def _journey(
    principal: CurrentPrincipal,
    session: SessionDep,
    journey_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> Journey:
    journey = journey_service.get(session=session, journey_id=journey_id)
    # Someone else's journey does not exist, as far as this principal can tell.
    if journey is None or not access.journey_visible(
        session=session, principal=principal, journey=journey
    ):
        raise NotFoundError(f"no journey with id {journey_id}")
    return journey


CurrentJourney = Annotated[Journey, Depends(_journey)]


def _owned_journey(principal: CurrentPrincipal, journey: CurrentJourney) -> Journey:
    # A receiver may read a journey offered to them, but it is not theirs to change yet.
    if not principal.sees_rep(journey.owner_rep_id):
        raise ForbiddenError(
            f"journey {journey.id} belongs to another rep until the handoff is accepted"
        )
    return journey


OwnedJourney = Annotated[Journey, Depends(_owned_journey)]


def _channels(request: Request) -> Channels:
    return Channels.from_settings(request.app.state.settings)


ChannelsDep = Annotated[Channels, Depends(_channels)]
"""Where notifications go besides e-mail (Slack, the CRM webhook), from the settings."""


def rep_id_for(
    session: Session,
    email: str | None,
    field: str = "rep_email",
    *,
    acting: Principal | None = None,
) -> int | None:
    """The rep an e-mail names; a signed-in rep always acts as themselves."""
    if acting is not None and acting.is_user and (acting.role == "rep" or not email):
        return acting.rep_id
    if not email:
        return None
    rep = team_service.get_by_email(session=session, email=email)
    if rep is None:
        raise InvalidInputError(f"no rep with e-mail {email}", field=field)
    return rep.id


def _owner(session: Session, rep_id: int | None) -> Owner | None:
    rep = team_service.get(session=session, rep_id=rep_id) if rep_id is not None else None
    return Owner(id=rep.id, name=rep.name, email=rep.email) if rep else None


@router.get(
    "/journeys/{journey_id}",
    response_model=JourneyDetail,
    responses=errors.responses({404: "Unknown journey"}),
)
def get_journey(journey: CurrentJourney, session: SessionDep, _: ReadKey):
    """The journey with its owner, routing reasons, SLA clocks and whole timeline."""
    return views.detail(session=session, journey=journey)


@router.get("/journeys", response_model=JourneyList)
def list_journeys(
    session: SessionDep,
    principal: ReadKey,
    owner: Annotated[str | None, Query(description="Owner's e-mail", max_length=320)] = None,
    stage: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
):
    owner_id = None
    if owner:
        rep = team_service.get_by_email(session=session, email=owner)
        if rep is None or not principal.sees_rep(rep.id):
            raise InvalidInputError(f"no rep with e-mail {owner}", field="owner")
        owner_id = rep.id
    return views.listing(
        session=session,
        owner_rep_id=owner_id,
        stage=stage,
        status=status,
        offset=offset,
        limit=limit,
        owner_rep_ids=principal.team,
    )


@router.post(
    "/journeys/{journey_id}/touches",
    status_code=201,
    response_model=TouchRecorded,
    responses=errors.responses({404: "Unknown journey", 422: "Invalid touch"}),
)
def record_touch(journey: OwnedJourney, touch: TouchIn, session: SessionDep, key: WriteKey):
    """Record a call, e-mail or meeting. The first touch stops the speed-to-lead clock."""
    now = utcnow()
    at = min(touch.at, now) if touch.at else now
    if at < journey.created_at:
        raise InvalidInputError("a touch cannot happen before the lead arrived", field="at")
    rep_id = rep_id_for(session, touch.rep_email, acting=key)
    result = journey_flows.record_touch(
        session=session,
        journey=journey,
        at=at,
        channel=touch.channel,
        note=touch.note,
        rep_id=rep_id,
        actor=key.actor,
    )
    return TouchRecorded(journey_id=journey.id, first_touched_at=journey.first_touched_at, **result)


CONFLICTS = errors.responses(
    {
        404: "Unknown journey",
        409: "A move the playbook does not allow; errors[0].allowed lists the allowed",
        422: "Invalid input, e.g. an ending without a reason",
    }
)


@router.post(
    "/journeys/{journey_id}/transitions", response_model=TransitionDone, responses=CONFLICTS
)
def move_journey(
    journey: OwnedJourney,
    move: TransitionIn,
    session: SessionDep,
    key: WriteKey,
    channels: ChannelsDep,
    request: Request,
):
    """Move the journey to another stage of its owner's role, or end it (won, lost with a
    reason, disqualified with a reason, nurture). A move to another role is a handoff:
    POST /journeys/{id}/handoffs."""
    now = utcnow()
    recycle_days = request.app.state.settings.nurture_recycle_days
    moved = journey_flows.transition(
        session=session,
        journey=journey,
        to_stage=move.to,
        now=now,
        actor=key.actor,
        reason=move.reason,
        note=move.note,
        rep_id=rep_id_for(session, move.rep_email, acting=key),
        fields=move.fields,
        recycle_at=move.recycle_at or now + timedelta(days=recycle_days),
        channels=channels,
    )
    return TransitionDone(
        journey_id=moved.journey_id,
        from_stage=moved.from_stage,
        to_stage=moved.to_stage,
        status=moved.status,
        outcome=moved.outcome,
        owner=_owner(session, moved.owner_rep_id),
        clocks_started=moved.clocks_started,
        clocks_stopped=moved.clocks_stopped,
        reasons=moved.reasons,
    )


@router.patch("/journeys/{journey_id}/fields", response_model=dict[str, Any], responses=CONFLICTS)
def update_fields(
    journey: OwnedJourney,
    body: FieldsIn,
    session: SessionDep,
    key: WriteKey,
    channels: ChannelsDep,
):
    """Record facts on the journey — contract_value, renewal_date, health (green, yellow,
    red) are checked by type. Answers with all of the journey's fields."""
    return journey_flows.update_fields(
        session=session,
        journey=journey,
        fields=body.fields,
        now=utcnow(),
        actor=key.actor,
        rep_id=rep_id_for(session, body.rep_email, acting=key),
        channels=channels,
    )


@router.post("/journeys/{journey_id}/resolve", response_model=JourneyDetail, responses=CONFLICTS)
def resolve_request(
    journey: OwnedJourney,
    body: ResolveIn,
    session: SessionDep,
    key: WriteKey,
    channels: ChannelsDep,
):
    """Close a customer request that has been dealt with."""
    post_sales.resolve_request(
        session=session,
        journey=journey,
        now=utcnow(),
        actor=key.actor,
        note=body.note,
        rep_id=rep_id_for(session, body.rep_email, acting=key),
        channels=channels,
    )
    return views.detail(session=session, journey=journey)


def _account(
    principal: CurrentPrincipal,
    session: SessionDep,
    account_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> Account:
    account = session.get(Account, account_id)
    if account is None or not access.account_visible(principal=principal, account=account):
        raise NotFoundError(f"no account with id {account_id}")
    return account


CurrentAccount = Annotated[Account, Depends(_account)]


def _opened(session: Session, opened: post_sales.Opened) -> AccountJourneyOpened:
    journey = opened.journey
    return AccountJourneyOpened(
        journey_id=journey.id,
        account_id=journey.account_id,
        kind=journey.kind,
        stage=journey.stage,
        owner=_owner(session, journey.owner_rep_id),
        reasons=opened.reasons,
        clocks_started=opened.clocks_started,
    )


@router.post(
    "/accounts/{account_id}/journeys",
    status_code=201,
    response_model=AccountJourneyOpened,
    responses=errors.responses({404: "Unknown account", 409: "Not a customer"}),
)
def open_account_journey(
    account: CurrentAccount,
    body: AccountJourneyIn,
    session: SessionDep,
    key: WriteKey,
    channels: ChannelsDep,
):
    """Open a renewal or expansion journey for a customer, routed to its account manager."""
    opened = post_sales.open_for_account(
        session=session,
        account=account,
        kind=body.kind,
        now=utcnow(),
        actor=key.actor,
        fields=body.fields,
        message=body.note,
        channels=channels,
    )
    return _opened(session, opened)


@router.post(
    "/accounts/{account_id}/requests",
    status_code=201,
    response_model=AccountJourneyOpened,
    responses=errors.responses({404: "Unknown account", 409: "Not a customer"}),
)
def open_customer_request(
    account: CurrentAccount,
    body: CustomerRequestIn,
    session: SessionDep,
    key: WriteKey,
    channels: ChannelsDep,
):
    """A current customer needs something: a request journey routed to the account's
    post-sales owner (never a closer), with the playbook's response clock running."""
    contact_id = None
    if body.contact_email:
        found = post_sales.customer_contact(
            session=session, email_key=email_key(body.contact_email)
        )
        if found is None or found[1].id != account.id:
            raise InvalidInputError(
                f"{body.contact_email} is not a contact of account {account.id}",
                field="contact_email",
            )
        contact_id = found[0].id
    opened = post_sales.open_for_account(
        session=session,
        account=account,
        kind="request",
        now=utcnow(),
        actor=key.actor,
        contact_id=contact_id,
        subject=body.subject,
        message=body.message,
        channels=channels,
    )
    return _opened(session, opened)


@router.post(
    "/requests/email",
    status_code=201,
    response_model=AccountJourneyOpened,
    responses=errors.responses(
        {409: "The sender's account is not a customer", 422: "Unknown sender"}
    ),
)
def forwarded_customer_email(
    body: ForwardedEmailIn, session: SessionDep, key: WriteKey, channels: ChannelsDep
):
    """An e-mail from a customer, forwarded to the intake: a request on their account."""
    if key.role == "rep":
        raise ForbiddenError("forwarded e-mails come from the mail integration or a manager")
    found = post_sales.customer_contact(session=session, email_key=email_key(body.from_) or "")
    if found is None:
        raise InvalidInputError(
            f"{body.from_} is not a known contact; a new lead goes to POST /api/v1/leads",
            field="from",
        )
    contact, account = found
    opened = post_sales.open_for_account(
        session=session,
        account=account,
        kind="request",
        now=utcnow(),
        actor=key.actor,
        contact_id=contact.id,
        subject=body.subject,
        message=body.text,
        channels=channels,
    )
    return _opened(session, opened)


@router.get("/routing/decisions", response_model=list[RoutingPublic])
def routing_log(
    session: SessionDep,
    principal: ReadKey,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
):
    """The most recent routing decisions, newest first, each with why."""
    return routing_service.recent(
        session=session, offset=offset, limit=limit, rep_ids=principal.team
    )
