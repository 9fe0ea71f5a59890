"""SLA compliance: the promises that fell due in the period, kept or broken, per policy, and
how far up each escalation ladder they went. Pure.

A clock belongs to the period its deadline (`due_at`) falls in: a promise is judged when it
is due. Recycle clocks (a nurtured lead's return date) are not promises and are left out.
"""

from __future__ import annotations

from salesrelay.metrics import dims, reports
from salesrelay.metrics.dims import Context
from salesrelay.metrics.schemas import ReportQuery, Section
from salesrelay.metrics.table import Table
from salesrelay.playbook.schema import parse_escalation_offset

COLUMNS = (
    "clock",
    "policy",
    "clock_kind",
    "stage",
    "rep",
    "status",
    "due",
    "stopped",
    "steps",
    "source",
    "employees",
)
EXTRA_GROUPS = ("policy",)
DEFAULT_GROUPS = ("policy",)
NOT_PROMISES = ("recycle",)
SUMMARY_COLUMNS = (
    "clocks",
    "met",
    "missed",
    "overdue",
    "pending",
    "cancelled",
    "decided",
    "compliance",
    "breaches",
    "late_p50_min",
    "late_p90_min",
)


def axes(context: Context, clocks: Table) -> dims.Axes:
    return dims.Axes(
        {
            "role": lambda: dims.stage_role_axis(context, clocks, "stage"),
            "rep": lambda: dims.rep_axis(context, clocks["rep"]),
            "team": lambda: dims.team_axis(context, clocks["rep"]),
            "source": lambda: dims.text_axis(clocks, "source"),
            "segment": lambda: dims.segment_axis(clocks["employees"]),
            "stage": lambda: dims.stage_axis(context, clocks, "stage"),
            "policy": lambda: dims.text_axis(clocks, "policy"),
        }
    )


def ladder(context: Context, policy_id: str) -> list[str]:
    """The actions of a policy's escalation steps in the order clocks take them: the breach
    first among steps at the same moment, as the clock planner orders them."""
    policy = context.playbook.sla.get(policy_id)
    if policy is None:
        return []
    allowed = policy.within_minutes or 1.0
    steps = [(allowed, 0, "breach")] + [
        (parse_escalation_offset(step.at, allowed_minutes=allowed), 1, step.action)
        for step in policy.escalation
    ]
    return [action for _, _, action in sorted(steps, key=lambda s: s[:2])]


def build(context: Context, clocks: Table, query: ReportQuery) -> tuple[list[Section], list[str]]:
    due = clocks["due"]
    every = axes(context, clocks)
    population = (due >= query.start_epoch) & (due < query.end_epoch)
    population &= ~clocks.isin("clock_kind", NOT_PROMISES)
    population &= dims.mask(every, query.filters, len(clocks))
    chosen = clocks.take(population)
    by = list(query.group_by)
    groups, labels = dims.grouping(every, by, population)

    is_status = {
        name: chosen.isin("status", [name]) for name in ("met", "missed", "running", "cancelled")
    }
    overdue = is_status["running"] & (chosen["due"] <= context.now)
    pending = is_status["running"] & ~overdue
    missed = is_status["missed"]
    late = (chosen["stopped"] - chosen["due"]) / 60
    count = {name: groups.counts(flags) for name, flags in is_status.items()}
    overdue_n, pending_n, total = groups.counts(overdue), groups.counts(pending), groups.counts()
    late_pct = groups.percentiles(late, missed, (50, 90))

    rows = []
    for g, label in enumerate(labels):
        met = int(count["met"][g])
        decided = met + int(count["missed"][g]) + int(overdue_n[g])
        rows.append(
            {
                **label,
                "clocks": int(total[g]),
                "met": met,
                "missed": int(count["missed"][g]),
                "overdue": int(overdue_n[g]),
                "pending": int(pending_n[g]),
                "cancelled": int(count["cancelled"][g]),
                "decided": decided,
                "compliance": reports.share(met, decided),
                "breaches": decided - met,
                "late_p50_min": late_pct[g][0],
                "late_p90_min": late_pct[g][1],
            }
        )
    sections = [
        Section(name="summary", title="SLA compliance", columns=[*by, *SUMMARY_COLUMNS], rows=rows),
        Section(
            name="steps",
            title="Escalation steps reached",
            columns=[
                *by,
                *[c for c in ("policy", "step", "action", "reached", "share") if c not in by],
            ],
            rows=_steps(context, chosen, ~is_status["cancelled"], groups, labels),
        ),
    ]
    notes = [
        "Clocks due in the period. compliance = met / decided, where decided = met + missed "
        "+ overdue (still running past the deadline); breaches = decided - met.",
        "steps: clocks (not cancelled) that went through each escalation step, in ladder "
        "order; share is of the policy's clocks in the group.",
    ]
    return sections, notes


def _steps(context: Context, chosen: Table, counted, groups, labels) -> list[dict]:
    rows = []
    policy_codes = chosen["policy"]
    for code, policy_id in enumerate(chosen.vocab["policy"]):
        of_policy = counted & (policy_codes == code)
        if not of_policy.any():
            continue
        actions = ladder(context, policy_id)
        most = int(chosen["steps"][of_policy].max())
        actions += [f"step {i + 1}" for i in range(len(actions), most)]
        clocks_n = groups.counts(of_policy)
        for step, action in enumerate(actions):
            reached = groups.counts(of_policy & (chosen["steps"] > step))
            for g, label in enumerate(labels):
                if clocks_n[g]:
                    rows.append(
                        {
                            **label,
                            "policy": policy_id,
                            "step": step + 1,
                            "action": action,
                            "reached": int(reached[g]),
                            "share": reports.share(int(reached[g]), int(clocks_n[g])),
                        }
                    )
    if labels and labels[0]:
        rows.sort(key=lambda r: tuple(str(r[k]) for k in labels[0]))
    return rows
