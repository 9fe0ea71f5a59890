"""The sweep applies each escalation step once, at its time, and nothing half-done."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from factories import add_rep
from handoffs.support import FIXED_NOW, QUALIFIED, journey, messages, new_lead
from salesrelay.db import transaction
from salesrelay.events.models import Event
from salesrelay.handoffs import flows as handoff_flows
from salesrelay.handoffs import service as handoff_service
from salesrelay.journeys import flows as journey_flows
from salesrelay.journeys import service as journey_service
from salesrelay.sla import service as sla_service
from salesrelay.sla.models import SlaClock
from salesrelay.sla.sweep import sweep_batch, sweep_due


def sweep(factory, at):
    with transaction(factory) as session:
        return sweep_batch(session=session, now=at, limit=100)


def events(factory, journey_id, prefix="sla."):
    with transaction(factory) as session:
        rows = session.scalars(
            select(Event)
            .where(Event.journey_id == journey_id, Event.kind.startswith(prefix))
            .order_by(Event.id)
        )
        return [(e.kind, e.data.get("action"), e.data) for e in rows]


def clocks(factory, journey_id):
    with transaction(factory) as session:
        return sla_service.for_journey(session=session, journey_id=journey_id)


def test_the_first_touch_ladder_reminds_reassigns_and_alerts_once(factory, team):
    journey_id = new_lead(factory, FIXED_NOW)  # Wednesday 10:00 in New York: 5 business minutes
    first_owner = journey(factory, journey_id).owner_rep_id
    assert sweep(factory, FIXED_NOW + timedelta(minutes=3)).steps == 0

    result = sweep(factory, FIXED_NOW + timedelta(minutes=4, seconds=1))  # 80%
    assert (result.clocks, result.steps) == (1, 1)
    assert [e[:2] for e in events(factory, journey_id)] == [("sla.escalated", "remind_owner")]
    (reminder,) = messages(factory, "sla.remind_owner")
    assert reminder.subject == "Due soon: First touch on inbound leads for Acme Inc"

    result = sweep(factory, FIXED_NOW + timedelta(minutes=5, seconds=1))  # breach and reassign
    assert (result.steps, result.breaches) == (2, 1)
    reassigned = journey(factory, journey_id)
    assert reassigned.owner_rep_id not in (None, first_owner)
    (clock,) = clocks(factory, journey_id)
    assert clock.breached_at == clock.due_at and clock.rep_id == reassigned.owner_rep_id
    assert sweep(factory, FIXED_NOW + timedelta(minutes=10)).clocks == 0  # nothing twice

    sweep(factory, FIXED_NOW + timedelta(minutes=35, seconds=1))
    kinds = [e[:2] for e in events(factory, journey_id)]
    assert kinds == [
        ("sla.escalated", "remind_owner"),
        ("sla.breached", "breach"),
        ("sla.escalated", "reassign"),
        ("sla.escalated", "notify_manager"),
    ]
    (alert,) = messages(factory, "sla.notify_manager")
    assert alert.recipient == "mia@seller.example"
    (clock,) = clocks(factory, journey_id)
    assert (clock.steps_done, clock.next_step_at, clock.status) == (4, None, "running")
    lag = [e[2]["lag_seconds"] for e in events(factory, journey_id)]
    assert all(0 <= seconds < 2 for seconds in lag)


def test_a_touch_in_time_stops_the_clock(factory, team):
    journey_id = new_lead(factory, FIXED_NOW)
    with transaction(factory) as session:
        journey_flows.record_touch(
            session=session,
            journey=journey_service.require(session=session, journey_id=journey_id),
            at=FIXED_NOW + timedelta(minutes=2),
            channel="call",
        )
    assert sweep(factory, FIXED_NOW + timedelta(hours=3)).clocks == 0
    (clock,) = clocks(factory, journey_id)
    assert clock.status == "met"


def test_an_unanswered_handoff_expires_and_is_offered_to_the_next_receiver(factory, team):
    add_rep(factory, name="Cleo Closer", email="cleo@seller.example", roles=["closing"])
    journey_id = new_lead(factory, FIXED_NOW)
    with transaction(factory) as session:
        current = journey_service.require(session=session, journey_id=journey_id)
        journey_flows.transition(
            session=session, journey=current, to_stage="qualifying", now=FIXED_NOW, actor="test"
        )
        handoff = handoff_flows.propose(
            session=session, journey=current, now=FIXED_NOW, actor="test", fields=QUALIFIED
        )
        first_receiver, accept_by = handoff.to_rep_id, handoff.accept_by
    assert accept_by == FIXED_NOW + timedelta(hours=4)  # 4 business hours, all on Wednesday

    assert sweep(factory, accept_by - timedelta(seconds=1)).steps == 0
    sweep(factory, accept_by + timedelta(seconds=1))
    with transaction(factory) as session:
        first, second = handoff_service.for_journey(session=session, journey_id=journey_id)
        assert first.status == "expired" and second.status == "proposed"
        assert second.to_rep_id not in (first_receiver, first.from_rep_id)
        assert second.replaces_id == first.id and second.fields == first.fields
    kinds = [e[0] for e in events(factory, journey_id, "handoff.")]
    assert kinds == ["handoff.proposed", "handoff.expired", "handoff.proposed"]
    assert {m.recipient for m in messages(factory, "handoff.expired")} >= {"cal@seller.example"}

    sweep(factory, accept_by + timedelta(hours=1, seconds=1))  # 100% + 1h: the manager
    (clock,) = [c for c in clocks(factory, journey_id) if c.id == first.clock_id]
    assert clock.status == "missed" and clock.next_step_at is None
    with transaction(factory) as session:
        accepted = handoff_flows.accept(
            session=session,
            handoff=handoff_service.require(session=session, handoff_id=second.id),
            now=accept_by + timedelta(hours=1, minutes=5),
            actor="test",
        )
        assert accepted.status == "accepted"
    assert journey(factory, journey_id).owner_rep_id == second.to_rep_id


def test_a_nurtured_lead_comes_back_to_routing(factory, team):
    journey_id = new_lead(factory, FIXED_NOW)
    back_at = FIXED_NOW + timedelta(days=30)
    with transaction(factory) as session:
        current = journey_service.require(session=session, journey_id=journey_id)
        journey_flows.transition(
            session=session, journey=current, to_stage="qualifying", now=FIXED_NOW, actor="test"
        )
        journey_flows.transition(
            session=session,
            journey=current,
            to_stage="nurture",
            now=FIXED_NOW,
            actor="test",
            reason="next budget year",
            recycle_at=back_at,
        )
    assert journey(factory, journey_id).status == "closed"
    sweep(factory, back_at + timedelta(seconds=1))
    ((_, _, data),) = events(factory, journey_id, "journey.recycled")
    recycled = journey(factory, data["journey_id"])
    assert recycled.id != journey_id and recycled.status == "open" and recycled.stage == "new"
    assert recycled.source == "nurture" and recycled.owner_rep_id is not None


def test_a_batch_that_fails_commits_nothing_and_is_redone(factory, team):
    journey_id = new_lead(factory, FIXED_NOW)
    at = FIXED_NOW + timedelta(minutes=36)
    with pytest.raises(RuntimeError), transaction(factory) as session:
        assert sweep_batch(session=session, now=at, limit=10).steps == 4
        raise RuntimeError("the worker dies before committing")
    assert events(factory, journey_id) == [] and messages(factory, "sla.remind_owner") == []
    assert sweep_due(factory=factory, clock=lambda: at).steps == 4
    assert len(events(factory, journey_id)) == 4
    with transaction(factory) as session:
        assert (
            session.scalar(
                select(func.count()).select_from(SlaClock).where(SlaClock.next_step_at.is_not(None))
            )
            == 0
        )
