"""The dashboard's charts: metrics reports (computed by salesrelay.metrics) turned into
Plotly figure specs, each point carrying the link to the journeys behind it. Pure: reports
and names in, plain dicts out; charts.js draws them with the Plotly bundled in the package."""

from __future__ import annotations

from typing import Any

from salesrelay.metrics.schemas import Report
from salesrelay.metrics.speed import HISTOGRAM_MINUTES
from salesrelay.web.rendering import query

BLUE, RED, GREY, GREEN = "#1f5fbf", "#b3261e", "#9aa5b8", "#1e7b34"
LAYOUT = {
    "margin": {"l": 56, "r": 16, "t": 16, "b": 72},
    "height": 320,
    "font": {"family": "system-ui, sans-serif", "size": 12},
    "paper_bgcolor": "#fff",
    "plot_bgcolor": "#fff",
    "showlegend": False,
}


def _chart(
    chart_id: str,
    title: str,
    traces: list[dict],
    layout: dict,
    link: str,
    link_text: str,
    summary: str,
) -> dict[str, Any]:
    return {
        "id": chart_id,
        "title": title,
        "figure": {"data": traces, "layout": {**LAYOUT, **layout}},
        "link": link,
        "link_text": link_text,
        "summary": summary,
    }


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def speed_to_lead(report: Report, period: dict) -> dict:
    rows = report.section("histogram").rows
    summary = report.section("summary").rows[0] if report.section("summary").rows else {}
    edges = [*HISTOGRAM_MINUTES, None]
    links = []
    for index, row in enumerate(rows):
        if row["bucket"] == "never":
            links.append(query("/journeys", touched="never", **period))
        else:
            high = edges[index + 1]
            links.append(
                query("/journeys", touched=f"within:{edges[index]}-{high or ''}", **period)
            )
    trace = {
        "type": "bar",
        "x": [r["bucket"] for r in rows],
        "y": [r["wall"] for r in rows],
        "customdata": links,
        "marker": {"color": [RED if r["bucket"] == "never" else BLUE for r in rows]},
        "hovertemplate": "%{x}: %{y} leads<extra></extra>",
    }
    return _chart(
        "speed",
        "Speed to lead: minutes to first touch",
        [trace],
        {
            "xaxis": {"title": {"text": "first touch after arrival"}},
            "yaxis": {"title": {"text": "leads"}},
        },
        query("/journeys", **period),
        "All leads of the period",
        f"{summary.get('leads', 0)} leads; median {summary.get('wall_p50_min') or 0:.0f} min "
        f"to first touch; {_percent(summary.get('within_sla_share'))} within the SLA.",
    )


def sla(report: Report, period: dict, labels: dict[str, str]) -> dict:
    rows = [r for r in report.section("summary").rows if r.get("decided")]
    names = [labels.get(r["policy"], r["policy"]) for r in rows]
    trace = {
        "type": "bar",
        "x": names,
        "y": [r["compliance"] for r in rows],
        "customdata": [query("/journeys", breached=r["policy"], **period) for r in rows],
        "text": [f"{r['breaches']} breached" for r in rows],
        "textposition": "auto",
        "marker": {"color": [GREEN if (r["compliance"] or 0) >= 0.9 else RED for r in rows]},
        "hovertemplate": "%{x}: %{y:.0%} kept, %{text}<extra></extra>",
    }
    breaches = sum(r["breaches"] for r in rows)
    first = rows[0]["policy"] if rows else None
    return _chart(
        "sla",
        "SLA compliance by promise",
        [trace],
        {"yaxis": {"tickformat": ".0%", "range": [0, 1]}},
        query("/journeys", breached=first, **period) if first else "/journeys",
        "Journeys that breached the first promise",
        f"{breaches} promises breached.",
    )


def funnel(report: Report, period: dict, stage_labels: dict[str, str]) -> dict:
    rows = report.section("stages").rows
    x = [stage_labels.get(r["stage"], r["stage"]) for r in rows]
    links = [query("/journeys", stage=r["stage"], **period) for r in rows]
    traces = [
        {
            "type": "bar",
            "name": "entered",
            "x": x,
            "y": [r["entered"] for r in rows],
            "customdata": links,
            "marker": {"color": BLUE},
            "hovertemplate": "%{x}: %{y} entered<extra></extra>",
        },
        {
            "type": "bar",
            "name": "still there",
            "x": x,
            "y": [r["still_in_stage"] for r in rows],
            "customdata": links,
            "marker": {"color": GREY},
            "hovertemplate": "%{x}: %{y} still there<extra></extra>",
        },
    ]
    return _chart(
        "funnel",
        "Funnel by stage",
        traces,
        {"barmode": "group", "showlegend": True, "legend": {"orientation": "h", "y": 1.12}},
        query("/journeys", **period),
        "Journeys of the period",
        f"{rows[0]['entered'] if rows else 0} entered the first stage.",
    )


def handoffs(report: Report, period: dict) -> tuple[dict, dict]:
    rows = report.section("summary").rows
    names = [(r.get("pair") or r.get("protocol") or "").replace("_", " ") for r in rows]
    statuses = (("accepted", GREEN), ("rejected", RED), ("expired", "#8a5a00"), ("pending", GREY))
    traces = [
        {
            "type": "bar",
            "name": status,
            "x": names,
            "y": [r[status] for r in rows],
            "customdata": [
                query("/journeys", handoff=status if status != "pending" else "proposed", **period)
            ]
            * len(rows),
            "marker": {"color": color},
            "hovertemplate": f"%{{x}}: %{{y}} {status}<extra></extra>",
        }
        for status, color in statuses
    ]
    proposed = sum(r["proposed"] for r in rows)
    accepted = sum(r["accepted"] for r in rows)
    outcome = _chart(
        "handoffs",
        "Handoffs: accepted, rejected, expired",
        traces,
        {"barmode": "stack", "showlegend": True, "legend": {"orientation": "h", "y": 1.12}},
        query("/journeys", handoff="rejected", **period),
        "Journeys with a rejected handoff",
        f"{proposed} proposed, {accepted} accepted.",
    )
    reasons: dict[str, int] = {}
    for row in report.section("rejections").rows:
        reasons[row["reason"]] = reasons.get(row["reason"], 0) + row["rejected"]
    ordered = sorted(reasons.items(), key=lambda item: -item[1])
    trace = {
        "type": "bar",
        "orientation": "h",
        "y": [r.replace("_", " ") for r, _ in ordered],
        "x": [n for _, n in ordered],
        "marker": {"color": RED},
        "customdata": [query("/journeys", reason=r, **period) for r, _ in ordered],
        "hovertemplate": "%{y}: %{x}<extra></extra>",
    }
    why = _chart(
        "rejections",
        "Why handoffs were rejected",
        [trace],
        {"margin": {**LAYOUT["margin"], "l": 150}, "yaxis": {"automargin": True}},
        query("/journeys", handoff="rejected", **period),
        "Journeys with a rejected handoff",
        f"{sum(reasons.values())} rejections." if reasons else "No rejections in the period.",
    )
    return outcome, why


def _rep_id(label: str, by_email: dict[str, int]) -> int | None:
    email = label.rsplit("<", 1)[-1].rstrip(">") if "<" in label else label
    return by_email.get(email.lower())


def workload(report: Report, by_email: dict[str, int], team: int | None = None) -> dict:
    rows = [r for r in report.section("reps").rows if r.get("capacity")]
    names = [r["rep"].split(" <")[0] for r in rows]
    links = [query("/journeys", owner=_rep_id(r["rep"], by_email), status="open") for r in rows]
    traces = [
        {
            "type": "bar",
            "x": names,
            "y": [r["open_journeys"] / r["capacity"] for r in rows],
            "customdata": links,
            "text": [f"{r['open_journeys']} of {r['capacity']}" for r in rows],
            "marker": {
                "color": [RED if r["open_journeys"] > r["capacity"] else BLUE for r in rows]
            },
            "hovertemplate": "%{x}: %{text} open (%{y:.0%})<extra></extra>",
        }
    ]
    over = sum(1 for r in rows if r["open_journeys"] > r["capacity"])
    return _chart(
        "workload",
        "Workload: open journeys against capacity",
        traces,
        {
            "yaxis": {"tickformat": ".0%", "rangemode": "tozero"},
            "shapes": [
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": 1,
                    "y1": 1,
                    "line": {"color": RED, "dash": "dash"},
                }
            ],
        },
        query("/journeys", status="open", team=team),
        "Open journeys",
        f"{over} rep{'s' if over != 1 else ''} over capacity.",
    )


def focus(
    report: Report, by_email: dict[str, int], threshold: float, team: int | None = None
) -> dict:
    rows = [r for r in report.section("reps").rows if r.get("work")]
    names = [r["rep"].split(" <")[0] for r in rows]
    trace = {
        "type": "bar",
        "x": names,
        "y": [r["outside_share"] or 0 for r in rows],
        "customdata": [query("/journeys", owner=_rep_id(r["rep"], by_email)) for r in rows],
        "marker": {"color": [RED if r["flagged"] else BLUE for r in rows]},
        "hovertemplate": "%{x}: %{y:.0%} of work outside the role<extra></extra>",
    }
    flagged = [r for r in rows if r["flagged"]]
    first = _rep_id(flagged[0]["rep"], by_email) if flagged else None
    return _chart(
        "focus",
        "Focus: share of work outside the primary role",
        [trace],
        {
            "yaxis": {"tickformat": ".0%", "rangemode": "tozero"},
            "shapes": [
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": threshold,
                    "y1": threshold,
                    "line": {"color": RED, "dash": "dash"},
                }
            ],
        },
        query("/journeys", owner=first) if first else query("/journeys", team=team),
        "Journeys of the first flagged rep" if first else "All journeys",
        (
            "Flagged (over "
            + _percent(threshold)
            + "): "
            + ", ".join(r["rep"].split(" <")[0] for r in flagged)
        )
        if flagged
        else f"Nobody spends more than {_percent(threshold)} outside their role.",
    )
