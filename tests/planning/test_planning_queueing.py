"""Erlang B, C and A closed forms against the published oracles (FIGURES.md)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesrelay.simulator import queueing


def test_erlang_c_golden_case():
    # 100 contacts per 30 minutes, AHT 3 min, 14 agents, target 20 s.
    metrics = queueing.erlang_c_metrics(
        arrivals_per_hour=200, handle_minutes=3, reps=14, target_seconds=20
    )
    assert queueing.offered_load(200, 3) == 10
    assert metrics.p_wait == pytest.approx(0.1741319, abs=5e-8)
    assert metrics.service_level == pytest.approx(0.88835, abs=5e-6)
    assert metrics.asa_seconds == pytest.approx(7.836, abs=5e-4)
    assert round(metrics.occupancy, 3) == 0.714


def test_erlang_b_recursion_matches_its_closed_form_for_small_teams():
    load = 2.5
    for servers in range(1, 8):
        terms = [load**k / math.factorial(k) for k in range(servers + 1)]
        assert queueing.erlang_b(servers, load) == pytest.approx(terms[-1] / sum(terms))


def test_an_overloaded_team_always_waits():
    metrics = queueing.erlang_c_metrics(
        arrivals_per_hour=300, handle_minutes=3, reps=14, target_seconds=20
    )
    assert metrics.p_wait == 1.0
    assert metrics.service_level == 0.0
    assert math.isinf(metrics.asa_seconds)


def test_erlang_a_published_example():
    # 40 leads/h, 20-minute first touch, 12 reps, 30-minute mean patience.
    metrics = queueing.erlang_a_metrics(
        arrivals_per_hour=40, handle_minutes=20, reps=12, target_seconds=20, patience_minutes=30
    )
    assert metrics.p_wait == pytest.approx(0.735, abs=5e-4)
    assert metrics.p_abandon == pytest.approx(0.153, abs=5e-4)
    assert metrics.mean_wait_seconds / 60 == pytest.approx(4.59, abs=5e-3)


@settings(max_examples=60, deadline=None)
@given(
    arrivals=st.floats(1, 400),
    handle=st.floats(0.5, 60),
    reps=st.integers(1, 60),
    patience=st.floats(0.5, 600),
)
def test_erlang_a_abandonment_equals_theta_times_mean_wait(arrivals, handle, reps, patience):
    # p_abandon is summed lead by lead over the states; E[Wq] comes from the queue length.
    metrics = queueing.erlang_a_metrics(
        arrivals_per_hour=arrivals,
        handle_minutes=handle,
        reps=reps,
        target_seconds=20,
        patience_minutes=patience,
    )
    theta = 1 / patience
    assert metrics.p_abandon == pytest.approx(theta * metrics.mean_wait_seconds / 60, rel=1e-9)
    assert 0 <= metrics.service_level <= 1
    assert 0 <= metrics.p_abandon <= metrics.p_wait <= 1


def test_erlang_a_tends_to_erlang_c_when_leads_never_go_cold():
    c = queueing.erlang_c_metrics(
        arrivals_per_hour=200, handle_minutes=3, reps=14, target_seconds=20
    )
    a = queueing.erlang_a_metrics(
        arrivals_per_hour=200, handle_minutes=3, reps=14, target_seconds=20, patience_minutes=1e8
    )
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-6)
    assert a.service_level == pytest.approx(c.service_level, rel=1e-6)
    assert a.asa_seconds == pytest.approx(c.asa_seconds, rel=1e-5)


def test_reps_needed_for_a_target():
    needed = queueing.reps_needed(
        arrivals_per_hour=200, handle_minutes=3, target_seconds=20, service_level=0.8
    )
    assert needed == 14
    fewer = queueing.erlang_c_metrics(
        arrivals_per_hour=200, handle_minutes=3, reps=needed - 1, target_seconds=20
    )
    assert fewer.service_level < 0.8
    with_patience = queueing.reps_needed(
        arrivals_per_hour=40,
        handle_minutes=20,
        target_seconds=300,
        service_level=0.8,
        patience_minutes=30,
    )
    assert (
        queueing.erlang_a_metrics(
            arrivals_per_hour=40,
            handle_minutes=20,
            reps=with_patience,
            target_seconds=300,
            patience_minutes=30,
        ).service_level
        >= 0.8
    )


@pytest.mark.parametrize(
    ("arrivals", "handle", "reps"), [(0, 3, 14), (200, 0, 14), (200, 3, 0), (-1, 3, 2)]
)
def test_inputs_that_describe_no_queue_are_refused(arrivals, handle, reps):
    with pytest.raises(queueing.QueueingError):
        queueing.erlang_c_metrics(
            arrivals_per_hour=arrivals, handle_minutes=handle, reps=reps, target_seconds=20
        )
