"""Intake: match → create or join a journey → route → start clocks → events, in one transaction.

One code path serves a single API request (a batch of one) and a bulk import (batches of
thousands), so a lead is treated the same whichever way it arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from salesrelay.events import service as event_service
from salesrelay.intake import service as intake_service
from salesrelay.intake.context import IntakeContext, close_context, open_context
from salesrelay.intake.matching import NormalisedLead
from salesrelay.intake.schemas import LeadAccepted
from salesrelay.intake.service import AccountInfo, AccountLookup, DbAccountLookup
from salesrelay.journeys import service as journey_service
from salesrelay.routing import service as routing_service
from salesrelay.sla import service as sla_service


def intake(
    *,
    session: Session,
    submissions: list[Submission],
    now: datetime,
    accounts: AccountLookup | None = None,
) -> list[Outcome]:
    """The whole of intake for a batch, in the caller's transaction."""
    context = open_context(session=session, now=now, accounts=accounts)
    outcomes = intake_batch(session=session, context=context, submissions=submissions, now=now)
    close_context(session=session, context=context)
    return outcomes


@dataclass(frozen=True, slots=True)
class Submission:
    lead: NormalisedLead
    key: str | None = None
    """Receipt key: the API's Idempotency-Key (per API key) or an import row's fingerprint."""
    request_hash: str | None = None
    keep_response: bool = True


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int
    """201 created, 200 joined an open journey or replayed, 422 key reused for another lead."""
    answer: dict[str, Any] | None = None
    """The fields of LeadAccepted, kept plain: bulk imports never need the model."""
    replayed: bool = False
    stored_response: str | None = None
    error: str | None = None

    @property
    def accepted(self) -> LeadAccepted | None:
        return LeadAccepted(**self.answer) if self.answer is not None else None


@dataclass(slots=True)
class _Pending:
    index: int
    submission: Submission
    contact_id: int | None = None
    account: AccountInfo | None = None
    account_ref: int | None = None  # index into new accounts when the account is new
    account_reason: str | None = None
    contact_ref: int | None = None  # index into new contacts
    journey_ref: int | None = None  # index into new journeys
    joined: Any = None  # the open journey the lead joins (a Journey row or a new-journey index)


def intake_batch(
    *, session: Session, context: IntakeContext, submissions: list[Submission], now: datetime
) -> list[Outcome]:
    outcomes: list[Outcome | None] = [None] * len(submissions)
    repeats: dict[int, int] = {}
    pending = _skip_receipted(session, submissions, outcomes, repeats)
    if pending:
        new_accounts = _match(session, context, pending, now)
        _create_journeys(session, context, pending, new_accounts, outcomes, now)
    for index, first in repeats.items():
        first_outcome = outcomes[first]
        outcomes[index] = Outcome(
            200, first_outcome.answer, replayed=True, error=first_outcome.error
        )
    return outcomes


# -- steps -----------------------------------------------------------------------------


def _skip_receipted(
    session: Session,
    submissions: list[Submission],
    outcomes: list[Outcome | None],
    repeats: dict[int, int],
) -> list[_Pending]:
    stored = intake_service.receipts(session=session, keys={s.key for s in submissions if s.key})
    first_index: dict[str, int] = {}
    pending: list[_Pending] = []
    for index, submission in enumerate(submissions):
        key = submission.key
        receipt = stored.get(key) if key else None
        if receipt is not None:
            if submission.request_hash and receipt.request_hash not in (
                None,
                submission.request_hash,
            ):
                outcomes[index] = Outcome(
                    422,
                    error="this Idempotency-Key was already used for a different lead; "
                    "send a new key for a new lead",
                )
            else:
                outcomes[index] = Outcome(200, replayed=True, stored_response=receipt.response)
        elif key and key in first_index:
            repeats[index] = first_index[key]
        else:
            if key:
                first_index[key] = index
            pending.append(_Pending(index, submission))
    return pending


def _match(
    session: Session, context: IntakeContext, pending: list[_Pending], now: datetime
) -> dict[int, dict[str, Any]]:
    """Find each lead's contact and account; give the accounts that do not exist yet an id.

    Returns the new accounts' rows by id; they are written once routing has named an owner."""
    leads = [p.submission.lead for p in pending]
    by_email, by_phone = intake_service.contacts_by_keys(
        session=session,
        email_keys={lead.email_key for lead in leads if lead.email_key},
        phone_keys={lead.phone_key for lead in leads if lead.phone_key and not lead.email_key},
    )
    lookup = context.accounts
    domains = lookup.by_domains({lead.domain for lead in leads if lead.domain})
    names = lookup.by_name_keys({lead.company_key for lead in leads if lead.company_key})
    new_accounts: list[dict[str, Any]] = []
    new_by_domain: dict[str, int] = {}
    new_by_name: dict[str, int] = {}
    new_contact_of: dict[str, _Pending] = {}
    for item in pending:
        lead = item.submission.lead
        known = by_email.get(lead.email_key) if lead.email_key else by_phone.get(lead.phone_key)
        if known is not None:
            item.contact_id = known[0]
            item.account = lookup.get(known[1]) or DbAccountLookup(session).get(known[1])
            item.account_reason = "the same person is already a contact"
            continue
        person = lead.email_key or lead.phone_key
        if person in new_contact_of:  # the same person twice in one batch
            first = new_contact_of[person]
            item.account, item.account_ref = first.account, first.account_ref
            item.contact_ref = -1 - first.index  # resolved to the first one's contact
            item.account_reason = "the same person arrived earlier in this batch"
            continue
        new_contact_of[person] = item
        if lead.domain and lead.domain in domains:
            item.account = domains[lead.domain]
            item.account_reason = (
                f"e-mail domain {lead.domain} belongs to account '{item.account.name}'"
            )
        elif lead.domain and lead.domain in new_by_domain:
            item.account_ref = new_by_domain[lead.domain]
        elif lead.company_key and lead.company_key in names:
            item.account = names[lead.company_key]
            item.account_reason = f"company name matches account '{item.account.name}'"
        elif lead.company_key and lead.company_key in new_by_name:
            item.account_ref = new_by_name[lead.company_key]
        elif lead.company_key and (found := lookup.fuzzy(lead.company_key)) is not None:
            item.account = lookup.get(found.account_id) or DbAccountLookup(session).get(
                found.account_id
            )
            item.account_reason = found.reason
        else:
            name = lead.company or lead.display_name
            item.account_ref = len(new_accounts)
            new_accounts.append(
                {
                    "name": name[:300],
                    "name_key": lead.company_key
                    or (lead.email_key or lead.phone_key or name).lower(),
                    "domain": lead.domain,
                    "owner_rep_id": None,
                    "is_customer": False,
                    "created_at": lead.received_at or now,
                }
            )
            if lead.domain:
                new_by_domain[lead.domain] = item.account_ref
            if lead.company_key:
                new_by_name[lead.company_key] = item.account_ref
    return _reserve_accounts(session, lookup, pending, new_accounts)


def _reserve_accounts(
    session: Session, lookup: AccountLookup, pending: list[_Pending], rows: list[dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    ids = intake_service.reserve_account_ids(session=session, rows=rows)
    created = [
        AccountInfo(account_id, row["name"], row["name_key"], row["domain"], None, False)
        for account_id, row in zip(ids, rows, strict=True)
    ]
    for account in created:
        lookup.remember(account)
    for item in pending:
        if item.account is None and item.account_ref is not None:
            item.account = created[item.account_ref]
    return dict(zip(ids, rows, strict=True))


def _create_journeys(
    session: Session,
    context: IntakeContext,
    pending: list[_Pending],
    new_accounts: dict[int, dict[str, Any]],
    outcomes: list[Outcome | None],
    now: datetime,
) -> None:
    playbook = context.playbook
    open_journeys = journey_service.open_for_accounts(
        session=session,
        account_ids=sorted({item.account.id for item in pending} - new_accounts.keys()),
    )
    joinable = (
        {
            account_id: journey
            for account_id, journey in open_journeys.items()
            if not playbook.stage(journey.stage).post_sale
        }
        if open_journeys
        else {}
    )
    contacts: list[dict[str, Any]] = []
    journeys: list[dict[str, Any]] = []
    decisions: list[Any] = []
    new_journey_of_account: dict[int, int] = {}
    owners_of_known_accounts: dict[int, int] = {}
    for item in pending:
        lead = item.submission.lead
        received_at = lead.received_at or now
        if item.contact_id is None and item.contact_ref is None:
            item.contact_ref = len(contacts)
            contacts.append(_contact_row(lead, item.account.id, received_at))
        account_id = item.account.id
        if account_id in joinable:
            item.joined = joinable[account_id]
            continue
        if account_id in new_journey_of_account:
            item.joined = new_journey_of_account[account_id]
            continue
        stage = playbook.entry_stage(lead.source)
        account_facts = {
            "id": account_id,
            "is_customer": item.account.is_customer,
            "owner_rep_id": item.account.owner_rep_id,
        }
        decision = context.engine.decide(
            lead.routing_facts(account_facts), now=now, state=context.state
        )
        due_at = min(
            (
                context.clock_plan(policy_id, received_at).due_at
                for policy_id in context.first_touch_policies(stage.id)
            ),
            default=None,
        )
        item.journey_ref = len(journeys)
        new_journey_of_account[account_id] = item.journey_ref
        decisions.append(decision)
        journeys.append(
            {
                "account_id": account_id,
                "contact_id": None,
                "kind": "expansion" if item.account.is_customer else "new_business",
                "stage": stage.id,
                "status": "open",
                "owner_rep_id": decision.rep_id,
                "source": lead.source,
                "playbook_version": context.playbook_version,
                "fields": {},
                "created_at": received_at,
                "updated_at": now,
                "first_touch_due_at": due_at,
            }
        )
        if item.account.owner_rep_id is None and decision.rep_id is not None:
            # The first rep a new account's lead goes to owns the account until it changes hands.
            if account_id in new_accounts:
                new_accounts[account_id]["owner_rep_id"] = decision.rep_id
            else:
                owners_of_known_accounts.setdefault(account_id, decision.rep_id)

    intake_service.insert_accounts(session=session, rows=list(new_accounts.values()))
    intake_service.set_account_owners(session=session, owners=owners_of_known_accounts)
    contact_ids = intake_service.create_contacts(session=session, rows=contacts)
    by_index = {item.index: item for item in pending}
    for item in pending:
        if item.contact_id is None:
            ref = item.contact_ref
            item.contact_id = contact_ids[ref] if ref >= 0 else by_index[-1 - ref].contact_id
        if item.journey_ref is not None:
            journeys[item.journey_ref]["contact_id"] = item.contact_id
    journey_ids = journey_service.create_many(session=session, rows=journeys)
    _write_records(session, context, pending, journeys, journey_ids, decisions, outcomes, now)


def _contact_row(lead: NormalisedLead, account_id: int, received_at: datetime) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "email": lead.email,
        "email_key": lead.email_key,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "phone": lead.phone,
        "phone_key": lead.phone_key,
        "country": lead.country,
        "title": lead.title,
        "attributes": lead.attributes,
        "created_at": received_at,
    }


def _write_records(
    session: Session,
    context: IntakeContext,
    pending: list[_Pending],
    journeys: list[dict[str, Any]],
    journey_ids: list[int],
    decisions: list[Any],
    outcomes: list[Outcome | None],
    now: datetime,
) -> None:
    events: list[dict[str, Any]] = []
    routing_rows: list[dict[str, Any]] = []
    clocks: list[dict[str, Any]] = []
    receipts: list[dict[str, Any]] = []
    for item in pending:
        lead = item.submission.lead
        received_at = lead.received_at or now
        lead_data = _lead_data(lead)
        if item.journey_ref is not None:
            journey = journeys[item.journey_ref]
            journey_id = journey_ids[item.journey_ref]
            decision = decisions[item.journey_ref]
            reasons = (
                [f"matched account: {item.account_reason}"] if item.account_reason else []
            ) + list(decision.reasons)
            events.append(_event(journey_id, "lead.received", received_at, lead_data))
            events.append(
                _event(
                    journey_id,
                    "journey.routed" if decision.rep_id else "journey.queued",
                    now,
                    {
                        "rule": decision.rule,
                        "method": decision.method,
                        "reasons": reasons,
                        "fallback": decision.fallback,
                    },
                    rep_id=decision.rep_id,
                )
            )
            routing_rows.append(routing_service.decision_row(journey_id, decision, now))
            routing_rows[-1]["reasons"] = reasons
            for policy_id in context.first_touch_policies(journey["stage"]):
                clocks.append(
                    sla_service.clock_row(
                        journey_id=journey_id,
                        policy_id=policy_id,
                        kind="first_touch",
                        stage=journey["stage"],
                        rep_id=decision.rep_id,
                        plan=context.clock_plan(policy_id, received_at),
                    )
                )
            answer = {
                "journey_id": journey_id,
                "account_id": journey["account_id"],
                "contact_id": item.contact_id,
                "stage": journey["stage"],
                "owner": _owner(context, decision.rep_id),
                "reasons": reasons,
                "first_touch_due_at": journey["first_touch_due_at"],
            }
            status = 201
        else:
            joined = item.joined
            if isinstance(joined, int):
                journey = journeys[joined]
                journey_id, stage, owner_id = (
                    journey_ids[joined],
                    journey["stage"],
                    journey["owner_rep_id"],
                )
                due_at = journey["first_touch_due_at"]
            else:
                journey_id, stage, owner_id = joined.id, joined.stage, joined.owner_rep_id
                due_at = joined.first_touch_due_at
            reason = f"joined open journey {journey_id}: {item.account_reason or 'same account'}"
            events.append(
                _event(journey_id, "lead.repeated", received_at, {**lead_data, "reason": reason})
            )
            answer = {
                "journey_id": journey_id,
                "account_id": item.account.id,
                "contact_id": item.contact_id,
                "stage": stage,
                "owner": _owner(context, owner_id),
                "reasons": [reason],
                "first_touch_due_at": due_at,
                "duplicate": True,
            }
            status = 200
        submission = item.submission
        if submission.key:
            receipts.append(
                {
                    "key": submission.key,
                    "journey_id": answer["journey_id"],
                    "request_hash": submission.request_hash,
                    "status_code": status,
                    "response": LeadAccepted(**answer).model_dump_json()
                    if submission.keep_response
                    else None,
                    "created_at": now,
                }
            )
        outcomes[item.index] = Outcome(status, answer)
    event_service.record_many(session=session, rows=events)
    routing_service.record_many(session=session, rows=routing_rows)
    sla_service.start_many(session=session, rows=clocks)
    intake_service.store_receipts(session=session, rows=receipts)


def _lead_data(lead: NormalisedLead) -> dict[str, Any]:
    data = {
        "email": lead.email,
        "phone": lead.phone,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "company": lead.company,
        "source": lead.source,
        "country": lead.country,
        "employees": lead.employees,
        "industry": lead.industry,
        "website": lead.website,
        "title": lead.title,
    }
    data = {key: value for key, value in data.items() if value is not None}
    if lead.attributes:
        data["attributes"] = lead.attributes
    return data


def _event(
    journey_id: int, kind: str, at: datetime, data: dict[str, Any], rep_id: int | None = None
) -> dict[str, Any]:
    return {
        "journey_id": journey_id,
        "kind": kind,
        "at": at,
        "data": data,
        "rep_id": rep_id,
        "actor": "system",
    }


def _owner(context: IntakeContext, rep_id: int | None) -> dict[str, Any] | None:
    rep = context.reps.get(rep_id) if rep_id is not None else None
    return {"id": rep.id, "name": rep.name, "email": rep.email} if rep else None
