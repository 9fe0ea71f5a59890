"""From a profile's volumes to monthly hours of work per function, and to a plan's input."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from salesrelay.advisor.profile import FUNCTIONS, Profile, Segment
from salesrelay.planner.funnel import FunnelRates, Number, exact, resolve_rates
from salesrelay.planner.plan import PlanInput, SegmentInput


@dataclass(frozen=True)
class SegmentLoad:
    """A segment's month: leads, opportunities, deals, and hours of work by function."""

    name: str
    leads: Fraction
    opportunities: Fraction
    deals: Fraction
    hours: dict[str, Fraction]
    """By core function; post_sales = onboarding_hours + account_hours."""
    onboarding_hours: Fraction = Fraction(0)
    account_hours: Fraction = Fraction(0)

    @property
    def total_hours(self) -> Fraction:
        return sum(self.hours.values(), Fraction(0))


def rates_for(profile: Profile, observed_rates: Mapping[str, Number] | None) -> FunnelRates:
    return resolve_rates(observed=observed_rates, given=profile.conversion)


def segment_leads(segment: Segment) -> Fraction:
    inbound = exact(segment.inbound_leads_per_month, "inbound_leads_per_month")
    return inbound + exact(segment.outbound_targets_per_month, "outbound_targets_per_month")


def segment_loads(profile: Profile, rates: FunnelRates) -> list[SegmentLoad]:
    work, post = profile.workload, profile.post_sale
    drafts = []
    for segment in profile.segments:
        leads = segment_leads(segment)
        opportunities = leads * rates.lead_to_opportunity
        deals = opportunities * rates.opportunity_to_won.value
        attention = exact(segment.inbound_leads_per_month, "inbound") * exact(
            segment.human_attention_share, "human_attention_share"
        )
        onboarding = Fraction(0)
        if post.onboarding:
            onboarding = deals * exact(post.onboarding_hours_per_customer, "onboarding_hours")
        outbound = exact(segment.outbound_targets_per_month, "outbound_targets_per_month")
        hours = {
            "inbound_qualification": attention * exact(work.qualify_minutes_per_lead, "q") / 60,
            "outbound_prospecting": outbound * exact(work.prospect_minutes_per_target, "p") / 60,
            "closing": opportunities * segment.calls_to_close * exact(work.hours_per_call, "h"),
            "post_sales": onboarding,
        }
        drafts.append(SegmentLoad(segment.name, leads, opportunities, deals, hours, onboarding))
    return _with_accounts(profile, drafts)


def _with_accounts(profile: Profile, loads: list[SegmentLoad]) -> list[SegmentLoad]:
    """Serving today's customers is post-sales work too; share it by each segment's deals."""
    post = profile.post_sale
    if not (post.account_management or post.customer_success) or not post.current_customers:
        return loads
    account_hours = post.current_customers * exact(post.account_hours_per_customer_month, "a")
    total_deals = sum((load.deals for load in loads), Fraction(0))
    shares = [
        load.deals / total_deals if total_deals else Fraction(1, len(loads)) for load in loads
    ]
    return [
        SegmentLoad(
            load.name,
            load.leads,
            load.opportunities,
            load.deals,
            {**load.hours, "post_sales": load.onboarding_hours + account_hours * share},
            load.onboarding_hours,
            account_hours * share,
        )
        for load, share in zip(loads, shares, strict=True)
    ]


def time_split(profile: Profile, loads: list[SegmentLoad]) -> tuple[dict[str, Fraction], str]:
    """Each function's share of the team's time: as given, else estimated from the loads."""
    given = profile.current_team.time_split
    if given:
        total = sum((exact(v, k) for k, v in given.items()), Fraction(0))
        if total > 0:
            split = {f: exact(given.get(f, 0), f) / total for f in FUNCTIONS}
            return split, "given in current_team.time_split"
    hours = {f: sum((load.hours[f] for load in loads), Fraction(0)) for f in FUNCTIONS}
    total = sum(hours.values(), Fraction(0))
    if total == 0:
        return {f: Fraction(0) for f in FUNCTIONS}, "no volumes to estimate from"
    return {f: h / total for f, h in hours.items()}, "estimated from your volumes (workload)"


def revenue_shares(profile: Profile, rates: FunnelRates) -> dict[str, Fraction]:
    if profile.segments[0].revenue_share is not None:
        return {s.name: exact(s.revenue_share, f"{s.name}.revenue_share") for s in profile.segments}
    potential = {
        s.name: segment_leads(s) * rates.lead_to_won * exact(s.deal_size, "deal_size")
        for s in profile.segments
    }
    total = sum(potential.values(), Fraction(0))
    if total == 0:
        return {name: Fraction(1, len(potential)) for name in potential}
    return {name: value / total for name, value in potential.items()}


def yearly_potential(profile: Profile, rates: FunnelRates) -> Fraction:
    """Revenue a year that today's lead flow closes at these rates."""
    return sum(
        (
            segment_leads(s) * 12 * rates.lead_to_won * exact(s.deal_size, "deal_size")
            for s in profile.segments
        ),
        Fraction(0),
    )


def plan_input(
    profile: Profile,
    *,
    start_year: int,
    start_month: int,
    observed_rates: Mapping[str, Number] | None = None,
    target_revenue: Fraction | None = None,
    months: int = 12,
) -> PlanInput:
    """The profile's segments as a reverse-funnel plan for the next `months` months."""
    rates = rates_for(profile, observed_rates)
    shares = revenue_shares(profile, rates)
    if target_revenue is None and profile.target_revenue is not None:
        target_revenue = exact(profile.target_revenue, "target_revenue")
    if target_revenue is None:
        target_revenue = yearly_potential(profile, rates) * months / 12
    segments = []
    for segment in profile.segments:
        leads = segment_leads(segment)
        outbound = exact(segment.outbound_targets_per_month, "outbound_targets_per_month")
        segments.append(
            SegmentInput(
                name=segment.name,
                revenue_share=shares[segment.name],
                deal_size=exact(segment.deal_size, "deal_size"),
                cycle_days=exact(segment.sales_cycle_days, "sales_cycle_days"),
                rates=rates,
                outbound_share=outbound / leads if leads else Fraction(0),
                attention_share=exact(segment.human_attention_share, "human_attention_share"),
            )
        )
    extra = {}
    if profile.closers_per_sdr is not None:
        extra["closers_per_sdr"] = exact(profile.closers_per_sdr, "closers_per_sdr")
    return PlanInput(
        target_revenue=target_revenue,
        start_year=start_year,
        start_month=start_month,
        segments=segments,
        months=months,
        quota_per_closer=exact(profile.quota_per_closer, "quota_per_closer"),
        **extra,
    )
