"""Customers and reps hear about the restructure through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import pytest

from outbox.servers import SmtpServer
from restructure.support import FOUR_ROLE, book, four_role_team, generalists
from salesrelay import worker
from salesrelay.config import Settings
from salesrelay.db import transaction, utcnow
from salesrelay.intake.models import Contact
from salesrelay.journeys.models import Journey
from salesrelay.playbook import parse_playbook
from salesrelay.restructure import flows, moves
from salesrelay.team.models import Rep


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def test_every_customer_is_told_who_is_next(database_url, factory, smtp):
    now = utcnow()  # the worker's sweep runs on the real clock: keep every clock fresh
    reps = generalists(factory)
    entries = [("Acme Inc", "new"), ("Birch Labs", "qualifying"), ("Cobalt Systems", "customer")]
    book(factory, now, entries=entries)
    four_role_team(factory, reps)
    with transaction(factory) as session:
        applied = flows.apply_phase(
            session=session,
            playbook=parse_playbook(FOUR_ROLE),
            text=FOUR_ROLE,
            now=now,
            actor="test",
            weeks=1,
            install=True,
        )
    assert len(applied.proposed) == 4  # two leads, Cobalt's customer journey and its request
    expected = set()
    with transaction(factory) as session:
        for _, handoff_id in applied.proposed:
            handoff = moves.require(session=session, handoff_id=handoff_id)
            moves.accept(session=session, handoff=handoff, now=now, actor="test")
            journey = session.get(Journey, handoff.journey_id)
            contact = session.get(Contact, journey.contact_id)
            sender, receiver = (
                session.get(Rep, r) for r in (handoff.from_rep_id, handoff.to_rep_id)
            )
            expected.add((contact.email, sender.email, receiver.email, receiver.name))

    settings = Settings(database_url=database_url, environment="test", smtp_port=smtp.port)
    done = worker.run(settings, once=True)
    assert done["outbox"]["dead"] == 0
    intros = [(to, m) for to, m in smtp.messages if "contact from now on" in m["Subject"]]
    assert len(intros) == 4
    seen = set()
    for envelope, intro in intros:
        body = intro.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
        receiver = intro["Reply-To"]
        (sender,) = set(envelope) - {intro["To"], receiver}
        name = next(e[3] for e in expected if e[2] == receiver)
        assert intro["Subject"].endswith(f"{name} is your contact from now on")
        assert "Hi Pat," in body and f"is {name}\n({receiver}), taking over from" in body
        seen.add((intro["To"], sender, receiver, name))
    assert seen == expected
    notices = [m for _, m in smtp.messages if "moves to you" in m["Subject"]]
    assert {m["To"] for m in notices} == {e[2] for e in expected}
