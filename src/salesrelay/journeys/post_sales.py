"""After the sale: renewals, expansions and customer requests, each a journey of its own,
owned by post-sales; and nurtured leads coming back to routing.

A current customer's problem goes to the account's post-sales owner (account manager,
customer success) with its own response clock — never to a closer who is busy with
proposals — because fast answers to customers are what specialization is for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from salesrelay.errors import ConflictError, InvalidInputError
from salesrelay.events import service as event_service
from salesrelay.intake import context as intake_context
from salesrelay.intake import flows as intake_flows
from salesrelay.intake.matching import normalise_lead
from salesrelay.intake.models import Account, Contact
from salesrelay.journeys import service as journey_service
from salesrelay.journeys import stages
from salesrelay.journeys.assign import Assigner
from salesrelay.journeys.flows import person
from salesrelay.journeys.models import Journey
from salesrelay.outbox import service as outbox_service
from salesrelay.outbox.service import EMAIL_ONLY, Channels
from salesrelay.sla import service as sla_service

ACCOUNT_JOURNEY_KINDS = ("renewal", "expansion", "request")


@dataclass
class Opened:
    journey: Journey
    reasons: list[str]
    clocks_started: list[str]


def open_for_account(
    *,
    session: Session,
    account: Account,
    kind: str,
    now: datetime,
    actor: str | None,
    fields: Mapping[str, Any] | None = None,
    contact_id: int | None = None,
    subject: str | None = None,
    message: str | None = None,
    channels: Channels = EMAIL_ONLY,
) -> Opened:
    """Open a renewal, expansion or request journey for a current customer, routed to its
    post-sales owner first (then the stage's role), with the stage's clocks running."""
    if kind not in ACCOUNT_JOURNEY_KINDS:
        raise InvalidInputError(
            f"kind must be one of: {', '.join(ACCOUNT_JOURNEY_KINDS)}", field="kind"
        )
    if not account.is_customer:
        raise ConflictError(
            f"account {account.id} ({account.name}) is not a customer yet: a new lead from it "
            "goes through intake (POST /api/v1/leads)"
        )
    rules = journey_service.rules(session=session)
    playbook = rules.playbook
    values = stages.check_fields(fields or {}, timezone=rules.calendar.timezone)
    if subject:
        values["subject"] = subject
    if message:
        values["message"] = message
    stage = stages.post_sale_entry(playbook, kind)
    post_sales_roles = [
        role for role in playbook.roles if playbook.role_function(role) == "post_sales"
    ]
    assigner = Assigner(session=session, now=now)
    decision = assigner.choose(
        role=stage.role,
        account_owner_id=account.owner_rep_id,
        owner_roles=post_sales_roles or (stage.role,),
        label=f"{stage.role} pool",
    )
    journey = journey_service.create(
        session=session,
        values={
            "account_id": account.id,
            "contact_id": contact_id or _main_contact(session, account.id),
            "kind": kind,
            "stage": stage.id,
            "status": "open",
            "owner_rep_id": decision.rep_id,
            "source": kind,
            "playbook_version": rules.version,
            "fields": values,
            "created_at": now,
            "updated_at": now,
        },
    )
    assigner.record(journey_id=journey.id, decision=decision)
    assigner.close()
    kinds = sla_service.STAGE_KINDS + (("response",) if kind == "request" else ())
    started = sla_service.start_for_stage(
        session=session,
        playbook=playbook,
        calendar=rules.calendar,
        journey_id=journey.id,
        stage=stage.id,
        rep_id=decision.rep_id,
        now=now,
        kinds=kinds,
    )
    reasons = list(decision.reasons)
    event_service.record(
        session=session,
        journey_id=journey.id,
        kind="journey.opened",
        at=now,
        actor=actor,
        data={"kind": kind, "stage": stage.id, "subject": subject},
    )
    event_service.record(
        session=session,
        journey_id=journey.id,
        at=now,
        actor="system",
        rep_id=decision.rep_id,
        kind="journey.routed" if decision.rep_id else "journey.queued",
        data={
            "rule": decision.rule,
            "method": decision.method,
            "reasons": reasons,
            "fallback": decision.fallback,
        },
    )
    key = f"journey:{journey.id}:opened"
    owner = person(session, decision.rep_id)
    if owner is not None:
        what = {"request": "Request", "renewal": "Renewal", "expansion": "Expansion"}[kind]
        lines = [f"{what} from {account.name} (journey {journey.id}) is yours."]
        if subject:
            lines.append(f"Subject: {subject}")
        if message:
            lines += ["", message]
        if started:
            lines += ["", f"Clocks running: {', '.join(started)}"]
        outbox_service.notify_rep(
            session=session,
            channels=channels,
            rep=owner,
            topic=f"journey.{kind}",
            subject=f"{what} from {account.name}" + (f": {subject}" if subject else ""),
            body="\n".join(lines),
            key=key + ":owner",
            now=now,
            journey_id=journey.id,
        )
    outbox_service.publish(
        session=session,
        channels=channels,
        topic="journey.opened",
        key=key,
        now=now,
        journey_id=journey.id,
        data={
            "journey_id": journey.id,
            "account_id": account.id,
            "kind": kind,
            "stage": stage.id,
            "owner_rep_id": decision.rep_id,
        },
    )
    session.flush()
    return Opened(journey, reasons, started)


def resolve_request(
    *,
    session: Session,
    journey: Journey,
    now: datetime,
    actor: str | None,
    note: str | None = None,
    rep_id: int | None = None,
    channels: Channels = EMAIL_ONLY,
) -> Journey:
    """Close a customer request once it is dealt with; its stage does not change."""
    if journey.kind != "request":
        raise ConflictError(
            f"journey {journey.id} is a {journey.kind} journey; only requests "
            "are resolved — move other journeys through their stages"
        )
    sla_service.lock_running(session=session, journey_id=journey.id)
    journey_service.lock(session=session, journey=journey)
    if journey.status != "open":
        raise ConflictError(f"request {journey.id} is already closed ({journey.outcome})")
    journey.status, journey.outcome, journey.updated_at = "closed", "resolved", now
    if journey.owner_rep_id is not None:
        journey_service.add_open_counts(session=session, owners=Counter({journey.owner_rep_id: -1}))
    stopped = sla_service.leave_stage(
        session=session, journey_id=journey.id, stage=journey.stage, at=now, closing=True
    )
    event_service.record(
        session=session,
        journey_id=journey.id,
        kind="journey.resolved",
        at=now,
        rep_id=rep_id,
        actor=actor,
        data={"note": note, "clocks_cancelled": [c.policy for c in stopped]},
    )
    outbox_service.publish(
        session=session,
        channels=channels,
        topic="journey.resolved",
        now=now,
        key=f"journey:{journey.id}:resolved",
        journey_id=journey.id,
        data={"journey_id": journey.id, "account_id": journey.account_id, "note": note},
    )
    session.flush()
    return journey


def customer_contact(*, session: Session, email_key: str) -> tuple[Contact, Account] | None:
    """The contact who wrote, and their account, if we know them."""
    row = session.execute(
        select(Contact, Account)
        .join(Account, Account.id == Contact.account_id)
        .where(Contact.email_key == email_key)
    ).first()
    return (row[0], row[1]) if row else None


def _main_contact(session: Session, account_id: int) -> int | None:
    """The contact of the account's latest journey, else its first contact."""
    found = session.scalar(
        select(Journey.contact_id)
        .where(Journey.account_id == account_id, Journey.contact_id.is_not(None))
        .order_by(Journey.id.desc())
        .limit(1)
    )
    if found is not None:
        return found
    return session.scalar(
        select(Contact.id).where(Contact.account_id == account_id).order_by(Contact.id).limit(1)
    )


def recycle(*, session: Session, journey: Journey, now: datetime) -> int | None:
    """A nurtured lead's time has come: it goes back through intake as a new lead (source
    'nurture'), so the playbook's routing rules place it like any other. Returns the
    journey it landed in, or None when there is nobody to contact."""
    if journey.status != "closed" or journey.outcome != "nurture":
        return None
    contact = session.get(Contact, journey.contact_id) if journey.contact_id else None
    account = session.get(Account, journey.account_id)
    if contact is None or not (contact.email or contact.phone):
        event_service.record(
            session=session,
            journey_id=journey.id,
            kind="journey.recycle_skipped",
            at=now,
            actor="system",
            data={"why": "no contact to reach"},
        )
        return None
    lead = normalise_lead(
        email=contact.email,
        phone=contact.phone,
        first_name=contact.first_name,
        last_name=contact.last_name,
        company=account.name if account else None,
        source="nurture",
        country=contact.country,
        title=contact.title,
        received_at=now,
    )
    context = intake_context.open_context(session=session, now=now)
    (outcome,) = intake_flows.intake_batch(
        session=session,
        context=context,
        now=now,
        submissions=[intake_flows.Submission(lead=lead, keep_response=False)],
    )
    intake_context.close_context(session=session, context=context)
    landed = outcome.accepted.journey_id if outcome.accepted else None
    event_service.record(
        session=session,
        journey_id=journey.id,
        kind="journey.recycled",
        at=now,
        actor="system",
        data={"journey_id": landed},
    )
    return landed
