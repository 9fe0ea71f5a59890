"""The event engine's rules: pre-emption, the generalist penalty, common random numbers,
determinism, business hours, capacity and ramp."""

from __future__ import annotations

import numpy as np
import pytest

from salesrelay.simulator import decay
from salesrelay.simulator.engine import Engine, simulate
from salesrelay.simulator.hours import BusinessClock, parse_weekly_hours, transitions
from salesrelay.simulator.model import ScenarioError, scenario_from_mapping
from salesrelay.simulator.runner import run_batch, simulate_runs
from salesrelay.simulator.stream import LeadStream, draw_stream

GENERALIST = {"inbound_qualification": "rep", "closing": "rep"}


def _scenario(**overrides) -> dict:
    data = {
        "name": "test",
        "horizon_days": 60,
        "hours": "24/7",
        "response_decay": {"enabled": False},
        "roles": {"rep": {"reps": 3, "context_switch_penalty": 0}},
        "segments": {"s": {"owners": GENERALIST, "qualify_rate": 0.3, "cycle_days": 5}},
        "sources": {"web": {"leads_per_month": 600, "segment": "s"}},
    }
    data.update(overrides)
    return data


def _stream(arrivals, u_qualify, touch_work, meeting_work) -> LeadStream:
    count = len(arrivals)
    ones, zeros = np.ones(count), np.zeros(count)
    return LeadStream(
        arrival=np.asarray(arrivals, dtype=float),
        source=np.zeros(count, dtype=np.int64),
        source_names=("web",),
        u_qualify=np.asarray(u_qualify, dtype=float),
        u_accept=zeros,
        u_win=ones,
        u_renew=zeros,
        deal_normal=zeros,
        patience=ones,
        handoff_delay=ones,
        onboarding_work=ones,
        touch_work=np.asarray([touch_work], dtype=float),
        meeting_work=np.asarray([meeting_work], dtype=float),
    )


@pytest.mark.parametrize(("preempt", "expected_minutes"), [(True, 60.0), (False, 60.0 + 30.0)])
def test_closing_work_preempts_a_first_touch(preempt, expected_minutes):
    # One generalist. Lead 0 (qualifies) is touched 0-10, then its meeting is due at 10;
    # lead 1 arrived at 1 and its 30-minute touch starts at 10 too. With pre-emption the
    # meeting interrupts that touch and the opportunity is decided at 70, else at 100.
    scenario = scenario_from_mapping(
        _scenario(
            preempt=preempt,
            horizon_days=1,
            roles={"rep": {"reps": 1, "context_switch_penalty": 0}},
            segments={
                "s": {
                    "owners": GENERALIST,
                    "qualify_rate": 0.5,
                    "meetings": 1,
                    "cycle_days": 0,
                    "win_rate": 0,
                }
            },
        )
    )
    stream = _stream([0.0, 1.0], [0.0, 0.99], [10 / 15, 30 / 15], [1.0, 1.0])
    engine = Engine(scenario, stream)
    result = engine.run()
    assert engine.first_touch == [0.0, 10.0]  # lead 1 was touched before being interrupted
    assert result.stages["opportunity"].mean_minutes == pytest.approx(expected_minutes)
    assert result.stages["qualifying"].completed == 2


def test_context_switch_penalty_slows_a_generalist_by_the_documented_share(generalists):
    busy = {}
    for penalty in (0.0, 0.3):
        spec = generalists.roles["generalist"].model_copy(
            update={"context_switch_penalty": penalty, "reps": 40}
        )
        scenario = generalists.model_copy(
            update={
                "roles": {"generalist": spec},
                "horizon_days": 90,
                "response_decay": generalists.response_decay.model_copy(update={"enabled": False}),
            }
        )
        busy[penalty] = simulate(scenario, draw_stream(scenario, seed=3)).busy_minutes
    ratio = busy[0.3]["generalist"] / busy[0.0]["generalist"]
    assert ratio == pytest.approx(1 / 0.7, rel=0.01)


def test_a_role_owning_several_functions_gets_the_default_penalty(generalists, specialists):
    assert generalists.penalty("generalist") == pytest.approx(0.30)
    assert specialists.penalty("qualifier") == 0.0


def test_same_seed_same_results_whatever_the_number_of_processes(specialists):
    short = specialists.model_copy(update={"horizon_days": 20})
    alone = run_batch([short], runs=2, seed=9, workers=1)
    shared = run_batch([short], runs=2, seed=9, workers=2)
    assert alone == shared
    assert alone[0][0] != alone[0][1]  # two runs, two different lead streams


def test_compared_scenarios_meet_the_same_leads(generalists, specialists):
    outcome = simulate_runs(
        generalists.model_copy(update={"horizon_days": 30}),
        compare=specialists.model_copy(update={"horizon_days": 30}),
        runs=3,
        seed=4,
        workers=1,
    )
    assert outcome.difference["leads"].mean == 0
    assert outcome.difference["leads"].low == outcome.difference["leads"].high == 0
    itself = simulate_runs(
        specialists.model_copy(update={"horizon_days": 30}),
        compare=specialists.model_copy(update={"horizon_days": 30}),
        runs=2,
        seed=4,
        workers=1,
    )
    assert all(summary.mean == 0 for summary in itself.difference.values())


def test_a_wider_stream_keeps_the_draws_another_scenario_uses(specialists):
    narrow = draw_stream(specialists, seed=1)
    wide = draw_stream(specialists, seed=1, touches=5, meetings=7)
    assert np.array_equal(narrow.arrival, wide.arrival)
    assert np.array_equal(narrow.touch_work, wide.touch_work[: len(narrow.touch_work)])
    assert np.array_equal(narrow.meeting_work, wide.meeting_work[: len(narrow.meeting_work)])


def test_compared_scenarios_must_share_their_sources(specialists):
    other = specialists.model_copy(update={"name": "other", "sources": {}})
    with pytest.raises(ScenarioError, match="website_smb"):
        simulate(other, draw_stream(specialists, seed=1))


def test_leads_wait_for_opening_hours():
    scenario = scenario_from_mapping(_scenario(hours="mon-fri 09:00-17:00", horizon_days=14))
    engine = Engine(scenario, draw_stream(scenario, seed=2))
    engine.run()
    touched = np.array([t for t in engine.first_touch if t >= 0]) % (7 * 1440)
    day, minute = np.divmod(touched, 1440)
    assert (day < 5).all() and (minute >= 540).all() and (minute < 1020).all()


def test_capacity_backlog_and_new_hires_with_ramp():
    segment = {
        "owners": {"inbound_qualification": "sdr", "closing": "ae"},
        "qualify_rate": 1.0,
        "handoff_accept_rate": 1.0,
        "cycle_days": 20,
        "meetings": 1,
    }
    roles = {
        "sdr": {"reps": 4},
        "ae": {
            "reps": 1,
            "capacity": 3,
            "new_hires": [{"start_day": 10, "count": 1}],
            "ramp_days": 30,
        },
    }
    scenario = scenario_from_mapping(
        _scenario(roles=roles, segments={"s": segment}, horizon_days=40)
    )
    engine = Engine(scenario, draw_stream(scenario, seed=8))
    result = engine.run()
    closer = engine.roles["ae"]
    assert closer.open_opportunities <= 3 * closer.active_reps
    assert closer.active_reps == 2
    assert len(closer.backlog) > 0  # 600 qualified leads a month, room for six at a time
    assert result.metrics["opportunities"] > result.metrics["won"]


def test_business_clock_counts_open_minutes_only():
    clock = BusinessClock(parse_weekly_hours("mon-fri 09:00-17:00"))
    monday_8, monday_10 = 8 * 60, 10 * 60
    friday_16, next_monday_10 = 4 * 1440 + 16 * 60, 7 * 1440 + 10 * 60
    waits = clock.open_minutes_between(
        np.array([monday_8, friday_16]), np.array([monday_10, next_monday_10])
    )
    assert waits.tolist() == [60.0, 120.0]
    assert transitions(parse_weekly_hours("24/7"), 1e6) == [(0.0, True)]


def test_response_decay_matches_its_documented_calibration():
    curve = decay.ResponseCurve()
    assert curve.multiplier(0) == 1.0
    waits = [0, 1, 5, 10, 30, 60, 120, 1440, 10_000]
    values = [curve.multiplier(w) for w in waits]
    assert values == sorted(values, reverse=True)
    assert values[-1] >= curve.floor
    documented = {(5, 10): 2.7, (5, 30): 25.5, (60, 120): 6.1, (60, 1440): 62.3}
    for (early, late), ratio in documented.items():
        assert curve.ratio(early, late) == pytest.approx(ratio, abs=0.05)
    assert decay.ResponseCurve(enabled=False).multiplier(500) == 1.0
