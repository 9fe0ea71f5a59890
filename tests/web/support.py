"""A small world for the web tests: the four-role team, users for each role, journeys of
two reps, handoffs, and clients signed in as each role."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fastapi.testclient import TestClient

from factories import add_rep
from handoffs.support import QUALIFIED, post_sales_team
from salesrelay.db import transaction, utcnow
from salesrelay.handoffs import flows as handoff_flows
from salesrelay.intake import context as intake_context
from salesrelay.intake import flows as intake_flows
from salesrelay.intake.matching import normalise_lead
from salesrelay.intake.models import Account
from salesrelay.journeys import flows as journey_flows
from salesrelay.journeys import service as journey_service
from salesrelay.outbox.models import OutboxMessage
from salesrelay.users import service as user_service
from salesrelay.users.schemas import UserCreate

PASSWORD = "correct horse battery"
ROLES = ("anon", "rep", "manager", "admin")


@dataclass
class World:
    reps: dict[str, int]
    own_journey: int
    """Owned by Ana, the signed-in rep (on Mia's team)."""
    other_journey: int
    """Owned by Sam, on nobody's team."""
    other_account: int
    own_handoff: int
    """Ana → Cal, waiting."""
    other_handoff: int
    """Sam → Cal, waiting."""
    message_id: int
    spare_rep: int
    user_ids: dict[str, int] = field(default_factory=dict)


def lead(factory, email: str, company: str, source: str = "web") -> int:
    now = utcnow()
    with transaction(factory) as session:
        context = intake_context.open_context(session=session, now=now)
        submission = intake_flows.Submission(
            lead=normalise_lead(
                email=email, first_name="Jo", company=company, source=source, received_at=now
            )
        )
        (outcome,) = intake_flows.intake_batch(
            session=session, context=context, now=now, submissions=[submission]
        )
        intake_context.close_context(session=session, context=context)
        return outcome.accepted.journey_id


def assign(factory, journey_id: int, rep_id: int) -> None:
    with transaction(factory) as session:
        journey = journey_service.require(session=session, journey_id=journey_id)
        if journey.owner_rep_id != rep_id:
            journey.owner_rep_id = rep_id


def hand_off(factory, journey_id: int, *, via: str, to_rep: int) -> int:
    now = utcnow()
    with transaction(factory) as session:
        journey = journey_service.require(session=session, journey_id=journey_id)
        journey_flows.transition(
            session=session, journey=journey, to_stage=via, now=now, actor="test"
        )
        handoff = handoff_flows.propose(
            session=session,
            journey=journey,
            now=now,
            actor="test",
            fields=QUALIFIED,
            to_rep_id=to_rep,
        )
        return handoff.id


def add_user(factory, email: str, role: str, rep_email: str | None = None) -> int:
    with transaction(factory) as session:
        data = UserCreate(
            email=email,
            name=email.split("@")[0].title(),
            role=role,
            password=PASSWORD,
            rep_email=rep_email,
        )
        return user_service.create(session=session, data=data).id


def build_world(factory) -> World:
    reps = post_sales_team(factory)
    spare = add_rep(factory, name="Zed Spare", email="zed@seller.example")
    own = lead(factory, "jo@ownco.example", "Own Co")
    other = lead(factory, "kim@otherco.example", "Other Co", source="outbound")
    assign(factory, own, reps["ana"])
    assign(factory, other, reps["sam"])
    own_handoff = hand_off(factory, own, via="qualifying", to_rep=reps["cal"])
    other_handoff = hand_off(factory, other, via="engaged", to_rep=reps["cal"])
    with transaction(factory) as session:
        message_id = session.query(OutboxMessage.id).order_by(OutboxMessage.id).first()[0]
        other_account = journey_service.require(session=session, journey_id=other).account_id
        account = session.get(Account, other_account)
        account.owner_rep_id = reps["sam"]
    world = World(reps, own, other, other_account, own_handoff, other_handoff, message_id, spare)
    world.user_ids = {
        "rep": add_user(factory, "ana@seller.example", "rep", "ana@seller.example"),
        "manager": add_user(factory, "mia@seller.example", "manager", "mia@seller.example"),
        "admin": add_user(factory, "root@seller.example", "admin"),
    }
    return world


CSRF = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


def signed_in(app, email: str | None, password: str = PASSWORD) -> TestClient:
    """A browser-like client: signed in as `email` (or anonymous with a session cookie), the
    page's CSRF token kept in `client.csrf` for forms and API writes."""
    client = TestClient(app, follow_redirects=False)
    page = client.get("/sign-in")
    token = CSRF.search(page.text).group(1)
    if email:
        done = client.post(
            "/sign-in",
            data={"email": email, "password": password, "csrf_token": token, "next": "/"},
        )
        assert done.status_code == 303, done.text
        token = CSRF.search(client.get("/team").text).group(1)
    client.csrf = token
    return client
