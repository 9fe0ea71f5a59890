"""The funnel: stage-to-stage conversion, time in stage, and what each originating role's
pipeline became. Pure: facts in, sections out.

Two bases (docs/metrics.md explains when to use which):
- cohort: the journeys that *arrived* in the period, followed to today. Conversion A → B is
  the share of stays in A that went on to B; recent cohorts have not finished yet.
- activity: the work *done* in the period, whatever the arrival: stays that began, stays
  that ended (and where they went), time in stage of stays that ended in the period.
"""

from __future__ import annotations

import numpy as np

from salesrelay.metrics import dims, reports
from salesrelay.metrics.dims import Context
from salesrelay.metrics.schemas import ReportQuery, Section
from salesrelay.metrics.table import Table

VISIT_BASE = ("stage", "entered", "left", "next")
VISIT_BY_DIMENSION = {
    "rep": ("rep",),
    "team": ("rep",),
    "source": ("source",),
    "segment": ("employees",),
}
JOURNEY_BASE = ("entry", "journey_kind", "value")
JOURNEY_BY_DIMENSION = {"source": ("source",), "segment": ("employees",)}
STAGE_COLUMNS = (
    "stage",
    "role",
    "entered",
    "left",
    "still_in_stage",
    "hours_p50",
    "hours_p90",
    "hours_mean",
    "business_hours_p50",
    "business_hours_p90",
    "business_hours_mean",
)
ORIGIN_COLUMNS = (
    "originating_role",
    "journeys",
    "pipeline",
    "pipeline_share",
    "won",
    "closed_lost",
    "win_rate",
    "revenue_won",
    "renewals_expansions",
    "churned",
    "retained_value",
)
POST_SALE_KINDS = ("renewal", "expansion")
ENDINGS_WITHOUT_A_WIN = ("lost", "disqualified", "nurture")


def wanted(query: ReportQuery) -> dict[str, tuple[str, ...]]:
    return {
        "journeys": dims.needed(JOURNEY_BASE, JOURNEY_BY_DIMENSION, query),
        "visits": dims.needed(VISIT_BASE, VISIT_BY_DIMENSION, query),
    }


def build(
    context: Context, journeys: Table, visits: Table, query: ReportQuery
) -> tuple[list[Section], list[str]]:
    activity = query.basis == "activity"
    start, end = query.start_epoch, query.end_epoch
    entered, left = visits["entered"], visits["left"]
    axes = dims.Axes(
        {
            "role": lambda: dims.stage_role_axis(context, visits, "stage"),
            "rep": lambda: dims.rep_axis(context, visits["rep"]),
            "team": lambda: dims.team_axis(context, visits["rep"]),
            "source": lambda: dims.text_axis(visits, "source"),
            "segment": lambda: dims.segment_axis(visits["employees"]),
            "stage": lambda: dims.stage_axis(context, visits, "stage"),
            "next": lambda: dims.stage_axis(context, visits, "next"),
        }
    )
    keep = dims.mask(axes, query.filters, len(visits))
    has_left = ~np.isnan(left)
    if activity:
        began = keep & (entered >= start) & (entered < end)
        ended = keep & has_left & (left >= start) & (left < end)
        still = keep & (entered < end) & (~has_left | (left >= end))
    else:
        arrived = visits["arrived"]
        keep &= (arrived >= start) & (arrived < end)
        began, ended, still = keep, keep & has_left, keep & ~has_left
    by = [d for d in query.group_by if d != "stage"]
    selected = began | ended | still
    groups, labels = dims.grouping(axes, [*by, "stage"], selected)

    # Time in stage: stays that ended, each with its group.
    of_ended = groups.index[ended[selected]]
    since, until = entered[ended], left[ended]
    hours = (until - since) / 3600
    business = reports.business_seconds(context.calendar, since, until) / 3600
    began_n, still_n = groups.counts(began[selected]), groups.counts(still[selected])
    ended_n = np.bincount(of_ended, minlength=len(groups))
    hours_pct, business_pct = groups.percentiles_by(of_ended, [hours, business], (50, 90))
    hours_sum = np.bincount(of_ended, weights=hours, minlength=len(groups))
    business_sum = np.bincount(of_ended, weights=business, minlength=len(groups))
    stage_rows = []
    for g, label in enumerate(labels):
        n = int(ended_n[g])
        stage_rows.append(
            {
                **label,
                "role": context.stage_role(label["stage"]),
                "entered": int(began_n[g]),
                "left": n,
                "still_in_stage": int(still_n[g]),
                "hours_p50": hours_pct[g][0],
                "hours_p90": hours_pct[g][1],
                "hours_mean": hours_sum[g] / n if n else None,
                "business_hours_p50": business_pct[g][0],
                "business_hours_p90": business_pct[g][1],
                "business_hours_mean": business_sum[g] / n if n else None,
            }
        )
    moves = _transitions(axes, by, ended, began_n if not activity else ended_n, groups, labels)
    sections = [
        Section(name="stages", title="Stages", columns=[*by, *STAGE_COLUMNS], rows=stage_rows),
        Section(
            name="transitions",
            title="Stage to stage",
            columns=[*by, "stage", "next", "moved", "rate"],
            rows=moves,
        ),
        Section(
            name="origins",
            title="Pipeline and revenue by originating role",
            columns=[*[d for d in by if d in ("source", "segment")], *ORIGIN_COLUMNS],
            rows=_origins(context, journeys, visits, query),
        ),
    ]
    rate = (
        "rate = moved / stays that ended in the stage in the period (where the work went)"
        if activity
        else "rate = moved / stays in the stage (of journeys that arrived in the period)"
    )
    notes = [
        f"basis: {query.basis}. {rate}.",
        "Time in stage counts finished stays only, in wall-clock and business hours.",
        "origins: pipeline = reached an opportunity stage; win_rate = won / (won + "
        "closed_lost); revenue_won sums contract_value of won journeys.",
    ]
    return sections, notes


def _transitions(axes, by, ended, denominators, groups, labels) -> list[dict]:
    """Rows per (group, stage, next stage) over stays that ended, with the rate against
    the stage's denominator in the same group."""
    if not ended.any():
        return []
    moved, moved_labels = dims.grouping(axes, [*by, "stage", "next"], ended)
    position = {tuple(label.values()): g for g, label in enumerate(labels)}
    counts = moved.counts()
    rows = []
    for g, label in enumerate(moved_labels):
        stage_key = tuple(v for k, v in label.items() if k != "next")
        denominator = int(denominators[position[stage_key]]) if stage_key in position else 0
        rows.append(
            {**label, "moved": int(counts[g]), "rate": reports.share(int(counts[g]), denominator)}
        )
    return rows


def opportunity_stages(context: Context) -> set[str]:
    """Stages owned by a closing role; without one (a generalist playbook), the working
    stages at least two moves from an entry stage."""
    playbook = context.playbook
    closing = {
        s.id
        for s in playbook.stages
        if context.role_function(s.role) == "closing" and s.terminal is None
    }
    if closing:
        return closing
    entries = {playbook.entry.default, *playbook.entry.by_source.values()}
    next_to_entry = {t.to for t in playbook.transitions if t.from_ in entries}
    return {
        s.id
        for s in playbook.stages
        if s.terminal is None and not s.post_sale and s.id not in entries | next_to_entry
    }


def _journey_of_stays(journeys: Table, visits: Table) -> tuple[np.ndarray, bool]:
    """The row in `journeys` of each stay (-1 if none), and whether each journey's stays
    are one run in time order — true by construction (a journey is replayed whole, and
    its facts are stored and replaced together), checked here in one pass."""
    ids, owners = journeys["journey"], visits["journey"]
    if not len(owners):
        return np.zeros(0, dtype=np.intp), True
    change = np.r_[True, owners[1:] != owners[:-1]]
    if int(change.sum()) == len(ids) and np.array_equal(owners[change], ids):
        return np.cumsum(change) - 1, True
    if not len(ids):
        return np.full(len(owners), -1, dtype=np.intp), False
    order = np.argsort(ids, kind="stable")
    row = order[np.minimum(np.searchsorted(ids[order], owners), len(ids) - 1)]
    return np.where(ids[row] == owners, row, -1), False


def _entry(rows: int, visits: Table, row_of, runs: bool, stages: set[str], *, last=False):
    """For each journey row, when it first (or last) entered one of `stages`; NaN if never."""
    found = np.full(rows, np.nan)
    chosen = visits.isin("stage", stages) & (row_of >= 0)
    row, times = row_of[chosen], visits["entered"][chosen]
    if not len(row):
        return found
    if runs:  # stays in order: the first (last) of each journey's chosen stays
        edge = np.r_[row[1:] != row[:-1], True] if last else np.r_[True, row[1:] != row[:-1]]
        found[row[edge]] = times[edge]
        return found
    found[:] = -np.inf if last else np.inf
    (np.maximum if last else np.minimum).at(found, row, times)
    found[np.isinf(found)] = np.nan
    return found


def _origins(context: Context, journeys: Table, visits: Table, query: ReportQuery) -> list[dict]:
    start, end = query.start_epoch, query.end_epoch
    row_of, runs = _journey_of_stays(journeys, visits)
    playbook = context.playbook
    won_stages = {s.id for s in playbook.stages if s.terminal == "won"}
    lost_stages = {s.id for s in playbook.stages if s.terminal in ENDINGS_WITHOUT_A_WIN}
    churn_stages = {s.id for s in playbook.stages if s.terminal == "lost" and s.post_sale}
    rows = len(journeys)
    pipeline_at = _entry(rows, visits, row_of, runs, opportunity_stages(context))
    won_at = _entry(rows, visits, row_of, runs, won_stages)
    ended_at = _entry(rows, visits, row_of, runs, lost_stages, last=True)
    churned_at = _entry(rows, visits, row_of, runs, churn_stages)

    def when(times: np.ndarray) -> np.ndarray:
        if query.basis == "activity":
            return (times >= start) & (times < end)
        return ~np.isnan(times)

    arrived = (journeys["arrived"] >= start) & (journeys["arrived"] < end)
    axes = dims.Axes(
        {
            "source": lambda: dims.text_axis(journeys, "source"),
            "segment": lambda: dims.segment_axis(journeys["employees"]),
            "originating_role": lambda: dims.stage_role_axis(context, journeys, "entry"),
        }
    )
    filters = {k: v for k, v in query.filters.items() if k in ("source", "segment")}
    keep = dims.mask(axes, filters, len(journeys))
    if "role" in query.filters:
        keep &= dims.mask(
            {"role": axes["originating_role"]}, {"role": query.filters["role"]}, len(journeys)
        )
    population = keep & (arrived if query.basis == "cohort" else np.ones_like(keep))
    pipeline = population & when(pipeline_at)
    won = population & when(won_at)
    closed_lost = population & (pipeline_at <= ended_at) & np.isnan(won_at) & when(ended_at)
    post_sale = population & arrived & journeys.isin("journey_kind", POST_SALE_KINDS)
    churned = population & when(churned_at)
    value = np.nan_to_num(journeys["value"])
    by = [d for d in query.group_by if d in ("source", "segment")]
    selected = population & (arrived | pipeline | won | closed_lost | churned)
    groups, labels = dims.grouping(axes, [*by, "originating_role"], selected)

    def count(flags):
        return groups.counts(flags[selected])

    journeys_n, pipeline_n, won_n = count(population & arrived), count(pipeline), count(won)
    lost_n, post_n, churn_n = count(closed_lost), count(post_sale), count(churned)
    revenue = groups.sums(value[selected], won[selected])
    retained = groups.sums(value[selected], (post_sale & np.isnan(churned_at))[selected])
    rows = []
    for g, label in enumerate(labels):
        rows.append(
            {
                **label,
                "journeys": int(journeys_n[g]),
                "pipeline": int(pipeline_n[g]),
                "pipeline_share": reports.share(int(pipeline_n[g]), int(journeys_n[g])),
                "won": int(won_n[g]),
                "closed_lost": int(lost_n[g]),
                "win_rate": reports.share(int(won_n[g]), int(won_n[g] + lost_n[g])),
                "revenue_won": float(revenue[g]),
                "renewals_expansions": int(post_n[g]),
                "churned": int(churn_n[g]),
                "retained_value": float(retained[g]),
            }
        )
    return rows
