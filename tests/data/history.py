"""A short history written through the real flows: leads through intake (with stored
idempotent answers), touches, stage moves, an accepted handoff with its customer intro, a
rejected one, and a second person at the same company joining the first one's journey.

Monday 2026-11-23, New York business hours (14:00-22:00 UTC); reports run at NOW.
  jo@acme.example   (Jo Doe, Acme)    15:00, touched 15:03, qualifying, handoff accepted
  ann@beta.example  (Ann Lee, Beta)   15:10, touched 15:50, qualifying, handoff rejected
  carl@gamma.example (Carl Ray, Gamma) 15:20, never touched
  pat@acme.example  (Pat Kim, Acme)   16:00, joins Jo's open journey (lead.repeated)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from handoffs.support import QUALIFIED, post_sales_team
from salesrelay.db import transaction
from salesrelay.handoffs import flows as handoff_flows
from salesrelay.handoffs import service as handoff_service
from salesrelay.intake import flows as intake_flows
from salesrelay.intake.matching import normalise_lead
from salesrelay.journeys import flows as journey_flows
from salesrelay.journeys import service as journey_service
from salesrelay.metrics import queries, store
from salesrelay.metrics.schemas import REPORTS
from salesrelay.models import Base

START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
PERIOD = ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")
PEOPLE = {
    "jo": ("jo@acme.example", "Jo", "Doe", "Acme Inc", 0),
    "ann": ("ann@beta.example", "Ann", "Lee", "Beta GmbH", 10),
    "carl": ("carl@gamma.example", "Carl", "Ray", "Gamma LLC", 20),
    "pat": ("pat@acme.example", "Pat", "Kim", "Acme Inc", 60),
}


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def lead(factory, name: str, **extra) -> dict:
    email, first, last, company, minute = PEOPLE[name]
    return intake(factory, at(minute), email, first, last, company, key=f"key-{name}", **extra)


def intake(factory, now, email, first, last, company, *, key=None, **extra) -> dict:
    submission = intake_flows.Submission(
        lead=normalise_lead(
            email=email,
            first_name=first,
            last_name=last,
            company=company,
            phone=extra.pop("phone", None),
            employees=extra.pop("employees", 120),
            source=extra.pop("source", "web"),
            received_at=now,
            **extra,
        ),
        key=key,
        request_hash=f"hash-of-{key}" if key else None,
    )
    with transaction(factory) as session:
        (outcome,) = intake_flows.intake(session=session, submissions=[submission], now=now)
        return outcome.answer


def build(factory) -> dict[str, int]:
    """The history above; returns journey ids by person (jo, ann, carl) and rep ids."""
    team = post_sales_team(factory)
    jo = lead(factory, "jo", phone="+1 212 555 0101")["journey_id"]
    ann = lead(factory, "ann", employees=40)["journey_id"]
    carl = lead(factory, "carl", employees=5000, source="referral")["journey_id"]
    joined = lead(factory, "pat")
    assert joined["journey_id"] == jo and joined["duplicate"]
    with transaction(factory) as session:
        for journey_id, minute in ((jo, 3), (ann, 50)):
            journey = journey_service.require(session=session, journey_id=journey_id)
            journey_flows.record_touch(
                session=session,
                journey=journey,
                at=at(minute),
                channel="call",
                note="Spoke to Jo" if journey_id == jo else None,
            )
    handoffs = {}
    for journey_id, minute in ((jo, 90), (ann, 100)):
        with transaction(factory) as session:
            journey = journey_service.require(session=session, journey_id=journey_id)
            journey_flows.transition(
                session=session, journey=journey, to_stage="qualifying", now=at(minute), actor="t"
            )
            handoffs[journey_id] = handoff_flows.propose(
                session=session,
                journey=journey,
                now=at(minute + 10),
                actor="t",
                fields=QUALIFIED
                if journey_id == jo
                else {**QUALIFIED, "authority": "Ann Lee, CFO"},
                note="Jo Doe (jo@acme.example) wants a call" if journey_id == jo else None,
            ).id
    with transaction(factory) as session:
        handoff_flows.accept(
            session=session,
            handoff=handoff_service.require(session=session, handoff_id=handoffs[jo]),
            now=at(150),
            actor="t",
        )
        handoff_flows.reject(
            session=session,
            handoff=handoff_service.require(session=session, handoff_id=handoffs[ann]),
            now=at(160),
            actor="t",
            reason="not_qualified",
            note="Ann Lee has no budget",
        )
    return {**team, "jo": jo, "ann": ann, "carl": carl}


def reports(factory) -> dict[str, dict]:
    """Every report over the period, as plain data."""
    with transaction(factory) as session:
        return {
            name: queries.report(
                session=session, name=name, now=NOW, start=PERIOD[0], end=PERIOD[1]
            ).model_dump(mode="json")
            for name in REPORTS
        }


def refresh(factory) -> None:
    with transaction(factory) as session:
        store.refresh(session=session)


def all_rows(factory) -> dict[str, list[str]]:
    """Every row of every table as text, to search for what must be gone."""
    with transaction(factory) as session:
        return {
            table.name: [repr(tuple(row)) for row in session.execute(select(table))]
            for table in Base.metadata.sorted_tables
        }
