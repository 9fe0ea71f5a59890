"""The simulator against queueing theory: Erlang C, Erlang A, Little's law, funnel products.

Why several runs: on one run of 200,000 arrivals the sample mean wait of a queue has a
standard error of 1.5-6% depending on the load (waits are strongly correlated in time),
so "within 2%" is asserted on the mean of six independent runs of 200,000 arrivals each,
at loads where that mean's standard error is about 0.6%: three standard errors inside 2%.
"""

from __future__ import annotations

import math
import statistics

import pytest

from salesrelay.simulator import queueing
from salesrelay.simulator.engine import simulate
from salesrelay.simulator.model import scenario_from_mapping
from salesrelay.simulator.runner import simulate_queue
from salesrelay.simulator.stream import draw_stream

ARRIVALS_PER_RUN = 200_000
RUNS = 6


def _mean_over_runs(**model) -> dict[str, float]:
    views = [
        simulate_queue(leads=ARRIVALS_PER_RUN, seed=2024, run=run, target_seconds=20, **model)
        for run in range(RUNS)
    ]
    return {key: statistics.fmean(view[key] for view in views) for key in views[0]}


@pytest.mark.slow
def test_mmc_agrees_with_erlang_c_within_two_percent():
    model = {"arrivals_per_hour": 60, "handle_minutes": 1, "reps": 2, "patience_minutes": None}
    measured = _mean_over_runs(**model)
    exact = queueing.queue_metrics(target_seconds=20, **model)
    assert measured["leads"] == pytest.approx(ARRIVALS_PER_RUN, rel=0.01)
    assert measured["p_wait"] == pytest.approx(exact.p_wait, rel=0.02)
    assert measured["mean_wait_seconds"] == pytest.approx(exact.mean_wait_seconds, rel=0.02)
    assert measured["occupancy"] == pytest.approx(exact.occupancy, rel=0.02)


@pytest.mark.slow
def test_mmc_with_patience_agrees_with_erlang_a():
    model = {"arrivals_per_hour": 40, "handle_minutes": 20, "reps": 12, "patience_minutes": 30}
    measured = _mean_over_runs(**model)
    exact = queueing.queue_metrics(target_seconds=20, **model)
    assert measured["p_wait"] == pytest.approx(exact.p_wait, rel=0.02)
    assert measured["p_abandon"] == pytest.approx(exact.p_abandon, rel=0.02)
    assert measured["mean_wait_seconds"] == pytest.approx(exact.mean_wait_seconds, rel=0.02)
    # The identity holds in the simulation too: abandoned leads = theta x time spent waiting.
    theta = 1 / model["patience_minutes"]
    measured_wait_minutes = measured["mean_wait_seconds"] / 60
    assert measured["p_abandon"] == pytest.approx(theta * measured_wait_minutes, rel=0.02)


def _unlimited_team(**segment) -> dict:
    owners = {"inbound_qualification": "sdr", "closing": "ae", "post_sales": "csm"}
    return {
        "name": "unlimited",
        "horizon_days": 120,
        "hours": "24/7",
        "handoff_delay_minutes": 0,
        "response_decay": {"enabled": False},
        "roles": {name: {"unlimited": True} for name in ("sdr", "ae", "csm")},
        "segments": {"s": {"owners": owners, "cycle_days": 0, **segment}},
        "sources": {"web": {"leads_per_month": 3000, "segment": "s"}},
    }


def test_unlimited_capacity_counts_are_the_product_of_conversion_rates():
    rates = {"qualify_rate": 0.3, "handoff_accept_rate": 0.8, "win_rate": 0.25}
    scenario = scenario_from_mapping(_unlimited_team(**rates))
    runs = [simulate(scenario, draw_stream(scenario, seed=5, run=run)).metrics for run in range(6)]
    expected_leads = 3000 * 120 / (365.25 / 12)
    chain = {
        "leads": 1.0,
        "qualified": 0.3,
        "handoffs_accepted": 0.3 * 0.8,
        "won": 0.3 * 0.8 * 0.25,
    }
    for stage, product in chain.items():
        expected = expected_leads * product
        mean = statistics.fmean(run[stage] for run in runs)
        # Each count is Poisson(expected): thinning a Poisson stream by independent coins.
        standard_error = math.sqrt(expected / len(runs))
        assert abs(mean - expected) < 4 * standard_error, stage


def test_littles_law_holds_per_stage_on_a_long_stable_run(specialists):
    scenario = specialists.model_copy(update={"horizon_days": 730})
    result = simulate(scenario, draw_stream(scenario, seed=11))
    for name, flow in result.stages.items():
        if flow.completed < 200:
            continue  # a stage this scenario barely uses says nothing
        assert flow.mean_count == pytest.approx(
            flow.arrivals_per_minute * flow.mean_minutes, rel=0.05
        ), name
    assert result.stages["waiting"].completed > 10_000
    assert result.stages["opportunity"].completed > 1_000
