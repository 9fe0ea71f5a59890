"""Export everything held on a person; erase it. Both take the caller's session; erase
changes every row in the caller's one transaction, so it happens whole or not at all.

What erasure keeps, so the metrics stay right: every row stays (journeys, events, handoffs,
clocks, routing decisions, messages, receipts), with its timestamps, stages, owners, kinds
and codes. Only what identifies the person goes: their contact's fields, their own fields
in lead events, and every mention of their address, phone or name in text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from salesrelay.contacts import service as contact_service
from salesrelay.contacts.identity import (
    CONTACT_FIELDS,
    ERASED,
    LEAD_EVENTS,
    mentions,
    redact,
    without_person,
)
from salesrelay.contacts.service import Holdings, as_dict
from salesrelay.events import service as event_service
from salesrelay.intake.matching import company_key, email_key

AUDIT_EVENT = "contact.erased"


def export(*, session: Session, email: str) -> dict[str, Any]:
    """Everything held on the person, as plain JSON-ready values. Lead events of other
    people on the same journeys are shown without those people's own fields."""
    held = contact_service.find(session=session, email=email)
    pattern = held.person.pattern()
    events = []
    for event in held.events:
        row = as_dict(event)
        if event.kind in LEAD_EVENTS and not held.person.is_theirs(event.data.get("email")):
            row["data"] = without_person(event.data, None)
            row["data"]["erased"] = False
            row["data"]["note"] = "another person's lead: their own fields are left out"
        events.append(row)
    return {
        "email": email,
        "found": not held.empty,
        "contact": as_dict(held.contact) if held.contact else None,
        "accounts": [as_dict(row) for row in held.accounts],
        "journeys": [as_dict(row) for row in held.journeys],
        "events": events,
        "routing_decisions": [as_dict(row) for row in held.routing_decisions],
        "handoffs": [as_dict(row) for row in held.handoffs],
        "sla_clocks": [as_dict(row) for row in held.sla_clocks],
        "outbox_messages": [
            as_dict(row)
            for row in held.outbox_messages
            if _addressed_to(row, held) or mentions(_message_text(row), pattern)
        ],
        "intake_receipts": [
            {**as_dict(row), "response": _parsed(row.response)} for row in held.intake_receipts
        ],
    }


def erase(*, session: Session, email: str, now: datetime, actor: str) -> dict[str, Any]:
    """Remove the person's data everywhere, and record on each of their journeys that it
    was done (with counts, never the data). Running it again changes nothing."""
    held = contact_service.find(session=session, email=email, lock=True)
    if held.empty:
        return {"erased": False, "contact_id": None, "changed": {}, "audit_events": 0}
    pattern = held.person.pattern()
    changed: dict[str, int] = {}

    def count(table: str, did: bool) -> None:
        if did:
            changed[table] = changed.get(table, 0) + 1

    contact = held.contact
    if contact is not None:
        for name in CONTACT_FIELDS:
            setattr(contact, name, None)
        contact.attributes = {}
        count("contacts", True)
        for account in held.accounts:
            count("accounts", _erase_account_name(account, held, contact.id))
    for journey in held.journeys:
        count("journeys", _replace(journey, "fields", redact(journey.fields, pattern)))
    for event in held.events:
        data = event.data or {}
        if event.kind in LEAD_EVENTS and held.person.is_theirs(data.get("email")):
            count("events", _replace(event, "data", without_person(data, pattern)))
        else:
            count("events", _replace(event, "data", redact(data, pattern)))
    for decision in held.routing_decisions:
        did = _replace(decision, "reasons", redact(decision.reasons, pattern))
        count(
            "routing_decisions",
            _replace(decision, "skipped", redact(decision.skipped, pattern)) or did,
        )
    for handoff in held.handoffs:
        did = False
        for name in ("fields", "note", "reasons", "rejection_note", "rating_comment"):
            did = _replace(handoff, name, redact(getattr(handoff, name), pattern)) or did
        count("handoffs", did)
    for message in held.outbox_messages:
        count("outbox_messages", _erase_message(message, held, pattern, now))
    for receipt in held.intake_receipts:
        did = _replace(receipt, "request_hash", None)
        did = _replace(receipt, "response", redact(receipt.response, pattern)) or did
        count("intake_receipts", did)
    session.flush()
    audit = {"contact_id": contact.id if contact else None, "changed": changed}
    for journey in held.journeys:
        event_service.record(
            session=session,
            journey_id=journey.id,
            kind=AUDIT_EVENT,
            at=now,
            actor=actor,
            data=audit,
        )
    session.flush()
    return {
        "erased": True,
        "contact_id": audit["contact_id"],
        "changed": changed,
        "audit_events": len(held.journeys),
    }


def _replace(row: Any, name: str, value: Any) -> bool:
    if getattr(row, name) == value:
        return False
    setattr(row, name, value)
    return True


def _erase_account_name(account, held: Holdings, contact_id: int) -> bool:
    """An account made from a lead without a company is named after the person (or keyed
    by their address): it gets a neutral name. A company's name is not personal data."""
    person = held.person
    keys = {person.email_key, *(email_key(e) for e in person.emails), *person.phones}
    named_after = account.name_key in keys or any(
        account.name.strip().lower() == name.lower() for name in person.names | person.emails
    )
    if not named_after and not (account.name and held.person.pattern().fullmatch(account.name)):
        return False
    account.name = f"Erased contact {contact_id}"
    account.name_key = company_key(account.name) + f" {account.id}"
    return True


def _addressed_to(message, held: Holdings) -> bool:
    return held.person.is_theirs(message.recipient) or any(
        held.person.is_theirs(address) for address in message.cc or []
    )


def _message_text(message) -> list[Any]:
    return [message.recipient, message.cc, message.subject, message.body, message.attachments]


def _erase_message(message, held: Holdings, pattern, now: datetime) -> bool:
    """A message to the person loses its address and content, and is never sent if it had
    not gone yet; any other message on their journeys has the mentions redacted."""
    if held.person.is_theirs(message.recipient):
        message.recipient = ERASED
        message.subject, message.body, message.attachments = ERASED, ERASED, []
        message.cc = redact(message.cc, pattern)
        if message.status == "pending":
            message.status, message.next_attempt_at = "dead", None
            message.last_error = f"not sent: the recipient's data was erased at {now.isoformat()}"
        return True
    did = False
    for name in ("recipient", "cc", "subject", "body", "attachments"):
        did = _replace(message, name, redact(getattr(message, name), pattern)) or did
    return did


def _parsed(response: str | None) -> Any:
    if response is None:
        return None
    try:
        return orjson.loads(response)
    except orjson.JSONDecodeError:
        return response
