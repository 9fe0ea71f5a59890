"""The reverse-funnel plan: a revenue target -> deals, opportunities, qualified leads and leads
per month and segment -> headcount per role -> hiring dates that allow for ramp.

Deals close in month m; their opportunities were opened a sales cycle earlier, and their
leads arrived a lead-to-opportunity time before that (2-4 weeks, Predictable Revenue p.61).
Each shift is rounded to whole months. Volumes stay exact fractions (see funnel.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from salesrelay.planner import defaults
from salesrelay.planner.funnel import FunnelRates, PlanningError, Volumes, forward, reverse

ROLES = ("closer", "sdr", "qualifier", "sdr_manager")


@dataclass(frozen=True)
class SegmentInput:
    name: str
    revenue_share: Fraction
    deal_size: Fraction
    cycle_days: Fraction
    rates: FunnelRates
    outbound_share: Fraction = Fraction(0)
    """Share of the segment's leads that outbound prospecting must produce."""
    attention_share: Fraction = Fraction(1)
    """Share of inbound leads that need a person (the rest is spam, self-serve, students…)."""


@dataclass(frozen=True)
class PlanInput:
    target_revenue: Fraction
    """Revenue to close over the plan's months."""
    start_year: int
    start_month: int
    segments: Sequence[SegmentInput]
    months: int = 12
    quota_per_closer: Fraction = defaults.QUOTA_PER_CLOSER.value
    lead_to_opportunity_days: Fraction = defaults.LEAD_TO_OPPORTUNITY_DAYS.value
    seasonality: Sequence[Fraction] | None = None
    current: Mapping[str, int] = field(default_factory=dict)
    ramp_months: Mapping[str, Fraction] = field(
        default_factory=lambda: {role: d.value for role, d in defaults.RAMP_MONTHS.items()}
    )
    closers_per_sdr: Fraction = defaults.CLOSERS_PER_SDR.value
    leads_per_qualifier: Fraction = defaults.LEADS_PER_QUALIFIER.value
    sdrs_per_manager: Fraction = defaults.SDRS_PER_MANAGER.value


@dataclass(frozen=True)
class PeriodRow:
    """What one segment must close in one month, and what it takes upstream."""

    month: int
    segment: str
    volumes: Volumes
    opportunities_month: int
    leads_month: int


@dataclass(frozen=True)
class Hire:
    role: str
    count: int
    hire_by: int
    productive_from: int
    late_by_months: int


@dataclass(frozen=True)
class Plan:
    input: PlanInput
    rows: list[PeriodRow]
    staffing: dict[str, dict[int, Fraction]]
    """Per role, per month offset: the exact number of people the volume calls for."""
    hires: list[Hire]

    def label(self, offset: int) -> str:
        return month_label(self.input.start_year, self.input.start_month, offset)

    def headcount(self, role: str, month: int) -> int:
        return math.ceil(self.staffing[role].get(month, Fraction(0)))


def single_segment(
    *,
    target_revenue: Fraction,
    start_year: int,
    start_month: int,
    rates: FunnelRates,
    months: int = 12,
    deal_size: Fraction = defaults.DEAL_SIZE.value,
    cycle_days: Fraction = defaults.SALES_CYCLE_DAYS.value,
    outbound_share: Fraction = Fraction(0),
    attention_share: Fraction = Fraction(1),
) -> PlanInput:
    """A plan for a company with one segment, from command-line numbers."""
    segment = SegmentInput(
        name="all",
        revenue_share=Fraction(1),
        deal_size=deal_size,
        cycle_days=cycle_days,
        rates=rates,
        outbound_share=outbound_share,
        attention_share=attention_share,
    )
    return PlanInput(target_revenue, start_year, start_month, [segment], months)


def month_label(year: int, month: int, offset: int) -> str:
    index = year * 12 + (month - 1) + offset
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_from_days(days: Fraction) -> int:
    """Whole months, halves rounded up."""
    return math.floor(days / defaults.DAYS_PER_MONTH + Fraction(1, 2))


def _weights(plan_input: PlanInput) -> list[Fraction]:
    if plan_input.seasonality is None:
        return [Fraction(1, plan_input.months)] * plan_input.months
    season = list(plan_input.seasonality)
    if len(season) != plan_input.months or any(w < 0 for w in season) or sum(season) <= 0:
        raise PlanningError(f"seasonality: give {plan_input.months} weights, not negative")
    total = sum(season)
    return [weight / total for weight in season]


def _check(plan_input: PlanInput) -> None:
    if plan_input.target_revenue <= 0:
        raise PlanningError("target_revenue: must be above 0")
    if not 1 <= plan_input.months <= 60:
        raise PlanningError("months: plan between 1 and 60 months")
    if not 1 <= plan_input.start_month <= 12:
        raise PlanningError("start: the month must be 1 to 12")
    if plan_input.quota_per_closer <= 0:
        raise PlanningError("quota_per_closer: must be above 0")
    if not plan_input.segments:
        raise PlanningError("segments: plan at least one segment")
    if sum(s.revenue_share for s in plan_input.segments) != 1:
        raise PlanningError("segments: the revenue shares must add up to 1")
    for segment in plan_input.segments:
        if segment.cycle_days < 0:
            raise PlanningError(f"segments.{segment.name}.cycle_days: cannot be negative")
        for name in ("outbound_share", "attention_share"):
            if not 0 <= getattr(segment, name) <= 1:
                raise PlanningError(f"segments.{segment.name}.{name}: must be between 0 and 1")


def _rows(plan_input: PlanInput) -> list[PeriodRow]:
    lead_shift = months_from_days(plan_input.lead_to_opportunity_days)
    rows = []
    for month, weight in enumerate(_weights(plan_input)):
        for segment in plan_input.segments:
            revenue = plan_input.target_revenue * weight * segment.revenue_share
            opened = month - months_from_days(segment.cycle_days)
            volumes = reverse(revenue, segment.rates, segment.deal_size)
            rows.append(PeriodRow(month, segment.name, volumes, opened, opened - lead_shift))
    return rows


def _staffing(plan_input: PlanInput, rows: list[PeriodRow]) -> dict[str, dict[int, Fraction]]:
    segments = {segment.name: segment for segment in plan_input.segments}
    monthly_quota = plan_input.quota_per_closer / 12
    closers: dict[int, Fraction] = {}
    sdrs: dict[int, Fraction] = {}
    qualifiers: dict[int, Fraction] = {}
    for row in rows:
        segment = segments[row.segment]
        fed = row.volumes.revenue / monthly_quota
        closers[row.month] = closers.get(row.month, Fraction(0)) + fed
        outbound_closers = fed * segment.outbound_share
        sdrs[row.month] = sdrs.get(row.month, Fraction(0)) + outbound_closers / (
            plan_input.closers_per_sdr
        )
        inbound = row.volumes.leads * (1 - segment.outbound_share) * segment.attention_share
        qualifiers[row.leads_month] = qualifiers.get(row.leads_month, Fraction(0)) + (
            inbound / plan_input.leads_per_qualifier
        )
    managers = {
        month: (math.ceil(qualifiers.get(month, 0)) + math.ceil(sdrs.get(month, 0)))
        / plan_input.sdrs_per_manager
        for month in sorted(set(qualifiers) | set(sdrs))
    }
    staffing = {"closer": closers, "sdr": sdrs, "qualifier": qualifiers, "sdr_manager": managers}
    return {role: dict(sorted(months.items())) for role, months in staffing.items()}


def _hires(plan_input: PlanInput, staffing: dict[str, dict[int, Fraction]]) -> list[Hire]:
    hires = []
    for role in ROLES:
        have = plan_input.current.get(role, 0)
        ramp = math.ceil(plan_input.ramp_months.get(role, Fraction(0)))
        for month, needed in staffing[role].items():
            heads = math.ceil(needed)
            if heads > have:
                hire_by = month - ramp
                hires.append(Hire(role, heads - have, max(hire_by, 0), month, max(0, -hire_by)))
                have = heads
    return sorted(hires, key=lambda hire: (hire.hire_by, ROLES.index(hire.role)))


def build_plan(plan_input: PlanInput) -> Plan:
    _check(plan_input)
    rows = _rows(plan_input)
    staffing = _staffing(plan_input, rows)
    return Plan(plan_input, rows, staffing, _hires(plan_input, staffing))


def lead_calendar(plan: Plan) -> dict[tuple[int, str], Fraction]:
    """Leads that must arrive, by arrival month and segment."""
    calendar: dict[tuple[int, str], Fraction] = {}
    for row in plan.rows:
        key = (row.leads_month, row.segment)
        calendar[key] = calendar.get(key, Fraction(0)) + row.volumes.leads
    return calendar


def revenue_from_leads(
    plan_input: PlanInput, leads: Mapping[tuple[int, str], Fraction]
) -> dict[tuple[int, str], Fraction]:
    """The forward direction: the revenue that a lead calendar closes, by month and segment."""
    lead_shift = months_from_days(plan_input.lead_to_opportunity_days)
    revenue: dict[tuple[int, str], Fraction] = {}
    for segment in plan_input.segments:
        shift = months_from_days(segment.cycle_days) + lead_shift
        for (month, name), count in leads.items():
            if name == segment.name:
                volumes = forward(count, segment.rates, segment.deal_size)
                revenue[(month + shift, name)] = volumes.revenue
    return revenue
