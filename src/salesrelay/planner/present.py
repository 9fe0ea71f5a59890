"""A plan as plain data for JSON and tables. Numbers are rounded here and nowhere else."""

from __future__ import annotations

import math
from fractions import Fraction

from salesrelay.planner import defaults
from salesrelay.planner.plan import ROLES, Plan, lead_calendar, months_from_days

SHORT_LABELS = {
    "closer": "AEs",
    "sdr": "SDRs",
    "qualifier": "qualifiers",
    "sdr_manager": "managers",
}
ROLE_LABELS = {
    "closer": "Closers (account executives)",
    "sdr": "Outbound SDRs",
    "qualifier": "Inbound qualifiers",
    "sdr_manager": "SDR and qualifier managers",
}


def _money(value: Fraction) -> float:
    return round(float(value), 2)


def _count(value: Fraction) -> float:
    return round(float(value), 2)


def assumptions(plan: Plan) -> list[dict[str, object]]:
    given = plan.input
    rows: list[dict[str, object]] = [
        {
            "name": "quota_per_closer",
            "value": _money(given.quota_per_closer),
            "source": _source(given.quota_per_closer, defaults.QUOTA_PER_CLOSER),
        },
        {
            "name": "lead_to_opportunity_days",
            "value": float(given.lead_to_opportunity_days),
            "source": _source(given.lead_to_opportunity_days, defaults.LEAD_TO_OPPORTUNITY_DAYS),
        },
        {
            "name": "closers_per_sdr",
            "value": float(given.closers_per_sdr),
            "source": _source(given.closers_per_sdr, defaults.CLOSERS_PER_SDR),
        },
        {
            "name": "leads_per_qualifier",
            "value": float(given.leads_per_qualifier),
            "source": _source(given.leads_per_qualifier, defaults.LEADS_PER_QUALIFIER),
        },
        {
            "name": "sdrs_per_manager",
            "value": float(given.sdrs_per_manager),
            "source": _source(given.sdrs_per_manager, defaults.SDRS_PER_MANAGER),
        },
    ]
    for role in ROLES:
        months = given.ramp_months.get(role, Fraction(0))
        rows.append(
            {
                "name": f"ramp_months.{role}",
                "value": float(months),
                "source": _source(months, defaults.RAMP_MONTHS[role]),
            }
        )
    return rows


def _source(value: Fraction, default: defaults.Default) -> str:
    return default.source if value == default.value else "given"


def _segment(plan: Plan, name: str) -> dict[str, object]:
    segment = next(s for s in plan.input.segments if s.name == name)
    return {
        "name": name,
        "revenue_share": float(segment.revenue_share),
        "deal_size": _money(segment.deal_size),
        "cycle_days": float(segment.cycle_days),
        "cycle_months": months_from_days(segment.cycle_days),
        "outbound_share": float(segment.outbound_share),
        "attention_share": float(segment.attention_share),
        "rates": segment.rates.as_dict(),
    }


def plan_to_dict(plan: Plan) -> dict[str, object]:
    label = plan.label
    rows = [
        {
            "month": label(row.month),
            "segment": row.segment,
            "revenue": _money(row.volumes.revenue),
            "deals": _count(row.volumes.deals),
            "opportunities": _count(row.volumes.opportunities),
            "opportunities_opened_in": label(row.opportunities_month),
            "qualified_leads": _count(row.volumes.sqls),
            "mqls": _count(row.volumes.mqls),
            "leads": _count(row.volumes.leads),
            "leads_arrive_in": label(row.leads_month),
        }
        for row in plan.rows
    ]
    leads = [
        {
            "month": label(month),
            "segment": segment,
            "leads": _count(count),
            "leads_needed": math.ceil(count),
        }
        for (month, segment), count in sorted(lead_calendar(plan).items())
    ]
    staffing = {
        role: [
            {"month": label(month), "needed": _count(value), "headcount": math.ceil(value)}
            for month, value in months.items()
        ]
        for role, months in plan.staffing.items()
    }
    hires = [
        {
            "role": hire.role,
            "count": hire.count,
            "hire_by": label(hire.hire_by),
            "productive_from": label(hire.productive_from),
            "late_by_months": hire.late_by_months,
        }
        for hire in plan.hires
    ]
    return {
        "target_revenue": _money(plan.input.target_revenue),
        "start": label(0),
        "months": plan.input.months,
        "segments": [_segment(plan, s.name) for s in plan.input.segments],
        "periods": rows,
        "lead_calendar": leads,
        "staffing": staffing,
        "peak_headcount": {
            role: max((math.ceil(v) for v in months.values()), default=0)
            for role, months in plan.staffing.items()
        },
        "hires": hires,
        "assumptions": assumptions(plan),
    }


TextTable = tuple[str, list[str], list[list[str]]]
"""(title, headers, rows) for a terminal table."""


def plan_tables(data: dict) -> list[TextTable]:
    """The plan for a terminal: by month, the hires, and every assumption with its source."""
    leads: dict[str, float] = {}
    for row in data["lead_calendar"]:
        leads[row["month"]] = leads.get(row["month"], 0.0) + row["leads"]
    staffing = {
        role: {r["month"]: r["headcount"] for r in rows} for role, rows in data["staffing"].items()
    }
    by_month = []
    for month in sorted({r["month"] for r in data["periods"]} | set(leads)):
        rows = [r for r in data["periods"] if r["month"] == month]
        keys = ("revenue", "deals", "opportunities", "qualified_leads")
        by_month.append(
            [month, *(f"{sum(r[k] for r in rows):,.0f}" for k in keys)]
            + [f"{leads.get(month, 0):,.0f}"]
            + [str(staffing[role].get(month, "")) for role in ROLE_LABELS]
        )
    hires = [
        [
            ROLE_LABELS[h["role"]],
            str(h["count"]),
            h["hire_by"],
            h["productive_from"],
            str(h["late_by_months"] or ""),
        ]
        for h in data["hires"]
    ]
    notes = [[a["name"], f"{a['value']:,g}", a["source"]] for a in data["assumptions"]]
    return [
        (
            "By month (all segments; leads in the month they must arrive)",
            ["month", "revenue", "deals", "opps", "SQLs", "leads", *SHORT_LABELS.values()],
            by_month,
        ),
        ("Hiring", ["role", "hire", "by", "productive from", "late by (months)"], hires),
        ("Assumptions", ["assumption", "value", "source"], notes),
    ]
