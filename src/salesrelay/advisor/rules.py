"""The rules the advisor reasons with, each with its source. Advice cites them by id."""

from __future__ import annotations

from dataclasses import dataclass

INEVITABLE = "Ross & Lemkin, From Impossible to Inevitable (2016), ch. 10"
PREDICTABLE = "Ross & Tyler, Predictable Revenue (2011)"


@dataclass(frozen=True)
class Rule:
    id: str
    says: str
    source: str


RULES = {
    rule.id: rule
    for rule in (
        Rule(
            "short_close",
            "Don't specialize a one- or two-call-close sale: one generalist owns the journey.",
            INEVITABLE,
        ),
        Rule(
            "generalists_succeeding",
            "Don't specialize a segment that is already succeeding with generalists.",
            INEVITABLE,
        ),
        Rule(
            "four_roles",
            "Four specialized roles fit most B2B companies: inbound qualification, outbound "
            "prospecting, closing new business, post-sales. Adapt them; keep the focus.",
            INEVITABLE,
        ),
        Rule(
            "twenty_percent",
            "Break a function out once it takes more than ~20% of people's time.",
            f"{PREDICTABLE}; {INEVITABLE}",
        ),
        Rule(
            "three_of_four",
            "Almost every B2B company should have at least three of the four core roles.",
            INEVITABLE,
        ),
        Rule(
            "inbound_400",
            "One inbound qualifier per ~400 leads a month that need human attention.",
            f"{PREDICTABLE}, p.57",
        ),
        Rule(
            "sdr_ratio",
            "One SDR supports 2-5 closers (TOPO 2015 average 1:2.5; 1:2.1 under $25M revenue, "
            "1:4.4 over); 1:1 or 2:1 for very large deals.",
            f"{PREDICTABLE}, p.57; TOPO 2015; Bridge Group 2016",
        ),
        Rule("sdr_manager", "About eight SDRs per manager.", "TOPO / Bridge Group benchmarks"),
        Rule(
            "quota",
            "Closers needed = revenue to close in a year / annual quota per closer.",
            "reverse-funnel planning (salesrelay plan); the quota is yours",
        ),
        Rule(
            "workload",
            "People needed = hours of work a month / selling hours per person a month.",
            "our workload estimate from your volumes; edit `workload` in the profile",
        ),
        Rule(
            "focus",
            "A function not broken out stays with the role the playbook template gives it.",
            INEVITABLE,
        ),
    )
}


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]
