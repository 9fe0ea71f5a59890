"""Handoffs (propose, accept, reject, rate, list) and the outbox's delivery log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from salesrelay.api import errors, inputs
from salesrelay.api.deps import (
    AdminKey,
    CurrentPrincipal,
    ForbiddenError,
    ReadKey,
    SessionDep,
    WriteKey,
)
from salesrelay.api.journeys import MAX_ID, ChannelsDep, OwnedJourney, rep_id_for
from salesrelay.db import utcnow
from salesrelay.errors import NotFoundError
from salesrelay.handoffs import flows as handoff_flows
from salesrelay.handoffs import service as handoff_service
from salesrelay.handoffs import views as handoff_views
from salesrelay.handoffs.models import Handoff
from salesrelay.handoffs.schemas import (
    HandoffAccept,
    HandoffList,
    HandoffPropose,
    HandoffPublic,
    HandoffRate,
    HandoffReject,
)
from salesrelay.outbox import service as outbox_service
from salesrelay.outbox.models import OutboxMessage
from salesrelay.outbox.schemas import OutboxDetail, OutboxList, OutboxPublic
from salesrelay.users import access
from salesrelay.users.access import Principal

router = APIRouter(
    prefix="/api/v1",
    tags=["handoffs"],
    responses=errors.COMMON,
    dependencies=[Depends(inputs.refuse_unstorable)],
)

RESPONSES = errors.responses(
    {
        404: "Unknown journey or handoff",
        409: "Not possible in the current state; `detail` says why",
        422: "Missing or invalid fields; `errors` lists every one",
    }
)


def _handoff(
    principal: CurrentPrincipal,
    session: SessionDep,
    handoff_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> Handoff:
    handoff = handoff_service.get(session=session, handoff_id=handoff_id)
    if handoff is None or not access.handoff_visible(principal=principal, handoff=handoff):
        raise NotFoundError(f"no handoff with id {handoff_id}")
    return handoff


CurrentHandoff = Annotated[Handoff, Depends(_handoff)]


@router.post(
    "/journeys/{journey_id}/handoffs",
    status_code=201,
    response_model=HandoffPublic,
    responses=RESPONSES,
)
def propose_handoff(
    journey: OwnedJourney,
    body: HandoffPropose,
    session: SessionDep,
    key: WriteKey,
    channels: ChannelsDep,
):
    """Offer the journey to the next role with the protocol's fields. The receiver is named
    or chosen by routing (account owner first) and must answer by `accept_by`."""
    handoff = handoff_flows.propose(
        session=session,
        journey=journey,
        now=utcnow(),
        actor=key.actor,
        fields=body.fields,
        to_stage=body.to_stage,
        note=body.note,
        channels=channels,
        to_rep_id=rep_id_for(session, body.to_rep_email, "to_rep_email"),
    )
    return handoff_views.public(session=session, handoff=handoff)


@router.get("/handoffs", response_model=HandoffList)
def list_handoffs(
    session: SessionDep,
    principal: ReadKey,
    to: Annotated[str | None, Query(max_length=320, description="Receiver's e-mail")] = None,
    from_: Annotated[
        str | None, Query(alias="from", max_length=320, description="Sender's e-mail")
    ] = None,
    status: Annotated[str | None, Query(pattern="^(proposed|accepted|rejected|expired)$")] = None,
    journey_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
):
    """Handoffs, newest first: `?to=<rep e-mail>&status=proposed` is a rep's inbox."""
    return handoff_views.listing(
        session=session,
        to_rep_id=rep_id_for(session, to, "to"),
        from_rep_id=rep_id_for(session, from_, "from"),
        status=status,
        journey_id=journey_id,
        offset=offset,
        limit=limit,
        involving=principal.team,
    )


@router.get("/handoffs/{handoff_id}", response_model=HandoffPublic, responses=RESPONSES)
def get_handoff(handoff: CurrentHandoff, session: SessionDep, _: ReadKey):
    return handoff_views.public(session=session, handoff=handoff)


@router.post("/handoffs/{handoff_id}/accept", response_model=HandoffPublic, responses=RESPONSES)
def accept_handoff(
    handoff: CurrentHandoff,
    body: HandoffAccept,
    session: SessionDep,
    key: WriteKey,
    channels: ChannelsDep,
):
    """Take the journey: it moves to the new stage and owner, its clocks start, and the
    customer is introduced to the new owner (both reps in copy)."""
    handoff_flows.accept(
        session=session,
        handoff=handoff,
        now=utcnow(),
        actor=key.actor,
        rep_id=rep_id_for(session, body.rep_email, acting=key),
        note=body.note,
        channels=channels,
    )
    return handoff_views.public(session=session, handoff=handoff)


@router.post("/handoffs/{handoff_id}/reject", response_model=HandoffPublic, responses=RESPONSES)
def reject_handoff(
    handoff: CurrentHandoff,
    body: HandoffReject,
    session: SessionDep,
    key: WriteKey,
    channels: ChannelsDep,
):
    """Refuse with one of the protocol's reasons; the journey stays with the sender."""
    handoff_flows.reject(
        session=session,
        handoff=handoff,
        now=utcnow(),
        actor=key.actor,
        reason=body.reason,
        note=body.note,
        rep_id=rep_id_for(session, body.rep_email, acting=key),
        channels=channels,
    )
    return handoff_views.public(session=session, handoff=handoff)


@router.post("/handoffs/{handoff_id}/rate", response_model=HandoffPublic, responses=RESPONSES)
def rate_handoff(
    handoff: CurrentHandoff,
    body: HandoffRate,
    session: SessionDep,
    key: WriteKey,
    channels: ChannelsDep,
):
    """The receiver's rating of the handoff's quality, 1-5, with a comment."""
    handoff_flows.rate(
        session=session,
        handoff=handoff,
        now=utcnow(),
        actor=key.actor,
        rating=body.rating,
        comment=body.comment,
        rep_id=rep_id_for(session, body.rep_email, acting=key),
        channels=channels,
    )
    return handoff_views.public(session=session, handoff=handoff)


# -- the delivery log ------------------------------------------------------------------


def _message(
    session: SessionDep, message_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> OutboxMessage:
    return outbox_service.require(session=session, message_id=message_id)


CurrentMessage = Annotated[OutboxMessage, Depends(_message)]


def _outbox_reader(principal: ReadKey) -> Principal:
    # Messages to customers of every team: integrations and admins read the log.
    if principal.is_user and principal.role != "admin":
        raise ForbiddenError("the delivery log is for admins")
    return principal


OutboxReader = Annotated[Principal, Depends(_outbox_reader)]


@router.get("/outbox", response_model=OutboxList, tags=["outbox"])
def delivery_log(
    session: SessionDep,
    _: OutboxReader,
    status: Annotated[str | None, Query(pattern="^(pending|sent|dead)$")] = None,
    channel: Annotated[str | None, Query(pattern="^(email|slack|webhook)$")] = None,
    journey_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
):
    """Every notification, newest first, with its attempts and last error; `totals` counts
    pending, sent and dead messages."""
    messages, count = outbox_service.listing(
        session=session,
        status=status,
        channel=channel,
        journey_id=journey_id,
        offset=offset,
        limit=limit,
    )
    return OutboxList(
        data=[OutboxPublic.model_validate(m, from_attributes=True) for m in messages],
        count=count,
        totals=outbox_service.counts(session=session),
    )


def _detail(message: OutboxMessage) -> OutboxDetail:
    return OutboxDetail.model_validate(
        {
            **OutboxPublic.model_validate(message, from_attributes=True).model_dump(),
            "reply_to": message.reply_to,
            "body": message.body,
            "attachments": [a.get("filename", "attachment") for a in message.attachments or []],
        }
    )


@router.get(
    "/outbox/{message_id}",
    response_model=OutboxDetail,
    tags=["outbox"],
    responses=errors.responses({404: "Unknown message"}),
)
def get_message(message: CurrentMessage, _: OutboxReader):
    return _detail(message)


@router.post(
    "/outbox/{message_id}/retry",
    response_model=OutboxDetail,
    tags=["outbox"],
    responses=errors.responses({404: "Unknown message", 409: "Not dead"}),
)
def retry_message(message: CurrentMessage, session: SessionDep, _: AdminKey):
    """Send a dead message again (after its receiver was fixed), with fresh attempts."""
    outbox_service.retry(session=session, message=message, now=utcnow())
    return _detail(message)
