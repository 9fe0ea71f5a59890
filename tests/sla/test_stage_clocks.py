"""Clocks that follow a journey through its stages: follow-up cadence, time in stage, pauses."""

from __future__ import annotations

from datetime import timedelta

from factories import four_role_team
from handoffs.support import FIXED_NOW, QUALIFIED, new_lead
from salesrelay.db import transaction
from salesrelay.handoffs import flows as handoff_flows
from salesrelay.journeys import flows as journey_flows
from salesrelay.journeys import service as journey_service
from salesrelay.playbook import service as playbook_service
from salesrelay.playbook import template_text
from salesrelay.sla import service as sla_service

TIME_IN_STAGE = """sla:
  deal_moving:
    kind: time_in_stage
    stages: [discovery, proposal]
    pause_in: [proposal]
    within: 1d
    escalation:
      - {at: 100%, action: remind_owner}
"""


def install(factory) -> None:
    text = template_text("four-role").replace("sla:\n", TIME_IN_STAGE, 1)
    with transaction(factory) as session:
        playbook_service.install(session=session, text=text, created_by="test")


def states(factory, journey_id) -> list[tuple[str, str]]:
    with transaction(factory) as session:
        return [
            (c.policy, c.status)
            for c in sla_service.for_journey(session=session, journey_id=journey_id)
        ]


def test_cadence_and_time_in_stage_clocks(factory):
    install(factory)
    four_role_team(factory)
    journey_id = new_lead(factory, FIXED_NOW)
    with transaction(factory) as session:
        journey = journey_service.require(session=session, journey_id=journey_id)
        moved = journey_flows.transition(
            session=session, journey=journey, to_stage="qualifying", now=FIXED_NOW, actor="test"
        )
        assert moved.clocks_started == ["qualifying_follow_up"]
    assert states(factory, journey_id) == [
        ("first_touch_inbound", "cancelled"),  # moved on without a recorded touch
        ("qualifying_follow_up", "running"),
    ]
    with transaction(factory) as session:
        journey = journey_service.require(session=session, journey_id=journey_id)
        journey_flows.record_touch(
            session=session, journey=journey, channel="call", at=FIXED_NOW + timedelta(hours=1)
        )
    assert states(factory, journey_id)[1:] == [
        ("qualifying_follow_up", "met"),
        ("qualifying_follow_up", "running"),  # the cadence starts over from the touch
    ]
    with transaction(factory) as session:
        journey = journey_service.require(session=session, journey_id=journey_id)
        handoff = handoff_flows.propose(
            session=session, journey=journey, now=FIXED_NOW, actor="test", fields=QUALIFIED
        )
        handoff_flows.accept(
            session=session, handoff=handoff, actor="test", now=FIXED_NOW + timedelta(hours=2)
        )
        clocks = sla_service.for_journey(session=session, journey_id=journey_id)
        running = [c for c in clocks if c.status == "running"]
        assert [(c.policy, c.stage, c.rep_id) for c in running] == [
            ("deal_moving", "discovery", handoff.to_rep_id)
        ]
        journey_flows.transition(
            session=session,
            journey=journey,
            to_stage="proposal",
            now=FIXED_NOW + timedelta(hours=3),
            actor="test",
        )
    final = states(factory, journey_id)
    assert ("deal_moving", "met") in final
    assert ("handoff_acceptance", "met") in final
    assert not [state for state in final if state[1] == "running"]  # paused in proposal
