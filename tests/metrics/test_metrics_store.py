"""The summaries: built, refreshed, and exact whether or not they are current — late events,
ids that become visible late, a changed fact schema, and facts from the real flows."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import insert, select, update

from handoffs.support import FIXED_NOW, QUALIFIED, new_lead, post_sales_team
from metrics.history import NOW, PERIOD, build, t
from salesrelay.db import transaction
from salesrelay.events.models import Event
from salesrelay.handoffs import flows as handoff_flows
from salesrelay.journeys import flows as journey_flows
from salesrelay.journeys import service as journey_service
from salesrelay.journeys.models import Journey
from salesrelay.metrics import extract, facts, queries, store
from salesrelay.metrics.models import MetricState


def every_report(factory) -> dict:
    found = {}
    with transaction(factory) as session:
        for name in queries.SPECS:
            for basis in ("cohort", "activity") if name == "funnel" else (None,):
                report = queries.report(
                    session=session,
                    name=name,
                    now=NOW,
                    start=PERIOD[0],
                    end=PERIOD[1],
                    basis=basis,
                    group_by=None,
                )
                found[(name, basis)] = [s.model_dump() for s in report.sections]
    return found


def refresh(factory):
    with transaction(factory) as session:
        return store.refresh(session=session)


def status(factory):
    with transaction(factory) as session:
        return store.status(session=session)


def test_stored_blocks_and_replay_in_memory_agree(factory, monkeypatch):
    build(factory)
    before = every_report(factory)  # never refreshed: every journey replayed in memory
    monkeypatch.setattr(store, "BUILD_CHUNK", 2)  # J7 (October) lands in a later chunk
    result = refresh(factory)
    assert result.rebuilt and result.journeys == 9
    assert status(factory)["events_behind"] == 0
    assert every_report(factory) == before
    assert refresh(factory).journeys == 0  # nothing new: nothing replayed


def test_a_late_event_counts_before_and_after_the_refresh(factory):
    ids = build(factory)
    refresh(factory)
    # J3 (arrived Tue 15:00, never touched) turns out to have been called at 15:30: the
    # touch is logged now, a week late.
    with transaction(factory) as session:
        session.execute(
            update(Journey)
            .where(Journey.id == ids["J3"])
            .values(first_touched_at=t("2026-11-03 15:30"))
        )
        session.execute(
            insert(Event).values(
                journey_id=ids["J3"],
                kind="journey.touched",
                at=t("2026-11-03 15:30"),
                rep_id=ids["ana"],
                actor="test",
                data={"channel": "call", "first": True},
            )
        )
    assert status(factory)["events_behind"] == 1
    replayed = every_report(factory)
    (total,) = replayed[("speed-to-lead", None)][0]["rows"]
    assert (total["touched"], total["never_touched"]) == (7, 1)
    # Sorted wall minutes now 1, 3, 4, 20, 30 (J3), 60, 1000: the median is the fourth.
    assert total["wall_p50_min"] == pytest.approx(20.0)
    assert refresh(factory).journeys == 1
    assert every_report(factory) == replayed
    with transaction(factory) as session:
        day = int(t("2026-11-03 15:00").timestamp() // store.DAY)
        block = store.read_blocks(session, facts.JOURNEYS, ["journey", "touched"], (day, day))
    touched = dict(zip(block["journey"].tolist(), block["touched"].tolist(), strict=True))
    assert touched[ids["J3"]] == t("2026-11-03 15:30").timestamp()


def test_an_id_that_becomes_visible_late_is_not_missed(factory):
    """PostgreSQL hands out ids before commit: an event with a lower id can appear after one
    with a higher id was folded in. Its id is kept as a gap and looked for again."""
    ids = build(factory)
    refresh(factory)
    with transaction(factory) as session:
        newest = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
        session.execute(
            insert(Event).values(
                id=newest + 2,
                journey_id=ids["J2"],
                kind="journey.touched",
                at=t("2026-11-04 14:00"),
                rep_id=ids["bo"],
                actor="test",
                data={},
            )
        )
    refresh(factory)
    with transaction(factory) as session:
        state = session.get(MetricState, store.STATE_ID)
        assert state.event_watermark == newest + 2
        assert [int(g[0]) for g in state.gaps] == [newest + 1]
    with transaction(factory) as session:
        assert store.behind(session=session)  # an unresolved gap is rechecked every time
        session.execute(
            update(Journey)
            .where(Journey.id == ids["J5"])
            .values(first_touched_at=t("2026-11-04 15:10"))
        )
        session.execute(
            insert(Event).values(
                id=newest + 1,
                journey_id=ids["J5"],
                kind="journey.touched",
                at=t("2026-11-04 15:10"),
                rep_id=ids["ana"],
                actor="test",
                data={},
            )
        )
    replayed = every_report(factory)
    assert replayed[("speed-to-lead", None)][0]["rows"][0]["touched"] == 7
    assert refresh(factory).journeys == 1
    assert every_report(factory) == replayed
    assert status(factory)["gaps"] == 0


def test_a_new_fact_schema_rebuilds(factory):
    build(factory)
    refresh(factory)
    with transaction(factory) as session:
        session.execute(update(MetricState).values(schema_version=0))
        assert store.behind(session=session)
    assert refresh(factory).rebuilt
    assert status(factory)["built"]


def test_facts_of_journeys_run_through_the_real_flows(factory):
    team = post_sales_team(factory)
    journey_id = new_lead(factory, FIXED_NOW, employees=250)
    steps = [FIXED_NOW + timedelta(minutes=m) for m in (2, 30, 60, 90)]
    with transaction(factory) as session:
        journey = journey_service.require(session=session, journey_id=journey_id)
        owner = journey.owner_rep_id
        journey_flows.record_touch(session=session, journey=journey, at=steps[0], channel="call")
        journey_flows.transition(
            session=session, journey=journey, to_stage="qualifying", now=steps[1], actor="test"
        )
        handoff = handoff_flows.propose(
            session=session,
            journey=journey,
            now=steps[2],
            actor="test",
            fields=QUALIFIED,
            to_rep_id=team["cal"],
        )
        handoff_flows.accept(session=session, handoff=handoff, now=steps[3], actor="test")
    with transaction(factory) as session:
        found = extract.facts(session, [journey_id])
    journeys, visits, work = found["journeys"], found["visits"], found["work"]
    assert journeys["touch_rep"].tolist() == [owner]
    assert journeys["routed_rep"].tolist() == [owner]
    assert journeys["employees"].tolist() == [250.0]
    assert journeys["touched"][0] - journeys["arrived"][0] == pytest.approx(120.0)
    stays = [
        (visits.text("stage", s), visits.text("next", n))
        for s, n in zip(visits["stage"], visits["next"], strict=True)
    ]
    assert stays == [("new", "qualifying"), ("qualifying", "discovery"), ("discovery", None)]
    assert visits["via_handoff"].tolist() == [0, 0, 1]
    assert np.isnan(visits["left"][-1])
    done = [
        (work.text("action", a), work.text("stage", s), int(r))
        for a, s, r in zip(work["action"], work["stage"], work["rep"], strict=True)
    ]
    assert done == [
        ("touch", "new", owner),
        ("transition", "new", owner),
        ("handoff_proposed", "qualifying", owner),
        ("handoff_accepted", "discovery", team["cal"]),
    ]
    handoffs = found["handoffs"]
    assert handoffs.text("status", handoffs["status"][0]) == "accepted"
    assert handoffs["decided"][0] - handoffs["proposed"][0] == pytest.approx(1800.0)


def test_timestamps_keep_their_microseconds(factory):
    ids = build(factory)
    moment = t("2026-11-05 21:26:02.999787")  # strftime alone would round this up a second
    with transaction(factory) as session:
        session.execute(
            update(Journey).where(Journey.id == ids["J5"]).values(first_touched_at=moment)
        )
        found = extract.facts(session, [ids["J5"]])["journeys"]
    assert found["touched"][0] == moment.timestamp()


def test_the_funnel_does_not_depend_on_how_stays_are_stored(factory):
    """Stays are stored journey by journey; shuffled, the answer must be the same."""
    from salesrelay.metrics import funnel
    from salesrelay.metrics.schemas import build_query

    build(factory)
    with transaction(factory) as session:
        context = queries.context(session=session, now=NOW)
        query = build_query(start=PERIOD[0], end=PERIOD[1], timezone="UTC", now=NOW)
        loaded = store.load(session=session, wanted=funnel.wanted(query))
    journeys, visits = loaded["journeys"], loaded["visits"]
    shuffled = visits.take(np.random.default_rng(1).permutation(len(visits)))
    stored, _ = funnel.build(context, journeys, visits, query)
    mixed, _ = funnel.build(context, journeys, shuffled, query)
    assert [s.model_dump() for s in mixed] == [s.model_dump() for s in stored]
