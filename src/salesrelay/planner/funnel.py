"""The funnel both ways, exactly: leads -> MQLs -> SQLs -> opportunities -> deals -> revenue.

Everything is a `Fraction`, so going back from revenue to leads and forward again returns
the very same revenue; rounding happens only when a number is shown or a person is hired.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from salesrelay.planner.defaults import RATE_ORDER, RATES

Number = int | float | str | Decimal | Fraction


class PlanningError(ValueError):
    """An input that cannot be planned with; the message names it."""


def exact(value: Number, name: str) -> Fraction:
    """A number as an exact fraction; floats are read as written (0.2 is 1/5, not 0.2000…1)."""
    if isinstance(value, bool):
        raise PlanningError(f"{name}: expected a number, not {value!r}")
    try:
        if isinstance(value, float):
            return Fraction(repr(value))
        return Fraction(value)
    except (ValueError, TypeError, ZeroDivisionError):
        raise PlanningError(f"{name}: {value!r} is not a number") from None


@dataclass(frozen=True)
class Rate:
    value: Fraction
    source: str


@dataclass(frozen=True)
class FunnelRates:
    lead_to_mql: Rate
    mql_to_sql: Rate
    sql_to_opportunity: Rate
    opportunity_to_won: Rate

    @property
    def lead_to_opportunity(self) -> Fraction:
        return self.lead_to_mql.value * self.mql_to_sql.value * self.sql_to_opportunity.value

    @property
    def lead_to_won(self) -> Fraction:
        return self.lead_to_opportunity * self.opportunity_to_won.value

    def as_dict(self) -> dict[str, dict[str, float | str]]:
        return {
            name: {"value": float(getattr(self, name).value), "source": getattr(self, name).source}
            for name in RATE_ORDER
        }


def resolve_rates(
    observed: Mapping[str, Number] | None = None, given: Mapping[str, Number] | None = None
) -> FunnelRates:
    """Rates from what the user gave, else their own history (`observed`), else defaults."""
    observed, given = observed or {}, given or {}
    for name in (*observed, *given):
        if name not in RATES:
            raise PlanningError(f"{name}: not a funnel rate; use one of {', '.join(RATE_ORDER)}")
    rates = {}
    for name, default in RATES.items():
        if name in given:
            rate = Rate(exact(given[name], name), "given")
        elif name in observed:
            rate = Rate(exact(observed[name], name), "observed in your history")
        else:
            rate = Rate(default.value, default.source)
        if not 0 < rate.value <= 1:
            raise PlanningError(f"{name}: a conversion rate is above 0 and at most 1")
        rates[name] = rate
    return FunnelRates(**rates)


@dataclass(frozen=True)
class Volumes:
    leads: Fraction
    mqls: Fraction
    sqls: Fraction
    opportunities: Fraction
    deals: Fraction
    revenue: Fraction


def forward(leads: Fraction, rates: FunnelRates, deal_size: Fraction) -> Volumes:
    mqls = leads * rates.lead_to_mql.value
    sqls = mqls * rates.mql_to_sql.value
    opportunities = sqls * rates.sql_to_opportunity.value
    deals = opportunities * rates.opportunity_to_won.value
    return Volumes(leads, mqls, sqls, opportunities, deals, deals * deal_size)


def reverse(revenue: Fraction, rates: FunnelRates, deal_size: Fraction) -> Volumes:
    if deal_size <= 0:
        raise PlanningError("deal_size: must be above 0")
    deals = revenue / deal_size
    opportunities = deals / rates.opportunity_to_won.value
    sqls = opportunities / rates.sql_to_opportunity.value
    mqls = sqls / rates.mql_to_sql.value
    leads = mqls / rates.lead_to_mql.value
    return Volumes(leads, mqls, sqls, opportunities, deals, revenue)
