"""Handoff quality: what happened to the handoffs proposed in the period, how fast they were
accepted, why they were rejected, and how the receivers rated them. Pure.

Grouped by protocol and pair of roles unless another grouping is asked for. Roles are those
that own the handoff's stages in the playbook in force: the sending role owns `from_stage`,
the receiving role `to_stage`.
"""

from __future__ import annotations

import numpy as np

from salesrelay.metrics import dims, reports
from salesrelay.metrics.dims import Axis, Context
from salesrelay.metrics.schemas import ReportQuery, Section
from salesrelay.metrics.table import Table

BASE = (
    "protocol",
    "from_stage",
    "to_stage",
    "status",
    "proposed",
    "decided",
    "accept_by",
    "reason",
    "rating",
    "reoffer",
)
BY_DIMENSION = {
    "rep": ("receiver",),
    "team": ("receiver",),
    "receiver": ("receiver",),
    "sender": ("sender",),
    "source": ("source",),
    "segment": ("employees",),
}
EXTRA_GROUPS = ("protocol", "pair", "sender", "receiver")
DEFAULT_GROUPS = ("protocol", "pair")
SUMMARY_COLUMNS = (
    "proposed",
    "accepted",
    "rejected",
    "expired",
    "pending",
    "acceptance_rate",
    "accepted_late",
    "latency_p50_min",
    "latency_p90_min",
    "latency_mean_min",
    "business_latency_p50_min",
    "business_latency_p90_min",
    "business_latency_mean_min",
    "rated",
    "average_rating",
    "reoffers",
)


def wanted(query: ReportQuery) -> dict[str, tuple[str, ...]]:
    return {"handoffs": dims.needed(BASE, BY_DIMENSION, query)}


def axes(context: Context, handoffs: Table) -> dims.Axes:
    sending = dims.stage_role_axis(context, handoffs, "from_stage")
    receiving = dims.stage_role_axis(context, handoffs, "to_stage")
    size = len(context.roles) + 1
    pair_codes = (sending.codes + 1) * size + (receiving.codes + 1)

    def pair_label(code: int) -> str:
        return f"{sending.label(code // size - 1)} → {receiving.label(code % size - 1)}"

    def pair_match(value: str) -> list[int]:
        left, _, right = value.replace("->", "→").partition("→")
        left_code = sending.match(left.strip())[0]
        right_code = receiving.match(right.strip())[0]
        return [(left_code + 1) * size + right_code + 1]

    return dims.Axes(
        {
            "role": lambda: sending,
            "rep": lambda: dims.rep_axis(context, handoffs["receiver"]),
            "team": lambda: dims.team_axis(context, handoffs["receiver"]),
            "source": lambda: dims.text_axis(handoffs, "source"),
            "segment": lambda: dims.segment_axis(handoffs["employees"]),
            "stage": lambda: dims.stage_axis(context, handoffs, "from_stage"),
            "protocol": lambda: dims.text_axis(handoffs, "protocol"),
            "pair": lambda: Axis(pair_codes, pair_label, pair_match),
            "sender": lambda: dims.rep_axis(context, handoffs["sender"]),
            "receiver": lambda: dims.rep_axis(context, handoffs["receiver"]),
        }
    )


def build(context: Context, handoffs: Table, query: ReportQuery) -> tuple[list[Section], list[str]]:
    proposed_at = handoffs["proposed"]
    every = axes(context, handoffs)
    population = (proposed_at >= query.start_epoch) & (proposed_at < query.end_epoch)
    population &= dims.mask(every, query.filters, len(handoffs))
    chosen = handoffs.take(population)
    by = list(query.group_by)
    groups, labels = dims.grouping(every, by, population)

    status = {
        name: chosen.isin("status", [name])
        for name in ("accepted", "rejected", "expired", "proposed")
    }
    accepted = status["accepted"]
    late = accepted & (chosen["decided"] > chosen["accept_by"])
    latency = (chosen["decided"] - chosen["proposed"]) / 60
    business = np.full(len(chosen), np.nan)
    business[accepted] = (
        reports.business_seconds(
            context.calendar, chosen["proposed"][accepted], chosen["decided"][accepted]
        )
        / 60
    )
    rated = chosen["rating"] > 0
    counts = {name: groups.counts(flags) for name, flags in status.items()}
    total, late_n, rated_n = groups.counts(), groups.counts(late), groups.counts(rated)
    reoffers = groups.counts(chosen["reoffer"] == 1)
    latency_pct, business_pct = groups.percentiles_of([latency, business], accepted, (50, 90))
    latency_sum, business_sum = groups.sums(latency, accepted), groups.sums(business, accepted)
    rating_sum = groups.sums(chosen["rating"].astype(float), rated)

    rows = []
    for g, label in enumerate(labels):
        n_accepted = int(counts["accepted"][g])
        decided = n_accepted + int(counts["rejected"][g]) + int(counts["expired"][g])
        rows.append(
            {
                **label,
                "proposed": int(total[g]),
                "accepted": n_accepted,
                "rejected": int(counts["rejected"][g]),
                "expired": int(counts["expired"][g]),
                "pending": int(counts["proposed"][g]),
                "acceptance_rate": reports.share(n_accepted, decided),
                "accepted_late": int(late_n[g]),
                "latency_p50_min": latency_pct[g][0],
                "latency_p90_min": latency_pct[g][1],
                "latency_mean_min": latency_sum[g] / n_accepted if n_accepted else None,
                "business_latency_p50_min": business_pct[g][0],
                "business_latency_p90_min": business_pct[g][1],
                "business_latency_mean_min": business_sum[g] / n_accepted if n_accepted else None,
                "rated": int(rated_n[g]),
                "average_rating": reports.share(rating_sum[g], int(rated_n[g])),
                "reoffers": int(reoffers[g]),
            }
        )
    sections = [
        Section(name="summary", title="Handoffs", columns=[*by, *SUMMARY_COLUMNS], rows=rows),
        Section(
            name="rejections",
            title="Rejection reasons",
            columns=[*by, "reason", "rejected", "share"],
            rows=_reasons(chosen, status["rejected"], groups, labels, counts["rejected"]),
        ),
    ]
    notes = [
        "Handoffs proposed in the period. acceptance_rate = accepted / (accepted + rejected "
        "+ expired); latency is proposal to acceptance, accepted handoffs only.",
        "average_rating is over rated handoffs (1-5, by the receiver).",
    ]
    return sections, notes


def _reasons(chosen: Table, rejected, groups, labels, rejected_n) -> list[dict]:
    reason = chosen["reason"][rejected]
    index = groups.index[rejected]
    vocab = chosen.vocab["reason"]
    rows = []
    if not rejected.any():
        return rows
    pairs, counts = np.unique(np.stack([index, reason], axis=1), axis=0, return_counts=True)
    for (g, code), n in zip(pairs.tolist(), counts.tolist(), strict=True):
        rows.append(
            {
                **labels[g],
                "reason": vocab[code] if code >= 0 else dims.NONE_LABEL,
                "rejected": n,
                "share": reports.share(n, int(rejected_n[g])),
            }
        )
    return rows
