"""Documented defaults for planning, each with where it comes from. All are editable.

Sources are in docs/planning.md and /work/shared/reference/FIGURES.md. Where no published
figure exists the value is marked as our assumption, so nobody mistakes it for a benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

FUNNEL_SOURCE = "vendor blogs via FIGURES.md (low confidence): midpoint-ish of the published range"


@dataclass(frozen=True)
class Default:
    value: Fraction
    source: str


RATES: dict[str, Default] = {
    "lead_to_mql": Default(Fraction(1, 5), f"{FUNNEL_SOURCE}, lead->MQL 15-30%"),
    "mql_to_sql": Default(Fraction(3, 10), f"{FUNNEL_SOURCE}, MQL->SQL 13-50%"),
    "sql_to_opportunity": Default(Fraction(1, 2), f"{FUNNEL_SOURCE}, SQL->opportunity 30-75%"),
    "opportunity_to_won": Default(Fraction(1, 5), f"{FUNNEL_SOURCE}, opportunity->won 15-30%"),
}
"""Funnel conversion rates, in funnel order."""

RATE_ORDER = tuple(RATES)

LEADS_PER_QUALIFIER = Default(
    Fraction(400),
    "Predictable Revenue p.57: one inbound qualifier per ~400 leads a month needing attention",
)
CLOSERS_PER_SDR = Default(
    Fraction(5, 2),
    "TOPO 2015: 1 SDR to 2.5 AEs on average (1:2.1 under $25M revenue, 1:4.4 over); "
    "Predictable Revenue p.57: one SDR supports 2-5 AEs, 1:1 or 2:1 for very large deals",
)
SDRS_PER_MANAGER = Default(Fraction(8), "FIGURES.md: SDRs per manager ~ 8")
RAMP_MONTHS = {
    "closer": Default(Fraction(5), "Bridge Group (medium confidence): AE ramp ~ 5 months"),
    "sdr": Default(Fraction(3), "Bridge Group (medium confidence): SDR ramp ~ 3 months"),
    "qualifier": Default(Fraction(3), "our assumption: an inbound qualifier ramps like an SDR"),
    "sdr_manager": Default(Fraction(0), "our assumption: hire a manager ready to lead"),
}
LEAD_TO_OPPORTUNITY_DAYS = Default(
    Fraction(21), "Predictable Revenue p.61: first response to qualified opportunity 2-4 weeks"
)
QUOTA_PER_CLOSER = Default(
    Fraction(600_000),
    "our assumption (no published figure in our sources): set your own annual closer quota",
)
DEAL_SIZE = Default(Fraction(25_000), "our assumption: set your own average first-year deal")
SALES_CYCLE_DAYS = Default(Fraction(30), "our assumption: set your own sales cycle")
VERY_LARGE_DEAL = Fraction(100_000)
"""Deal size from which one SDR per one or two closers is advised (Predictable Revenue p.57)."""

DAYS_PER_MONTH = Fraction(36525, 1200)
