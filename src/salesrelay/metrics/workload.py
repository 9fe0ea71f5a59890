"""Workload: open journeys against capacity per rep, and how long unassigned journeys have
waited in the queue. Pure.

Open journeys and the queue are as of now (the report's `now`); the period only counts the
journeys each rep was routed in it (`received`). A deleted rep appears while they still own
open journeys, marked deleted, so nothing they hold goes unseen.
"""

from __future__ import annotations

import numpy as np

from salesrelay.metrics import dims, reports
from salesrelay.metrics.dims import Context
from salesrelay.metrics.schemas import ReportQuery, Section
from salesrelay.metrics.table import Table

COLUMNS = ("owner", "open", "stage", "source", "employees", "routed_rep")
GROUPS = ("rep", "role", "team")
DEFAULT_GROUPS = ("rep",)
REP_COLUMNS = ("reps", "open_journeys", "capacity", "utilization", "over_capacity", "received")
QUEUE_COLUMNS = (
    "role",
    "waiting",
    "age_p50_min",
    "age_p90_min",
    "oldest_min",
    "business_age_p50_min",
    "business_age_p90_min",
)


def build(context: Context, journeys: Table, query: ReportQuery) -> tuple[list[Section], list[str]]:
    work_filters = {k: v for k, v in query.filters.items() if k in ("source", "segment", "stage")}
    rep_filters = {k: v for k, v in query.filters.items() if k in ("role", "rep", "team")}
    journey_axes = dims.Axes(
        {
            "source": lambda: dims.text_axis(journeys, "source"),
            "segment": lambda: dims.segment_axis(journeys["employees"]),
            "stage": lambda: dims.stage_axis(context, journeys, "stage"),
        }
    )
    counted = dims.mask(journey_axes, work_filters, len(journeys))
    is_open = counted & (journeys["open"] == 1)
    arrived = journeys["arrived"]
    received = counted & (arrived >= query.start_epoch) & (arrived < query.end_epoch)

    size = max(context.reps, default=0) + 1
    open_by_rep = np.bincount(_valid(journeys["owner"][is_open], size), minlength=size + 1)
    received_by_rep = np.bincount(
        _valid(journeys["routed_rep"][received], size), minlength=size + 1
    )
    rep_ids = np.asarray(
        [r.id for r in context.reps.values() if not r.deleted or open_by_rep[r.id]], dtype=np.int64
    )
    rep_axes = {
        "rep": dims.rep_axis(context, rep_ids),
        "role": dims.rep_role_axis(context, rep_ids),
        "team": dims.team_axis(context, rep_ids),
    }
    chosen = dims.mask(rep_axes, rep_filters, len(rep_ids))
    by = list(query.group_by)
    groups, labels = dims.grouping(rep_axes, by, chosen)
    reps = [context.reps[int(i)] for i in rep_ids[chosen]]
    open_n = np.asarray([open_by_rep[r.id] for r in reps], dtype=float)
    capacity = np.asarray([r.capacity for r in reps], dtype=float)
    over = open_n > capacity
    open_sum, capacity_sum = groups.sums(open_n), groups.sums(capacity)
    received_sum = groups.sums(np.asarray([received_by_rep[r.id] for r in reps], dtype=float))
    over_n, count = groups.counts(over), groups.counts()
    rows = []
    for g, label in enumerate(labels):
        rows.append(
            {
                **label,
                "reps": int(count[g]),
                "open_journeys": int(open_sum[g]),
                "capacity": int(capacity_sum[g]),
                "utilization": reports.share(open_sum[g], capacity_sum[g]),
                "over_capacity": int(over_n[g]),
                "received": int(received_sum[g]),
            }
        )
    sections = [
        Section(
            name="reps",
            title="Open journeys against capacity",
            columns=[*by, *REP_COLUMNS],
            rows=rows,
        ),
        Section(
            name="queue",
            title="Unassigned journeys waiting",
            columns=list(QUEUE_COLUMNS),
            rows=_queue(context, journeys, is_open, query),
        ),
    ]
    notes = [
        "open_journeys and the queue are as of now; received counts journeys routed to the "
        "rep that arrived in the period. utilization = open_journeys / capacity (none when "
        "capacity is 0); over_capacity counts reps above their capacity.",
    ]
    if any(r.deleted for r in reps):
        notes.append("Deleted reps are listed while they still own open journeys: reassign them.")
    return sections, notes


def _valid(rep_ids: np.ndarray, size: int) -> np.ndarray:
    """Rep ids as bincount indexes; no rep (or an unknown one) goes to the last slot."""
    return np.where((rep_ids >= 0) & (rep_ids < size), rep_ids, size)


def _queue(context: Context, journeys: Table, is_open, query: ReportQuery) -> list[dict]:
    waiting = is_open & (journeys["owner"] < 0)
    role = dims.stage_role_axis(context, journeys, "stage")
    if "role" in query.filters:
        waiting &= dims.mask({"role": role}, {"role": query.filters["role"]}, len(journeys))
    groups, labels = dims.grouping({"role": role}, ["role"], waiting)
    arrived = journeys["arrived"][waiting]
    now = np.full(len(arrived), context.now)
    age = np.maximum(now - arrived, 0.0) / 60
    business = reports.business_seconds(context.calendar, arrived, now) / 60
    everyone = np.ones(len(arrived), dtype=bool)
    age_pct = groups.percentiles(age, everyone, (50, 90, 100))
    business_pct = groups.percentiles(business, everyone, (50, 90))
    count = groups.counts()
    return [
        {
            **label,
            "waiting": int(count[g]),
            "age_p50_min": age_pct[g][0],
            "age_p90_min": age_pct[g][1],
            "oldest_min": age_pct[g][2],
            "business_age_p50_min": business_pct[g][0],
            "business_age_p90_min": business_pct[g][1],
        }
        for g, label in enumerate(labels)
        if count[g]
    ]
