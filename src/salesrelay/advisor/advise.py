"""Specialize or not, which roles, how many people: every conclusion with the rule behind it.

Per segment: a one- or two-call close, or a segment already succeeding with generalists,
stays generalist; the rest specialize. The specialized segments break out every function
that takes more than ~20% of the time, closing always, and at least three of the four.
Headcount comes from the published ratios and from the workload, whichever asks for more.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from salesrelay.advisor import workload as loads_
from salesrelay.advisor.profile import FUNCTIONS, Profile
from salesrelay.advisor.rules import rule
from salesrelay.planner import defaults
from salesrelay.planner.funnel import Number, exact

TWENTY_PERCENT = Fraction(1, 5)
FUNCTION_LABELS = {
    "inbound_qualification": "inbound qualification",
    "outbound_prospecting": "outbound prospecting",
    "closing": "closing",
    "post_sales": "post-sales",
}


@dataclass(frozen=True)
class Reason:
    rule: str
    says: str
    source: str
    because: str


def reason(rule_id: str, because: str) -> Reason:
    found = rule(rule_id)
    return Reason(found.id, found.says, found.source, because)


@dataclass(frozen=True)
class SegmentAdvice:
    name: str
    model: str
    reasons: list[Reason]


@dataclass(frozen=True)
class RoleAdvice:
    role: str
    label: str
    headcount: int
    needed: Fraction
    segments: list[str]
    reasons: list[Reason]


@dataclass
class Advice:
    company: str
    verdict: str
    summary: str
    segments: list[SegmentAdvice]
    time_split: dict[str, Fraction]
    time_split_basis: str
    broken_out: list[str]
    function_reasons: list[Reason]
    roles: list[RoleAdvice]
    template: str | None


def _segment_model(profile: Profile, segment) -> SegmentAdvice:
    calls = segment.calls_to_close
    if calls <= 2:
        why = f"{segment.name} closes in {calls} call{'s' if calls > 1 else ''}"
        return SegmentAdvice(segment.name, "generalist", [reason("short_close", why)])
    if profile.model_of(segment) == "generalist" and profile.performance_of(segment) == "well":
        why = f"{segment.name} is sold by generalists today and performing well"
        return SegmentAdvice(segment.name, "generalist", [reason("generalists_succeeding", why)])
    why = f"{segment.name} takes {calls} calls over ~{segment.sales_cycle_days:g} days"
    return SegmentAdvice(segment.name, "specialized", [reason("four_roles", why)])


def _break_out(split: dict[str, Fraction], hours: dict[str, Fraction]) -> tuple[list, list]:
    has_work = [f for f in FUNCTIONS if hours[f] > 0 or split[f] > 0]
    chosen = ["closing"]
    reasons = [reason("four_roles", "closers focus on closing: the point of specializing")]
    for function in FUNCTIONS:
        if function != "closing" and split[function] >= TWENTY_PERCENT:
            chosen.append(function)
            share = f"{float(split[function]):.0%}"
            reasons.append(reason("twenty_percent", f"{FUNCTION_LABELS[function]} is {share}"))
    rest = [f for f in has_work if f not in chosen]
    ranked = sorted(rest, key=lambda f: (-split[f], FUNCTIONS.index(f)))
    while len(chosen) < 3 and ranked:
        function = ranked.pop(0)
        chosen.append(function)
        share = f"{float(split[function]):.0%}"
        why = f"{FUNCTION_LABELS[function]} ({share} of the time) makes the third role"
        reasons.append(reason("three_of_four", why))
    if len(chosen) < 3:
        why = f"only {len(chosen)} of the four functions have work in these segments"
        reasons.append(reason("three_of_four", why))
    return [f for f in FUNCTIONS if f in chosen], reasons


def _needed(*needs: Fraction) -> tuple[int, Fraction]:
    top = max(needs)
    return (math.ceil(top) if top > 0 else 0), top


def _hours_note(hours: Fraction, selling: Fraction) -> str:
    return f"{float(hours):,.0f} h of work a month / {float(selling):g} selling h per person"


class _Staffer:
    """Headcount for the specialized segments, role by role."""

    def __init__(self, profile, names, loads, broken_out, template, yearly_revenue) -> None:
        self.profile = profile
        self.names = names
        self.loads = [load for load in loads if load.name in names]
        self.broken_out = broken_out
        self.template = template
        self.selling = exact(profile.workload.selling_hours_per_rep_month, "selling_hours")
        self.hours = {f: sum((ld.hours[f] for ld in self.loads), Fraction(0)) for f in FUNCTIONS}
        self.yearly_revenue = yearly_revenue
        self.roles: list[RoleAdvice] = []

    def _add(self, role, label, needs, reasons) -> None:
        headcount, needed = _needed(*needs)
        self.roles.append(RoleAdvice(role, label, headcount, needed, self.names, reasons))

    def closers(self) -> Fraction:
        """Closers by quota and by workload; they keep post-sales work not broken out."""
        quota = exact(self.profile.quota_per_closer, "quota_per_closer")
        by_quota = self.yearly_revenue / quota
        hours = self.hours["closing"]
        if "post_sales" not in self.broken_out:
            hours += self.hours["post_sales"]
        by_work = hours / self.selling
        revenue = f"{float(self.yearly_revenue):,.0f} a year / quota {float(quota):,.0f}"
        reasons = [reason("quota", revenue), reason("workload", _hours_note(hours, self.selling))]
        if "post_sales" not in self.broken_out and self.hours["post_sales"]:
            reasons.append(reason("focus", "closers keep looking after the customers they win"))
        self._add("closing", "Closers (account executives)", (by_quota, by_work), reasons)
        return max(by_quota, by_work)

    def _inbound_need(self) -> tuple[Fraction, Reason]:
        attention = sum(
            (exact(s.inbound_leads_per_month, "i") * exact(s.human_attention_share, "a"))
            for s in self.profile.segments
            if s.name in self.names
        )
        why = f"{float(attention):,.0f} inbound leads a month need a person"
        return attention / defaults.LEADS_PER_QUALIFIER.value, reason("inbound_400", why)

    def _outbound_need(self, closers: Fraction) -> tuple[Fraction, Reason]:
        profile = self.profile
        segments = [s for s in profile.segments if s.name in self.names]
        leads = sum(loads_.segment_leads(s) for s in segments)
        outbound = sum(exact(s.outbound_targets_per_month, "o") for s in segments)
        large = max(s.deal_size for s in segments) >= defaults.VERY_LARGE_DEAL
        if profile.closers_per_sdr is not None:
            ratio, basis = exact(profile.closers_per_sdr, "closers_per_sdr"), "your ratio"
        elif large:
            ratio, basis = Fraction(3, 2), "very large deals: one SDR per 1-2 closers"
        else:
            ratio, basis = defaults.CLOSERS_PER_SDR.value, "TOPO average 1:2.5"
        fed = closers * (outbound / leads if leads else 0)
        why = f"{float(fed):.1f} closers' worth of pipeline comes from outbound; {basis}"
        return fed / ratio, reason("sdr_ratio", why)

    def qualifiers(self) -> None:
        """Four-role: the inbound qualifiers, on inbound work only."""
        by_ratio, why = self._inbound_need()
        hours = self.hours["inbound_qualification"]
        reasons = [why, reason("workload", _hours_note(hours, self.selling))]
        self._add(
            "inbound_qualification", "Inbound qualifiers", (by_ratio, hours / self.selling), reasons
        )

    def sdrs(self, closers: Fraction) -> None:
        """Four-role: the outbound SDRs."""
        by_ratio, why = self._outbound_need(closers)
        hours = self.hours["outbound_prospecting"]
        reasons = [why, reason("workload", _hours_note(hours, self.selling))]
        self._add(
            "outbound_prospecting", "Outbound SDRs", (by_ratio, hours / self.selling), reasons
        )

    def combined_qualifiers(self, closers: Fraction) -> None:
        """Three-role: one team answers inbound leads and works outbound lists."""
        inbound, inbound_why = self._inbound_need()
        outbound, outbound_why = self._outbound_need(closers)
        hours = self.hours["inbound_qualification"] + self.hours["outbound_prospecting"]
        if not (inbound or outbound or hours):
            return
        reasons = [inbound_why, outbound_why, reason("workload", _hours_note(hours, self.selling))]
        reasons.append(reason("focus", "in the three-role template qualifiers also work outbound"))
        label = "Qualifiers (inbound and outbound lists)"
        self._add(
            "inbound_qualification", label, (inbound + outbound, hours / self.selling), reasons
        )

    def post_sales(self) -> None:
        onboarding = sum((ld.onboarding_hours for ld in self.loads), Fraction(0))
        accounts = sum((ld.account_hours for ld in self.loads), Fraction(0))
        work = "onboarding and serving customers"
        if self.template == "four-role" and onboarding and accounts:
            why = reason("workload", f"onboarding: {_hours_note(onboarding, self.selling)}")
            label = "Onboarding (professional services)"
            self._add("professional_services", label, (onboarding / self.selling,), [why])
            onboarding, work = Fraction(0), "serving customers"
        hours = onboarding + accounts
        why = reason("workload", f"{work}: {_hours_note(hours, self.selling)}")
        self._add("account_management", "Account management", (hours / self.selling,), [why])

    def managers(self) -> None:
        led = ("inbound_qualification", "outbound_prospecting")
        heads = sum(r.headcount for r in self.roles if r.role in led)
        if not heads:
            return
        needed = Fraction(heads) / defaults.SDRS_PER_MANAGER.value
        headcount = math.floor(needed + Fraction(1, 2))
        why = f"{heads} qualifiers and SDRs"
        if headcount == 0:
            why += "; until there are about four, the sales manager leads them"
        reasons = [reason("sdr_manager", why)]
        label = "Managers of qualifiers and SDRs"
        self.roles.append(RoleAdvice("sdr_manager", label, headcount, needed, self.names, reasons))


def _specialized_roles(profile, names, loads, broken_out, template, revenue) -> list[RoleAdvice]:
    staffer = _Staffer(profile, names, loads, broken_out, template, revenue)
    closers = staffer.closers()
    if template == "four-role":
        staffer.qualifiers()
        staffer.sdrs(closers)
    else:
        staffer.combined_qualifiers(closers)
    if "post_sales" in broken_out:
        staffer.post_sales()
    staffer.managers()
    return staffer.roles


def _generalist_role(profile, names, loads) -> RoleAdvice:
    mine = [load for load in loads if load.name in names]
    hours = sum((load.total_hours for load in mine), Fraction(0))
    selling = exact(profile.workload.selling_hours_per_rep_month, "selling_hours")
    headcount, needed = _needed(hours / selling, Fraction(1))
    why = _hours_note(hours, selling) + "; one person owns each journey"
    return RoleAdvice(
        "generalist", "Generalists", headcount, needed, names, [reason("workload", why)]
    )


def advise(profile: Profile, *, observed_rates: Mapping[str, Number] | None = None) -> Advice:
    """The advice for `profile`; `observed_rates` are funnel rates from the team's history."""
    rates = loads_.rates_for(profile, observed_rates)
    loads = loads_.segment_loads(profile, rates)
    segments = [_segment_model(profile, segment) for segment in profile.segments]
    specialized = [s.name for s in segments if s.model == "specialized"]
    generalist = [s.name for s in segments if s.model == "generalist"]
    spec_loads = [load for load in loads if load.name in specialized]
    split, basis = loads_.time_split(profile, spec_loads or loads)
    roles: list[RoleAdvice] = []
    broken_out: list[str] = []
    function_reasons: list[Reason] = []
    template = None
    if specialized:
        hours = {f: sum((ld.hours[f] for ld in spec_loads), Fraction(0)) for f in FUNCTIONS}
        broken_out, function_reasons = _break_out(split, hours)
        both = {"inbound_qualification", "outbound_prospecting"} <= set(broken_out)
        template = "four-role" if both else "three-role"
        revenue = _yearly_revenue(profile, rates, specialized)
        roles += _specialized_roles(profile, specialized, loads, broken_out, template, revenue)
    if generalist:
        roles.append(_generalist_role(profile, generalist, loads))
    verdict = (
        "mixed"
        if specialized and generalist
        else "specialize"
        if specialized
        else "stay_generalist"
    )
    return Advice(
        company=profile.company,
        verdict=verdict,
        summary=_summary(
            verdict, specialized, generalist, roles, template, profile.current_team.reps
        ),
        segments=segments,
        time_split=split,
        time_split_basis=basis,
        broken_out=broken_out,
        function_reasons=function_reasons,
        roles=roles,
        template=template,
    )


def _yearly_revenue(profile: Profile, rates, names: list[str]) -> Fraction:
    shares = loads_.revenue_shares(profile, rates)
    share = sum((shares[name] for name in names), Fraction(0))
    if profile.target_revenue is not None:
        return exact(profile.target_revenue, "target_revenue") * share
    return loads_.yearly_potential(profile, rates) * share


def _summary(verdict, specialized, generalist, roles, template, today: int) -> str:
    team = ", ".join(f"{r.label.lower()} {r.headcount}" for r in roles if r.headcount)
    total = sum(r.headcount for r in roles)
    size = f"{total} people" + (f" (today {today})" if today else "")
    if verdict == "stay_generalist":
        return f"Stay generalist ({', '.join(generalist)}): {size}, {team}."
    if verdict == "specialize":
        return f"Specialize with the {template} playbook: {size}, {team}."
    return (
        f"Mixed: keep generalists for {', '.join(generalist)}; specialize "
        f"{', '.join(specialized)} with the {template} playbook. {size}: {team}."
    )
