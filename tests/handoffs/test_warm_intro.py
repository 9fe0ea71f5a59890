"""A protocol with warm_intro introduces the next owner when the handoff is proposed."""

from __future__ import annotations

from datetime import timedelta

from factories import four_role_team
from handoffs.support import FIXED_NOW, QUALIFIED, messages, new_lead
from salesrelay.db import transaction
from salesrelay.handoffs import flows as handoff_flows
from salesrelay.handoffs import service as handoff_service
from salesrelay.journeys import flows as journey_flows
from salesrelay.journeys import service as journey_service
from salesrelay.playbook import service as playbook_service
from salesrelay.playbook import template_text


def test_a_warm_intro_goes_out_at_proposal_and_only_once(factory):
    text = template_text("four-role").replace(
        "    accept_within: 4h\n    meeting_field: meeting_at\n",
        "    accept_within: 4h\n    warm_intro: true\n    meeting_field: meeting_at\n",
        1,
    )
    assert "warm_intro: true" in text
    with transaction(factory) as session:
        playbook_service.install(session=session, text=text, created_by="test")
    four_role_team(factory)
    journey_id = new_lead(factory, FIXED_NOW)
    with transaction(factory) as session:
        journey = journey_service.require(session=session, journey_id=journey_id)
        journey_flows.transition(
            session=session, journey=journey, to_stage="qualifying", now=FIXED_NOW, actor="test"
        )
        handoff_id = handoff_flows.propose(
            session=session, journey=journey, now=FIXED_NOW, actor="test", fields=QUALIFIED
        ).id
    (intro,) = messages(factory, "handoff.intro")
    assert intro.recipient == "jo@acme.example" and "Cal Closer" in intro.body
    with transaction(factory) as session:
        handoff = handoff_service.require(session=session, handoff_id=handoff_id)
        handoff_flows.accept(
            session=session, handoff=handoff, actor="test", now=FIXED_NOW + timedelta(minutes=30)
        )
    assert len(messages(factory, "handoff.intro")) == 1
