"""What a handoff tells people: the customer intro, the receiver's notice, events, webhooks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from salesrelay.errors import ConflictError
from salesrelay.events import service as event_service
from salesrelay.handoffs.intro import PersonView, format_moment, render
from salesrelay.handoffs.models import Handoff
from salesrelay.intake.models import Account, Contact
from salesrelay.journeys.models import Journey
from salesrelay.journeys.service import Rules
from salesrelay.outbox import service as outbox_service
from salesrelay.outbox.service import Channels, Person
from salesrelay.playbook.schema import HandoffProtocol
from salesrelay.team.models import Rep

INVITE_CONTENT_TYPE = "text/calendar; method=REQUEST"


def _view(rep: Rep | None) -> PersonView | None:
    return PersonView(rep.name, rep.email) if rep is not None else None


def send_intro(
    *,
    session: Session,
    handoff: Handoff,
    journey: Journey,
    account: Account,
    protocol: HandoffProtocol,
    rules: Rules,
    sender: Rep | None,
    receiver: Rep,
    now: datetime,
) -> str | None:
    """Queue the intro to the customer, both reps in copy, with the meeting invite if the
    protocol has one. Returns the message's idempotency key, or None with no e-mail to use."""
    contact = session.get(Contact, journey.contact_id) if journey.contact_id else None
    if contact is None or not contact.email:
        return None
    name = (
        " ".join(part for part in (contact.first_name, contact.last_name) if part) or contact.email
    )
    try:
        intro = render(
            protocol,
            protocol_id=handoff.protocol,
            contact=PersonView(name, contact.email, contact.first_name),
            company_name=account.name,
            account={"id": account.id, "name": account.name, "domain": account.domain},
            previous_owner=_view(sender),
            next_owner=_view(receiver),
            fields=handoff.fields,
            all_fields=journey.fields or {},
            accept_by=handoff.accept_by,
            journey={
                "id": journey.id,
                "stage": handoff.to_stage,
                "kind": journey.kind,
                "source": journey.source,
            },
            timezone=rules.calendar.timezone,
            uid=f"handoff-{handoff.id}@salesrelay",
            now=now,
        )
    except ValueError as error:
        raise ConflictError(str(error)) from None
    attachments = []
    if intro.invite:
        attachments.append(
            {"filename": "invite.ics", "content_type": INVITE_CONTENT_TYPE, "content": intro.invite}
        )
    key = f"handoff:{handoff.id}:intro"
    outbox_service.enqueue(
        session=session,
        channel="email",
        topic="handoff.intro",
        recipient=contact.email,
        cc=[rep.email for rep in (sender, receiver) if rep is not None],
        reply_to=receiver.email,
        subject=intro.subject,
        body=intro.body,
        attachments=attachments,
        key=key,
        now=now,
        journey_id=journey.id,
    )
    return key


def notify_receiver(
    *,
    session: Session,
    channels: Channels,
    handoff: Handoff,
    protocol: HandoffProtocol,
    account: Account,
    sender: Rep,
    receiver: Rep,
    timezone: str,
    now: datetime,
) -> None:
    """Tell the receiver what they are offered, by when, and how to answer."""
    deadline = format_moment(handoff.accept_by, timezone)
    lines = [
        f"{sender.name} hands {account.name} (journey {handoff.journey_id}) to you for "
        f"'{handoff.to_stage}'. Accept or reject it by {deadline}.",
        "",
    ]
    lines += [f"{protocol.fields[n].label or n}: {v}" for n, v in handoff.fields.items()]
    if handoff.note:
        lines += ["", f"Note: {handoff.note}"]
    if handoff.replaces_id is not None:
        lines += [
            "",
            "It was first offered to someone who did not answer in time "
            f"(handoff {handoff.replaces_id}).",
        ]
    lines += [
        "",
        f"salesrelay handoffs accept {handoff.id}   |   "
        f"salesrelay handoffs reject {handoff.id} --reason "
        f"<{'|'.join(protocol.rejection_reasons)}>",
    ]
    outbox_service.notify_rep(
        session=session,
        channels=channels,
        rep=Person(receiver.name, receiver.email),
        topic="handoff.proposed",
        subject=f"Handoff from {sender.name}: {account.name} (accept by {deadline})",
        body="\n".join(lines),
        key=f"handoff:{handoff.id}:proposed",
        now=now,
        journey_id=handoff.journey_id,
    )


def record_event(
    *,
    session: Session,
    handoff: Handoff,
    kind: str,
    now: datetime,
    actor: str | None,
    rep_id: int | None,
    data: dict,
) -> None:
    """An event on the journey's timeline, naming the handoff."""
    event_service.record(
        session=session,
        journey_id=handoff.journey_id,
        kind=kind,
        at=now,
        rep_id=rep_id,
        actor=actor,
        data={"handoff_id": handoff.id, **data},
    )


def publish(
    *, session: Session, channels: Channels, handoff: Handoff, topic: str, now: datetime
) -> None:
    """The handoff's new state to the CRM webhook, when one is configured."""
    outbox_service.publish(
        session=session,
        channels=channels,
        topic=topic,
        now=now,
        journey_id=handoff.journey_id,
        key=f"handoff:{handoff.id}:{topic}",
        data={
            "handoff_id": handoff.id,
            "journey_id": handoff.journey_id,
            "protocol": handoff.protocol,
            "status": handoff.status,
            "from_rep_id": handoff.from_rep_id,
            "to_rep_id": handoff.to_rep_id,
            "from_stage": handoff.from_stage,
            "to_stage": handoff.to_stage,
            "rejection_reason": handoff.rejection_reason,
            "rating": handoff.rating,
        },
    )
