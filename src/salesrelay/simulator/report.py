"""Simulation results as JSON, CSV, and a self-contained HTML page with Plotly charts.

The HTML inlines plotly.js from the installed Python package: the page opens offline and
can be mailed as one file.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math

from salesrelay.simulator.runner import Outcome
from salesrelay.simulator.stats import Summary

HEADLINE = (
    ("leads", "Leads"),
    ("qualified", "Qualified"),
    ("opportunities", "Opportunities"),
    ("won", "Deals won"),
    ("revenue", "Revenue"),
    ("speed_to_lead_p50_minutes", "Speed to lead, median (min)"),
    ("speed_to_lead_p90_minutes", "Speed to lead, 90th pct (min)"),
    ("sla_compliance", "First-touch SLA met"),
)
FUNNEL = ("leads", "touched", "qualified", "opportunities", "won")
SPEED = ("speed_to_lead_p50_minutes", "speed_to_lead_p90_minutes", "speed_to_lead_p99_minutes")


def _clean(value: float) -> float | None:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _summaries(metrics: dict[str, Summary]) -> dict[str, dict[str, float | None]]:
    return {
        name: {key: _clean(value) for key, value in summary.as_dict().items()}
        for name, summary in sorted(metrics.items())
    }


def outcome_to_dict(outcome: Outcome) -> dict:
    data: dict = {
        "seed": outcome.seed,
        "runs": outcome.runs,
        "confidence": 0.95,
        "scenarios": [
            {
                "name": s.name,
                **({"reps": s.reps} if s.reps is not None else {}),
                "metrics": _summaries(s.metrics),
            }
            for s in outcome.scenarios
        ],
    }
    if outcome.difference is not None:
        first, second = (s.name for s in outcome.scenarios)
        data["difference"] = {
            "of": second,
            "minus": first,
            "paired_on_same_leads": True,
            "metrics": _summaries(outcome.difference),
        }
    if outcome.sweep_role is not None:
        data["sweep"] = {"role": outcome.sweep_role}
    return data


def to_json(outcome: Outcome) -> str:
    return json.dumps(outcome_to_dict(outcome), indent=2)


def to_csv(outcome: Outcome) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["scenario", "reps", "metric", "mean", "ci_low", "ci_high", "runs"])
    blocks = [(s.name, s.reps, s.metrics) for s in outcome.scenarios]
    if outcome.difference is not None:
        first, second = (s.name for s in outcome.scenarios)
        blocks.append((f"{second} minus {first}", None, outcome.difference))
    for name, reps, metrics in blocks:
        for metric, summary in sorted(metrics.items()):
            writer.writerow(
                [
                    name,
                    "" if reps is None else reps,
                    metric,
                    repr(summary.mean),
                    repr(summary.low),
                    repr(summary.high),
                    summary.runs,
                ]
            )
    return buffer.getvalue()


# -- HTML -------------------------------------------------------------------------------
def _error_bar(summaries: list[Summary]) -> dict:
    return {
        "type": "data",
        "symmetric": False,
        "array": [s.high - s.mean for s in summaries],
        "arrayminus": [s.mean - s.low for s in summaries],
    }


def _grouped_bars(outcome: Outcome, metrics, title: str, log: bool = False):
    import plotly.graph_objects as go

    figure = go.Figure()
    for scenario in outcome.scenarios:
        present = [m for m in metrics if m in scenario.metrics]
        values = [scenario.metrics[m] for m in present]
        figure.add_bar(
            name=scenario.name,
            x=[m.replace("_", " ") for m in present],
            y=[v.mean for v in values],
            error_y=_error_bar(values),
        )
    figure.update_layout(title=title, barmode="group", yaxis_type="log" if log else "linear")
    return figure


def _sweep_figure(outcome: Outcome, metric: str, title: str):
    import plotly.graph_objects as go

    reps = [s.reps for s in outcome.scenarios]
    values = [s.metrics[metric] for s in outcome.scenarios]
    figure = go.Figure()
    figure.add_scatter(
        x=reps,
        y=[v.mean for v in values],
        error_y=_error_bar(values),
        mode="lines+markers",
        name=metric,
    )
    figure.update_layout(title=title, xaxis_title=f"{outcome.sweep_role} reps", yaxis_title=metric)
    return figure


def _figures(outcome: Outcome) -> list:
    if outcome.sweep_role is not None:
        return [
            _sweep_figure(outcome, "revenue", "Revenue by headcount (95% CI)"),
            _sweep_figure(outcome, "speed_to_lead_p90_minutes", "Speed to lead, 90th percentile"),
            _sweep_figure(outcome, "sla_compliance", "First-touch SLA compliance"),
        ]
    utilization = sorted({m for s in outcome.scenarios for m in s.metrics if "utilization." in m})
    return [
        _grouped_bars(outcome, SPEED, "Speed to lead, minutes (log scale, 95% CI)", log=True),
        _grouped_bars(outcome, FUNNEL, "Funnel: counts by stage (95% CI)"),
        _grouped_bars(outcome, ("revenue", "new_revenue"), "Revenue (95% CI)"),
        _grouped_bars(outcome, utilization, "Utilization by role (95% CI)"),
    ]


def _format(metric: str, summary: Summary) -> str:
    if metric == "sla_compliance" or metric.startswith("utilization."):
        return f"{summary.mean:.1%} <small>[{summary.low:.1%}, {summary.high:.1%}]</small>"
    return f"{summary.mean:,.1f} <small>[{summary.low:,.1f}, {summary.high:,.1f}]</small>"


def _table(outcome: Outcome) -> str:
    head = "".join(f"<th>{html.escape(s.name)}</th>" for s in outcome.scenarios)
    if outcome.difference is not None:
        head += "<th>difference (paired)</th>"
    rows = []
    for metric, label in HEADLINE:
        cells = [
            _format(metric, s.metrics[metric]) if metric in s.metrics else "–"
            for s in outcome.scenarios
        ]
        if outcome.difference is not None and metric in outcome.difference:
            cells.append(_format(metric, outcome.difference[metric]))
        rows.append(f"<tr><th>{label}</th>{''.join(f'<td>{c}</td>' for c in cells)}</tr>")
    return f"<table><tr><th></th>{head}</tr>{''.join(rows)}</table>"


_STYLE = """body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{padding:.3rem .7rem;border-bottom:1px solid #ddd;
text-align:right}th:first-child{text-align:left}small{color:#777}"""


def to_html(outcome: Outcome, *, title: str = "SalesRelay simulation") -> str:
    from plotly.offline import get_plotlyjs

    charts = "".join(
        figure.to_html(full_html=False, include_plotlyjs=False) for figure in _figures(outcome)
    )
    note = (
        f"{outcome.runs} runs, seed {outcome.seed}; intervals are 95% confidence intervals of "
        "the mean. Compared scenarios ran on the same lead streams (common random numbers)."
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(note)}</p>"
        f"{_table(outcome)}{charts}</body></html>"
    )


def summary_rows(outcome: Outcome) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the headline metrics, mean [95% CI], for a terminal."""
    headers = ["", *(s.name for s in outcome.scenarios)]
    if outcome.difference is not None:
        headers.append("difference")
    rows = []
    for metric, label in HEADLINE:
        cells = [s.metrics.get(metric) for s in outcome.scenarios]
        if outcome.difference is not None:
            cells.append(outcome.difference.get(metric))
        rows.append([label, *(_plain(metric, cell) for cell in cells)])
    return headers, rows


def _plain(metric: str, summary: Summary | None) -> str:
    if summary is None:
        return "-"
    spec = ".1%" if metric == "sla_compliance" else ",.1f"
    return f"{summary.mean:{spec}} [{summary.low:{spec}}, {summary.high:{spec}}]"
