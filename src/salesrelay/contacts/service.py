"""Finding every row that holds or mentions a person. Reads only; flows.py changes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import func, inspect, or_, select
from sqlalchemy.orm import Session

from salesrelay.contacts.identity import LEAD_EVENTS, Identity, identity_from
from salesrelay.events.models import Event
from salesrelay.handoffs.models import Handoff
from salesrelay.intake.matching import email_key
from salesrelay.intake.models import Account, Contact, IntakeReceipt
from salesrelay.journeys.models import Journey
from salesrelay.outbox.models import OutboxMessage
from salesrelay.routing.models import RoutingRecord
from salesrelay.sla.models import SlaClock


@dataclass
class Holdings:
    """The rows that hold or mention one person."""

    person: Identity
    contact: Contact | None
    accounts: list[Account] = field(default_factory=list)
    journeys: list[Journey] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    routing_decisions: list[RoutingRecord] = field(default_factory=list)
    handoffs: list[Handoff] = field(default_factory=list)
    sla_clocks: list[SlaClock] = field(default_factory=list)
    outbox_messages: list[OutboxMessage] = field(default_factory=list)
    intake_receipts: list[IntakeReceipt] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.contact is None and not self.journeys and not self.outbox_messages


def find(*, session: Session, email: str, lock: bool = False) -> Holdings:
    """Everything held on the person with this e-mail address (any case, any '+tag')."""
    key = email_key(email)
    contact = None
    if key:
        query = select(Contact).where(Contact.email_key == key)
        contact = session.scalars(query.with_for_update() if lock else query).first()
    lead_events = _their_lead_events(session, key)
    person = identity_from(contact, email, [event.data for event in lead_events])
    journey_ids = {event.journey_id for event in lead_events}
    if contact is not None:
        journey_ids.update(
            session.scalars(select(Journey.id).where(Journey.contact_id == contact.id))
        )
    held = Holdings(person=person, contact=contact)
    if contact is not None:
        held.accounts = list(
            session.scalars(select(Account).where(Account.id == contact.account_id))
        )
    if journey_ids:
        ids = sorted(journey_ids)
        held.journeys = _rows(session, Journey, Journey.id.in_(ids), Journey.id, lock)
        held.events = _rows(session, Event, Event.journey_id.in_(ids), Event.id, lock)
        held.routing_decisions = _rows(
            session, RoutingRecord, RoutingRecord.journey_id.in_(ids), RoutingRecord.id, lock
        )
        held.handoffs = _rows(session, Handoff, Handoff.journey_id.in_(ids), Handoff.id, lock)
        held.sla_clocks = _rows(session, SlaClock, SlaClock.journey_id.in_(ids), SlaClock.id, lock)
        receipts = _rows(
            session, IntakeReceipt, IntakeReceipt.journey_id.in_(ids), IntakeReceipt.key, lock
        )
        held.intake_receipts = [r for r in receipts if _receipt_is_theirs(r, held)]
    addressed = (
        [func.lower(OutboxMessage.recipient) == address.lower() for address in person.emails]
        + [func.lower(OutboxMessage.recipient) == key]
        if key
        else []
    )
    on_journeys = [OutboxMessage.journey_id.in_(sorted(journey_ids))] if journey_ids else []
    if addressed or on_journeys:
        held.outbox_messages = _rows(
            session, OutboxMessage, or_(*addressed, *on_journeys), OutboxMessage.id, lock
        )
    return held


def _their_lead_events(session: Session, key: str | None) -> list[Event]:
    """Lead events whose submission came from this address. The database narrows by the
    address's domain and local part (a '+tag' may sit between them); email_key decides."""
    if not key or "@" not in key:
        return []
    local, domain = key.rsplit("@", 1)
    pattern = f"{_like(local)}%@{_like(domain)}"
    candidates = session.scalars(
        select(Event)
        .where(
            Event.kind.in_(LEAD_EVENTS),
            func.lower(Event.data["email"].as_string()).like(pattern, escape="\\"),
        )
        .order_by(Event.id)
    )
    return [event for event in candidates if email_key(event.data.get("email")) == key]


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _rows(session: Session, model, where, order, lock: bool) -> list[Any]:
    query = select(model).where(where).order_by(order)
    if lock:
        query = query.with_for_update()
    return list(session.scalars(query))


def _receipt_is_theirs(receipt: IntakeReceipt, held: Holdings) -> bool:
    """A stored answer is theirs when it names their contact; an answer not kept is theirs
    when the journey is their own (no one else's contact id can be read from it)."""
    if receipt.response:
        try:
            answer = orjson.loads(receipt.response)
        except orjson.JSONDecodeError:
            return True
        if not isinstance(answer, dict):
            return True
        return held.contact is not None and answer.get("contact_id") == held.contact.id
    journey = next((j for j in held.journeys if j.id == receipt.journey_id), None)
    return (
        journey is not None and held.contact is not None and journey.contact_id == held.contact.id
    )


def as_dict(row: Any) -> dict[str, Any]:
    """A row's columns by name, values as stored."""
    return {column.key: getattr(row, column.key) for column in inspect(row).mapper.column_attrs}
