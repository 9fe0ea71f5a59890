"""The reverse-funnel planner: exact round trips, staffing by the published ratios, hiring
dates that allow for ramp, and where every rate comes from."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesrelay.planner import defaults
from salesrelay.planner.funnel import PlanningError, exact, forward, resolve_rates, reverse
from salesrelay.planner.plan import (
    PlanInput,
    SegmentInput,
    build_plan,
    lead_calendar,
    month_label,
    revenue_from_leads,
    single_segment,
)
from salesrelay.planner.present import plan_to_dict

money = st.decimals(min_value="1", max_value="100000000", places=2).map(Fraction)
rate = st.decimals(min_value="0.01", max_value="1", places=3).map(Fraction)
rates = st.fixed_dictionaries(
    {
        "lead_to_mql": rate,
        "mql_to_sql": rate,
        "sql_to_opportunity": rate,
        "opportunity_to_won": rate,
    }
)


@given(revenue=money, given_rates=rates, deal_size=money)
def test_reverse_then_forward_returns_the_same_revenue_exactly(revenue, given_rates, deal_size):
    funnel = resolve_rates(given=given_rates)
    back = reverse(revenue, funnel, deal_size)
    assert forward(back.leads, funnel, deal_size) == back
    assert forward(back.leads, funnel, deal_size).revenue == revenue


@given(leads=money, given_rates=rates, deal_size=money)
def test_forward_then_reverse_returns_the_same_leads_exactly(leads, given_rates, deal_size):
    funnel = resolve_rates(given=given_rates)
    assert reverse(forward(leads, funnel, deal_size).revenue, funnel, deal_size).leads == leads


segments = st.lists(
    st.tuples(money, st.integers(0, 200), rates, st.integers(1, 20)), min_size=1, max_size=3
)


@settings(max_examples=50, deadline=None)
@given(target=money, months=st.integers(1, 18), parts=segments)
def test_a_plans_lead_calendar_closes_exactly_its_revenue(target, months, parts):
    weights = [Fraction(weight) for *_, weight in parts]
    plan_input = PlanInput(
        target_revenue=target,
        start_year=2027,
        start_month=3,
        months=months,
        segments=[
            SegmentInput(
                f"s{i}", weight / sum(weights), deal, Fraction(cycle), resolve_rates(given=r)
            )
            for i, ((deal, cycle, r, _), weight) in enumerate(zip(parts, weights, strict=True))
        ],
    )
    plan = build_plan(plan_input)
    closed = revenue_from_leads(plan_input, lead_calendar(plan))
    assert closed == {(row.month, row.segment): row.volumes.revenue for row in plan.rows}
    assert sum(closed.values()) == target


def _plan(**changes) -> PlanInput:
    base = single_segment(
        target_revenue=Fraction(6_000_000),
        start_year=2027,
        start_month=1,
        rates=resolve_rates(),
        deal_size=Fraction(25_000),
        cycle_days=Fraction(60),
        outbound_share=Fraction(1, 2),
        attention_share=Fraction(4, 5),
    )
    return PlanInput(**{**base.__dict__, **changes})


def test_headcount_follows_quota_and_the_published_ratios():
    plan = build_plan(_plan(quota_per_closer=Fraction(600_000)))
    # 6M a year is 500k a month; a closer carries 50k a month.
    assert plan.staffing["closer"][0] == 10
    # Half the pipeline is outbound: 5 closers fed by SDRs at 2.5 closers per SDR.
    assert plan.staffing["sdr"][0] == 2
    row = plan.rows[0]
    inbound_needing_a_person = row.volumes.leads * Fraction(1, 2) * Fraction(4, 5)
    assert plan.staffing["qualifier"][row.leads_month] == inbound_needing_a_person / 400
    managers = plan.staffing["sdr_manager"][0]
    heads = math.ceil(plan.staffing["qualifier"][0]) + math.ceil(plan.staffing["sdr"][0])
    assert managers == Fraction(heads, 8)


def test_hires_leave_time_to_ramp():
    plan = build_plan(_plan(start_month=1, current={"closer": 4, "sdr": 2, "qualifier": 9}))
    data = plan_to_dict(plan)
    closers = [hire for hire in plan.hires if hire.role == "closer"]
    assert sum(hire.count for hire in closers) == 6
    assert all(hire.productive_from - hire.hire_by == 5 or hire.late_by_months for hire in closers)
    assert closers[0].late_by_months == 5  # needed in month 0, five months of ramp
    assert data["hires"][0]["hire_by"] == "2027-01"
    late_free = build_plan(_plan(start_month=1, months=24, seasonality=[0] * 8 + [1] * 16))
    later = [hire for hire in late_free.hires if hire.role == "closer"]
    assert later[0].productive_from == 8 and later[0].hire_by == 3 and not later[0].late_by_months


def test_leads_arrive_a_cycle_and_a_lead_to_opportunity_time_before_the_deal():
    plan = build_plan(_plan())  # a 60-day cycle
    row = plan.rows[5]
    assert row.opportunities_month == row.month - 2
    assert row.leads_month == row.month - 3  # 21 days rounds to one month
    assert month_label(2027, 1, -3) == "2026-10"


def test_rates_come_from_what_was_given_then_history_then_defaults():
    funnel = resolve_rates(
        observed={"mql_to_sql": 0.4, "lead_to_mql": 0.1}, given={"lead_to_mql": 0.3}
    )
    assert funnel.lead_to_mql.value == Fraction(3, 10)
    assert funnel.lead_to_mql.source == "given"
    assert funnel.mql_to_sql.value == Fraction(2, 5)
    assert funnel.mql_to_sql.source == "observed in your history"
    assert funnel.opportunity_to_won.value == defaults.RATES["opportunity_to_won"].value
    assert "FIGURES" in funnel.opportunity_to_won.source


@pytest.mark.parametrize(
    "bad",
    [{"given": {"lead_to_mql": 0}}, {"given": {"win": 0.2}}, {"observed": {"mql_to_sql": 1.5}}],
)
def test_impossible_rates_are_refused_by_name(bad):
    with pytest.raises(PlanningError):
        resolve_rates(**bad)


def test_floats_are_read_as_written():
    assert exact(0.1, "x") == Fraction(1, 10)
    with pytest.raises(PlanningError, match="x"):
        exact("ten", "x")


def test_a_plan_needs_a_positive_target_and_shares_that_add_up():
    with pytest.raises(PlanningError, match="target_revenue"):
        build_plan(_plan(target_revenue=Fraction(0)))
    half = SegmentInput("a", Fraction(1, 2), Fraction(1000), Fraction(10), resolve_rates())
    with pytest.raises(PlanningError, match="add up"):
        build_plan(_plan(segments=[half]))
