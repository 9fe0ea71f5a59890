"""Focus: how much of each rep's recorded work falls outside their primary role. Pure.

Work is what the event log records a rep doing in the period: touches, stage moves, and
handoffs proposed, accepted or rejected. Each piece belongs to the role that owns the stage
it was done in (a touch on a `new` lead is inbound-qualification work; accepting a handoff
into `discovery` is closing work). A rep whose outside share passes the threshold (20% by
default) is flagged: "break a function out once it takes more than ~20% of someone's time"
(Ross & Tyler, Predictable Revenue, 2011; Ross & Lemkin, From Impossible to Inevitable,
2016) — the signal to give that work to a specialist.
"""

from __future__ import annotations

import numpy as np

from salesrelay.metrics import dims, reports
from salesrelay.metrics.dims import Context
from salesrelay.metrics.schemas import ReportQuery, Section
from salesrelay.metrics.table import Table

COLUMNS = ("at", "rep", "action", "stage", "source", "employees")
GROUPS = ("rep", "role", "team")
DEFAULT_GROUPS = ("rep",)
REP_COLUMNS = (
    "reps",
    "work",
    "touches",
    "transitions",
    "handoffs",
    "outside",
    "outside_share",
    "top_outside_role",
    "top_outside_share",
    "flagged",
)
TEAM_COLUMNS = ("team", "reps", "reps_with_work", "work", "outside", "outside_share", "flagged")


def build(context: Context, work: Table, query: ReportQuery) -> tuple[list[Section], list[str]]:
    at = work["at"]
    work_axes = dims.Axes(
        {
            "source": lambda: dims.text_axis(work, "source"),
            "segment": lambda: dims.segment_axis(work["employees"]),
            "stage": lambda: dims.stage_axis(context, work, "stage"),
        }
    )
    work_filters = {k: v for k, v in query.filters.items() if k in work_axes}
    chosen = (at >= query.start_epoch) & (at < query.end_epoch) & (work["rep"] >= 0)
    chosen &= dims.mask(work_axes, work_filters, len(work))
    rep = work["rep"][chosen]
    work_role = dims.stage_role_axis(context, work, "stage").codes[chosen]
    primary = dims.rep_role_axis(context, rep).codes
    outside = (work_role >= 0) & (work_role != primary)

    size = max([*context.reps, int(rep.max()) if len(rep) else 0]) + 1
    roles = len(context.roles)
    total = np.bincount(rep, minlength=size)
    outside_n = np.bincount(rep[outside], minlength=size)
    by_role = np.bincount(rep[outside] * roles + work_role[outside], minlength=size * roles)
    by_role = by_role.reshape(size, roles)
    kinds = {
        name: np.bincount(rep[work.isin("action", codes)[chosen]], minlength=size)
        for name, codes in (
            ("touches", ["touch"]),
            ("transitions", ["transition"]),
            ("handoffs", ["handoff_proposed", "handoff_accepted", "handoff_rejected"]),
        )
    }

    rep_ids = np.asarray(
        [r.id for r in context.reps.values() if not r.deleted or total[r.id]], dtype=np.int64
    )
    rep_axes = {
        "rep": dims.rep_axis(context, rep_ids),
        "role": dims.rep_role_axis(context, rep_ids),
        "team": dims.team_axis(context, rep_ids),
    }
    keep = dims.mask(
        rep_axes, {k: v for k, v in query.filters.items() if k in rep_axes}, len(rep_ids)
    )
    ids = rep_ids[keep]
    shares = np.divide(outside_n[ids], total[ids], out=np.zeros(len(ids)), where=total[ids] > 0)
    flagged = (total[ids] > 0) & (shares > query.threshold)
    by = list(query.group_by)
    groups, labels = dims.grouping(rep_axes, by, keep)

    def summed(values) -> np.ndarray:
        return groups.sums(np.asarray(values, dtype=float))

    work_sum, outside_sum = summed(total[ids]), summed(outside_n[ids])
    kind_sums = {name: summed(counts[ids]) for name, counts in kinds.items()}
    role_sums = np.stack([summed(by_role[ids, r]) for r in range(roles)], axis=1) if roles else None
    flagged_n, count = groups.counts(flagged), groups.counts()
    rows = []
    for g, label in enumerate(labels):
        top = int(np.argmax(role_sums[g])) if role_sums is not None and outside_sum[g] else None
        rows.append(
            {
                **label,
                "reps": int(count[g]),
                "work": int(work_sum[g]),
                **{name: int(sums[g]) for name, sums in kind_sums.items()},
                "outside": int(outside_sum[g]),
                "outside_share": reports.share(outside_sum[g], work_sum[g]),
                "top_outside_role": context.roles[top] if top is not None else None,
                "top_outside_share": reports.share(role_sums[g][top], work_sum[g])
                if top is not None
                else None,
                "flagged": int(flagged_n[g]),
            }
        )
    team_rows = _teams(context, ids, total[ids], outside_n[ids], flagged)
    sections = [
        Section(
            name="reps",
            title="Work outside the primary role",
            columns=[*by, *REP_COLUMNS],
            rows=rows,
        ),
        Section(name="team", title="Team picture", columns=list(TEAM_COLUMNS), rows=team_rows),
    ]
    notes = [
        f"outside_share = work in stages owned by another role / all work in the period; "
        f"flagged when above {query.threshold:.0%} (Ross & Tyler 2011, Ross & Lemkin 2016: "
        "specialize a function once it takes more than ~20% of someone's time).",
        "A rep with no recorded work has outside_share none and is never flagged.",
    ]
    return sections, notes


def _teams(context: Context, ids, total, outside, flagged) -> list[dict]:
    axis = dims.team_axis(context, ids)
    groups = reports.Groups([axis.codes], len(ids))
    work, out = groups.sums(total.astype(float)), groups.sums(outside.astype(float))
    with_work, flags, count = groups.counts(total > 0), groups.counts(flagged), groups.counts()
    rows = [
        {
            "team": axis.label(key[0]),
            "reps": int(count[g]),
            "reps_with_work": int(with_work[g]),
            "work": int(work[g]),
            "outside": int(out[g]),
            "outside_share": reports.share(out[g], work[g]),
            "flagged": int(flags[g]),
        }
        for g, key in enumerate(groups.keys)
    ]
    if rows:
        rows.append(
            {
                "team": "all",
                "reps": len(ids),
                "reps_with_work": int((total > 0).sum()),
                "work": int(total.sum()),
                "outside": int(outside.sum()),
                "outside_share": reports.share(int(outside.sum()), int(total.sum())),
                "flagged": int(flagged.sum()),
            }
        )
    return rows
