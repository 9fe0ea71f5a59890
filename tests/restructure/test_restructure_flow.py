"""Applying a restructure on a real database: tracked handoffs, answers, re-runs, weeks."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from restructure.support import (
    FIXED_NOW,
    FOUR_ROLE,
    START,
    book,
    count,
    four_role_team,
    generalists,
    handoffs,
    outbox,
)
from salesrelay.db import transaction
from salesrelay.errors import ConflictError, InvalidInputError
from salesrelay.events.models import Event
from salesrelay.handoffs import flows as handoff_flows
from salesrelay.handoffs.models import Handoff
from salesrelay.intake.models import Account
from salesrelay.journeys.models import Journey
from salesrelay.outbox.models import OutboxMessage
from salesrelay.playbook import parse_playbook
from salesrelay.playbook import service as playbook_service
from salesrelay.restructure import flows, moves
from salesrelay.sla.models import SlaClock
from salesrelay.sla.sweep import sweep_due
from salesrelay.team.models import Rep

PLAYBOOK = parse_playbook(FOUR_ROLE)


@pytest.fixture
def team(factory):
    reps = generalists(factory)
    journeys = book(factory)
    return four_role_team(factory, reps), journeys


def apply(factory, now=FIXED_NOW, **options) -> flows.Applied:
    options = {"weeks": 3, "install": True} | options
    with transaction(factory) as session:
        return flows.apply_phase(
            session=session, playbook=PLAYBOOK, text=FOUR_ROLE, now=now, actor="test", **options
        )


def answer(factory, handoff_id: int, now=FIXED_NOW + timedelta(hours=1), **reject) -> Handoff:
    with transaction(factory) as session:
        handoff = moves.require(session=session, handoff_id=handoff_id)
        if reject:
            return handoff_flows.reject(
                session=session, handoff=handoff, now=now, actor="test", **reject
            )
        return moves.accept(session=session, handoff=handoff, now=now, actor="test")


def owners(factory) -> dict[int, int]:
    with transaction(factory) as session:
        return {row[0]: row[1] for row in session.execute(select(Journey.id, Journey.owner_rep_id))}


def open_counts(factory) -> dict[int, int]:
    with transaction(factory) as session:
        return {row[0]: row[1] for row in session.execute(select(Rep.id, Rep.open_journeys))}


def test_a_dry_run_writes_nothing_and_apply_needs_the_new_playbook(factory, team):
    before = (count(factory, Handoff), count(factory, OutboxMessage), count(factory, Event))
    with transaction(factory) as session:
        plan = flows.plan(session=session, playbook=PLAYBOOK, now=FIXED_NOW, weeks=3)
    assert len(plan.moves) == 7 and len(plan.kept) == 4 and not plan.held
    assert (count(factory, Handoff), count(factory, OutboxMessage), count(factory, Event)) == before
    with pytest.raises(ConflictError, match=r"four-role is not the active playbook.*generalist"):
        apply(factory, install=False)
    assert count(factory, Handoff) == 0
    applied = apply(factory, install=True)
    assert applied.installed_version == 2 and applied.week == 0
    with transaction(factory) as session:
        assert playbook_service.active(session=session).playbook.name == "four-role"
    assert apply(factory, install=True).installed_version is None  # already active


def test_this_weeks_moves_become_tracked_handoffs_and_a_rerun_adds_none(factory, team):
    _, journeys = team
    with transaction(factory) as session:
        planned = flows.plan(session=session, playbook=PLAYBOOK, now=FIXED_NOW, weeks=3)
    applied = apply(factory)
    proposed = {move.journey_id: handoff_id for move, handoff_id in applied.proposed}
    assert set(proposed) == {move.journey_id for move in planned.phases[0].moves}
    assert journeys["Acme Inc"] in proposed and len(proposed) == 2
    assert not applied.skipped
    offers = handoffs(factory)
    assert [(h.protocol, h.status) for h in offers] == [("restructure", "proposed")] * 2
    for offer in offers:
        assert offer.from_stage == offer.to_stage
        assert offer.fields["restructure"] == f"four-role@{START.isoformat()}"
        assert offer.fields["week"] == 1 and offer.accept_by > FIXED_NOW
    with transaction(factory) as session:
        clocks = session.scalars(select(SlaClock).where(SlaClock.kind == "handoff_acceptance"))
        assert {(c.rep_id, c.status) for c in clocks} == {(h.to_rep_id, "running") for h in offers}
    notices = outbox(factory, "restructure.proposed")
    assert len(notices) == 4  # each receiver and each current owner
    assert any("salesrelay restructure accept" in m.body for m in notices)

    messages = count(factory, OutboxMessage)
    again = apply(factory, now=FIXED_NOW + timedelta(hours=3))
    assert again.proposed == [] and again.skipped == []
    assert count(factory, Handoff) == 2 and count(factory, OutboxMessage) == messages
    with transaction(factory) as session:
        plan = flows.plan(session=session, playbook=PLAYBOOK, now=FIXED_NOW)
    assert plan.weeks == 3 and plan.start == START  # found from the handoffs
    assert Counter(m.status for m in plan.moves) == {"pending": 2, "planned": 5}
    with pytest.raises(InvalidInputError, match="runs over 3 weeks"):
        apply(factory, weeks=4)


def test_accepting_changes_the_owner_not_the_stage_and_introduces_the_customer(factory, team):
    reps, journeys = team
    apply(factory)
    acme = journeys["Acme Inc"]
    (offer,) = handoffs(factory, Handoff.journey_id == acme)
    counts = open_counts(factory)
    with transaction(factory) as session, pytest.raises(ConflictError, match="someone else"):
        moves.accept(
            session=session,
            handoff=moves.require(session=session, handoff_id=offer.id),
            now=FIXED_NOW,
            actor="test",
            rep_id=reps["gus"],
        )
    answer(factory, offer.id)
    with transaction(factory) as session:
        journey = session.get(Journey, acme)
        assert (journey.stage, journey.owner_rep_id) == ("new", offer.to_rep_id)
        account = session.get(Account, journey.account_id)
        assert account.owner_rep_id == offer.to_rep_id
        running = session.scalars(
            select(SlaClock).where(SlaClock.journey_id == acme, SlaClock.status == "running")
        )
        assert all(clock.rep_id == offer.to_rep_id for clock in running)
        kinds = [e.kind for e in session.scalars(select(Event).where(Event.journey_id == acme))]
        assert kinds[-3:] == ["handoff.proposed", "journey.reassigned", "handoff.accepted"]
    after = open_counts(factory)
    assert after[offer.from_rep_id] == counts[offer.from_rep_id] - 1
    assert after[offer.to_rep_id] == counts[offer.to_rep_id] + 1
    (intro,) = outbox(factory, "handoff.intro")
    assert intro.recipient == "pat0@acme.example" and intro.reply_to == "quinn@seller.example"
    assert set(intro.cc) == {"gina@seller.example", "quinn@seller.example"}
    assert "Quinn Qualifier" in intro.subject and "taking over from Gina Generalist" in intro.body
    with pytest.raises(ConflictError, match="already accepted"):
        answer(factory, offer.id)
    assert apply(factory).proposed == []


def test_a_rejected_or_lapsed_offer_goes_to_someone_else_on_the_next_run(factory, team):
    reps, journeys = team
    apply(factory, weeks=1)  # everything is due at once
    birch = journeys["Birch Labs"]
    (offer,) = handoffs(factory, Handoff.journey_id == birch)
    with pytest.raises(InvalidInputError, match="reason must be one of"):
        answer(factory, offer.id, reason="busy")
    answer(factory, offer.id, reason="over_capacity", note="full until March")
    (notice,) = outbox(factory, "restructure.rejected")
    assert "over capacity" in notice.subject and notice.recipient == "gus@seller.example"
    rerun = apply(factory, weeks=1, now=FIXED_NOW + timedelta(hours=2))
    ((move, second_id),) = rerun.proposed
    assert move.journey_id == birch and move.to_rep_id not in (offer.to_rep_id, None)

    # Nobody answers the second offer: the SLA sweep lets it lapse after two working days.
    sweep_due(factory=factory, clock=lambda: FIXED_NOW + timedelta(days=14))
    (second,) = handoffs(factory, Handoff.id == second_id)
    assert second.status == "expired"
    third = apply(factory, weeks=1, now=FIXED_NOW + timedelta(days=14))
    assert birch not in {move.journey_id for move, _ in third.proposed}
    (held,) = [h for h in third.plan.held if h.journey_id == birch]
    assert held.kind == "no_receiver" and "refused it" in held.reason
    assert owners(factory)[birch] == reps["gus"]  # nothing lost: it stays with its owner


def test_week_by_week_every_journey_moves_once_to_the_right_role(factory, team):
    _, journeys = team
    with transaction(factory) as session:
        planned = flows.plan(session=session, playbook=PLAYBOOK, now=FIXED_NOW, weeks=3)
    weeks_seen = []
    for week in range(4):  # the last run is after the plan ends: nothing is left
        now = FIXED_NOW + timedelta(days=7 * week, hours=1)
        applied = apply(factory, now=now)
        weeks_seen.append(applied.week)
        for _, handoff_id in applied.proposed:
            answer(factory, handoff_id, now=now + timedelta(hours=1))
    assert weeks_seen == [0, 1, 2, 2]
    offers = handoffs(factory)
    assert len(offers) == 7 and {h.status for h in offers} == {"accepted"}
    assert len({h.journey_id for h in offers}) == 7
    sizes = {phase.week + 1: len(phase.moves) for phase in planned.phases}
    assert Counter(h.fields["week"] for h in offers) == sizes  # the plan first shown is kept
    assert {h.journey_id: h.to_rep_id for h in offers} == {
        m.journey_id: m.to_rep_id for m in planned.moves
    }
    with transaction(factory) as session:
        for journey in session.scalars(select(Journey).where(Journey.status == "open")):
            role = PLAYBOOK.stage(journey.stage).role
            assert role in session.get(Rep, journey.owner_rep_id).roles, journey.id
        plan = flows.plan(session=session, playbook=PLAYBOOK, now=FIXED_NOW + timedelta(days=30))
        loads = {rep.id: rep.open_journeys for rep in session.scalars(select(Rep))}
    assert Counter(m.status for m in plan.moves) == {"moved": 7}
    real = Counter(owners(factory)[j] for j in journeys.values())
    assert {rep_id: loads[rep_id] for rep_id in real} == dict(real)
    assert len(outbox(factory, "handoff.intro")) == 7


def test_a_move_that_no_longer_fits_is_skipped_with_its_reason(factory, team):
    reps, journeys = team
    with transaction(factory) as session:
        birch = session.get(Journey, journeys["Birch Labs"])
        birch.owner_rep_id = reps["gil"]  # taken over by hand since the plan was made
        plan = flows.plan(session=session, playbook=PLAYBOOK, now=FIXED_NOW, weeks=3)
    assert all(m.journey_id != birch.id for m in plan.moves)  # Gil is a qualifier now
    with transaction(factory) as session:
        journey = session.get(Journey, journeys["Acme Inc"])
        playbook_service.install(session=session, text=FOUR_ROLE, created_by="test")
        move = next(m for m in plan.moves if m.journey_id == journey.id)
        with pytest.raises(ConflictError, match="changed owner since the plan"):
            moves.propose(
                session=session, journey=journey, from_rep_id=reps["gus"],
                to_rep_id=move.to_rep_id, role=move.role, fields={}, reasons=(),
                now=FIXED_NOW, actor="test",
            )  # fmt: skip


def test_the_ordinary_handoff_answers_work_for_restructure_handoffs(factory, team):
    from salesrelay.handoffs import flows as handoff_flows

    apply(factory)
    first, second = handoffs(factory)[:2]
    with transaction(factory) as session:
        accepted = handoff_flows.accept(
            session=session,
            handoff=session.get(Handoff, first.id),
            now=FIXED_NOW + timedelta(hours=1),
            actor="test",
        )
        assert accepted.status == "accepted"
        rejected = handoff_flows.reject(
            session=session,
            handoff=session.get(Handoff, second.id),
            now=FIXED_NOW + timedelta(hours=1),
            actor="test",
            reason="over_capacity",
        )
        assert rejected.status == "rejected"
    assert owners(factory)[first.journey_id] == first.to_rep_id
