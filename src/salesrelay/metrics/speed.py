"""Speed to lead: from a lead's arrival to its first touch. Pure: facts in, sections out.

Population: journeys that came in as leads (a `lead.received` event) and arrived in the
period. A lead touched after the period ends still counts as touched: the period picks the
leads, not the answers. Clocks: wall-clock minutes, and business minutes on the playbook's
calendar (the clock the first-touch SLA runs on).
"""

from __future__ import annotations

import numpy as np

from salesrelay.metrics import dims, reports
from salesrelay.metrics.dims import Context
from salesrelay.metrics.schemas import ReportQuery, Section
from salesrelay.metrics.table import Table

BASE = ("arrived", "touched", "due", "lead", "open")
BY_DIMENSION = {
    "role": ("entry",),
    "stage": ("entry",),
    "rep": ("touch_rep", "owner"),
    "team": ("touch_rep", "owner"),
    "source": ("source",),
    "segment": ("employees",),
}
HISTOGRAM_MINUTES = (0, 5, 10, 30, 60, 240, 1440)
"""Bucket edges: 5 and 30 minutes (Lead Response Management study), 1 and 24 hours (HBR 2011)."""
SUMMARY_COLUMNS = (
    "leads",
    "touched",
    "never_touched",
    "waiting",
    "wall_p50_min",
    "wall_p90_min",
    "wall_p99_min",
    "wall_mean_min",
    "business_p50_min",
    "business_p90_min",
    "business_p99_min",
    "business_mean_min",
    "sla_decided",
    "within_sla",
    "within_sla_share",
)
HBR_2011 = (("within 1h", 0.37), ("1h-24h", 0.16), ("over 24h", 0.24), ("never", 0.23))
"""Oldroyd, McElheran & Elkington, "The Short Life of Online Sales Leads", HBR, March 2011:
how 2,241 US firms answered a web lead."""


def wanted(query: ReportQuery) -> dict[str, tuple[str, ...]]:
    return {"journeys": dims.needed(BASE, BY_DIMENSION, query)}


def axes(context: Context, journeys: Table) -> dims.Axes:
    def responsible() -> np.ndarray:
        touched = ~np.isnan(journeys["touched"]) & (journeys["touch_rep"] >= 0)
        return np.where(touched, journeys["touch_rep"], journeys["owner"])

    return dims.Axes(
        {
            "role": lambda: dims.stage_role_axis(context, journeys, "entry"),
            "rep": lambda: dims.rep_axis(context, responsible()),
            "team": lambda: dims.team_axis(context, responsible()),
            "source": lambda: dims.text_axis(journeys, "source"),
            "segment": lambda: dims.segment_axis(journeys["employees"]),
            "stage": lambda: dims.stage_axis(context, journeys, "entry"),
        }
    )


def build(context: Context, journeys: Table, query: ReportQuery) -> tuple[list[Section], list[str]]:
    arrived = journeys["arrived"]
    population = (
        (journeys["lead"] == 1) & (arrived >= query.start_epoch) & (arrived < query.end_epoch)
    )
    every = axes(context, journeys)
    population &= dims.mask(every, query.filters, len(journeys))
    leads = journeys.take(population)
    groups, labels = dims.grouping(every, query.group_by, population)

    touched_at, due = leads["touched"], leads["due"]
    touched = ~np.isnan(touched_at)
    wall = np.maximum(touched_at - leads["arrived"], 0.0) / 60
    business = np.full(len(leads), np.nan)
    business[touched] = (
        reports.business_seconds(context.calendar, leads["arrived"][touched], touched_at[touched])
        / 60
    )
    has_due = ~np.isnan(due)
    within = touched & has_due & (touched_at <= due)
    decided = has_due & (touched | (due <= context.now))
    waiting = ~touched & (leads["open"] == 1)

    count, touched_n = groups.counts(), groups.counts(touched)
    within_n, decided_n, waiting_n = (
        groups.counts(within),
        groups.counts(decided),
        groups.counts(waiting),
    )
    wall_pct, business_pct = groups.percentiles_of([wall, business], touched)
    wall_sum, business_sum = groups.sums(wall, touched), groups.sums(business, touched)

    index = groups.index[touched]
    wall_hist = reports.grouped_histogram(index, wall[touched], HISTOGRAM_MINUTES, len(groups))
    business_hist = reports.grouped_histogram(
        index, business[touched], HISTOGRAM_MINUTES, len(groups)
    )
    rows, histogram_rows = [], []
    for g, label in enumerate(labels):
        rows.append(
            {
                **label,
                "leads": int(count[g]),
                "touched": int(touched_n[g]),
                "never_touched": int(count[g] - touched_n[g]),
                "waiting": int(waiting_n[g]),
                **_percentile_columns("wall", wall_pct[g], wall_sum[g], touched_n[g]),
                **_percentile_columns("business", business_pct[g], business_sum[g], touched_n[g]),
                "sla_decided": int(decided_n[g]),
                "within_sla": int(within_n[g]),
                "within_sla_share": reports.share(within_n[g], decided_n[g]),
            }
        )
        histogram_rows += _histogram(label, wall_hist[g], business_hist[g], int(count[g]))
    group_columns = list(query.group_by)
    sections = [
        Section(
            name="summary",
            title="Speed to lead",
            columns=[*group_columns, *SUMMARY_COLUMNS],
            rows=rows,
        ),
        Section(
            name="histogram",
            title="First touch after arrival (minutes)",
            columns=[*group_columns, "bucket", "wall", "wall_share", "business", "business_share"],
            rows=histogram_rows,
        ),
        Section(
            name="hbr",
            title="Compared with HBR 2011 (wall clock)",
            columns=["answered", "share", "hbr_2011_share"],
            rows=_hbr(wall[touched], len(leads)),
        ),
    ]
    notes = [
        "Minutes from arrival to the first touch; 'business' counts only the playbook's "
        "business hours. Percentiles are over touched leads (NumPy's linear method).",
        "within_sla_share = leads touched by their first-touch deadline / leads whose "
        "deadline is decided (touched, or passed untouched).",
    ]
    if not len(leads):
        notes.append("No leads arrived in the period (with these filters): nothing to measure.")
    return sections, notes


def _percentile_columns(clock: str, found: list, total: float, count: int) -> dict:
    p50, p90, p99 = found
    return {
        f"{clock}_p50_min": p50,
        f"{clock}_p90_min": p90,
        f"{clock}_p99_min": p99,
        f"{clock}_mean_min": total / count if count else None,
    }


def _histogram(
    label: dict, wall_counts: np.ndarray, business_counts: np.ndarray, leads: int
) -> list[dict]:
    edges = [*HISTOGRAM_MINUTES, None]
    rows = []
    for index, low in enumerate(HISTOGRAM_MINUTES):
        rows.append(
            {
                **label,
                "bucket": reports.bucket_label(low, edges[index + 1]),
                "wall": int(wall_counts[index]),
                "wall_share": reports.share(int(wall_counts[index]), leads),
                "business": int(business_counts[index]),
                "business_share": reports.share(int(business_counts[index]), leads),
            }
        )
    never = leads - int(wall_counts.sum())
    rows.append(
        {
            **label,
            "bucket": "never",
            "wall": never,
            "wall_share": reports.share(never, leads),
            "business": never,
            "business_share": reports.share(never, leads),
        }
    )
    return rows


def _hbr(wall: np.ndarray, leads: int) -> list[dict]:
    within_hour = int((wall < 60).sum())
    within_day = int(((wall >= 60) & (wall < 1440)).sum())
    later = int((wall >= 1440).sum())
    ours = (within_hour, within_day, later, leads - len(wall))
    return [
        {"answered": name, "share": reports.share(n, leads), "hbr_2011_share": hbr}
        for (name, hbr), n in zip(HBR_2011, ours, strict=True)
    ]
