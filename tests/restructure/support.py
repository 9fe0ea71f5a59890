"""A generalist team with a book of open journeys in every stage, built through the real
intake and stage flows, and the specialists it is restructured into."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from factories import add_rep, install_template
from handoffs.support import new_lead
from salesrelay.db import transaction
from salesrelay.handoffs.models import Handoff
from salesrelay.intake.models import Account
from salesrelay.journeys import flows as journey_flows
from salesrelay.journeys import post_sales
from salesrelay.journeys import service as journey_service
from salesrelay.outbox.models import OutboxMessage
from salesrelay.playbook import template_text
from salesrelay.team import service as team_service
from salesrelay.team.schemas import RepUpdate

FIXED_NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday, 10:00 in New York
START = FIXED_NOW.date()
PATHS = {
    "new": [],
    "qualifying": ["qualifying"],
    "proposal": ["qualifying", "proposal"],
    "negotiation": ["qualifying", "proposal", "negotiation"],
    "onboarding": ["qualifying", "proposal", "negotiation", "won", "onboarding"],
    "customer": ["qualifying", "proposal", "negotiation", "won", "onboarding", "customer"],
}
"""How a generalist takes a new lead to each stage of the generalist template."""

BOOK = [
    ("Acme Inc", "new"),
    ("Birch Labs", "qualifying"),
    ("Cobalt Systems", "qualifying"),
    ("Delta Foods", "proposal"),
    ("Ember Health", "proposal"),
    ("Fjord Logistics", "negotiation"),
    ("Garnet Bank", "onboarding"),
    ("Harbor Retail", "customer"),
    ("Indigo Cloud", "customer"),
]
FOUR_ROLE = template_text("four-role")


def generalists(factory) -> dict[str, int]:
    """The generalist playbook and three generalists (capacity 50)."""
    install_template(factory, "generalist")
    return {
        name: add_rep(
            factory,
            name=f"{name.title()} Generalist",
            email=f"{name}@seller.example",
            roles=["generalist"],
            capacity=50,
        )
        for name in ("gina", "gus", "gil")
    }


def book(factory, now: datetime = FIXED_NOW, entries=BOOK) -> dict[str, int]:
    """One journey per company, taken to its stage; customers also get an open request, so
    their account has two journeys. Returns company → journey id (requests as 'X request')."""
    journeys: dict[str, int] = {}
    for number, (company, stage) in enumerate(entries):
        slug = company.split()[0].lower()
        journey_id = new_lead(
            factory, now, email=f"pat{number}@{slug}.example", first_name="Pat", company=company
        )
        with transaction(factory) as session:
            journey = journey_service.require(session=session, journey_id=journey_id)
            for step in PATHS[stage]:
                journey_flows.transition(
                    session=session, journey=journey, to_stage=step, now=now, actor="test"
                )
            if stage == "customer":
                account = session.get(Account, journey.account_id)
                journeys[f"{company} request"] = post_sales.open_for_account(
                    session=session,
                    account=account,
                    kind="request",
                    now=now + timedelta(minutes=1),
                    actor="test",
                    subject="Invoice question",
                ).journey.id
        journeys[company] = journey_id
    return journeys


def specialize(factory, reps: dict[str, int], **roles: list[str]) -> None:
    """Give reps their new roles (name → roles)."""
    with transaction(factory) as session:
        for name, new_roles in roles.items():
            rep = team_service.require(session=session, rep_id=reps[name])
            team_service.update(session=session, rep=rep, data=RepUpdate(roles=new_roles))


def four_role_team(factory, reps: dict[str, int]) -> dict[str, int]:
    """Gina becomes a closer, Gus an account manager, Gil a qualifier; a closer, an
    onboarding specialist and a second qualifier are hired."""
    specialize(
        factory,
        reps,
        gina=["closing"],
        gus=["account_management"],
        gil=["inbound_qualification"],
    )
    hires = {
        "cal": add_rep(factory, name="Cal Closer", email="cal@seller.example", roles=["closing"]),
        "pat": add_rep(
            factory,
            name="Pat Services",
            email="pat@seller.example",
            roles=["professional_services"],
        ),
        "quinn": add_rep(
            factory,
            name="Quinn Qualifier",
            email="quinn@seller.example",
            roles=["inbound_qualification"],
        ),
    }
    return reps | hires


def count(factory, model, *where) -> int:
    with transaction(factory) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def handoffs(factory, *where) -> list[Handoff]:
    with transaction(factory) as session:
        return list(session.scalars(select(Handoff).where(*where).order_by(Handoff.id)))


def outbox(factory, topic: str) -> list[OutboxMessage]:
    with transaction(factory) as session:
        return list(
            session.scalars(
                select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id)
            )
        )
