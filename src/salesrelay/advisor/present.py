"""Advice as plain data for JSON (and the CLI's tables)."""

from __future__ import annotations

from dataclasses import asdict

from salesrelay.advisor.advise import Advice, Reason
from salesrelay.advisor.playbooks import GeneratedPlaybook


def _reasons(reasons: list[Reason]) -> list[dict[str, str]]:
    return [asdict(item) for item in reasons]


def _playbook(playbook: GeneratedPlaybook) -> dict[str, object]:
    return {
        "template": playbook.template,
        "name": playbook.name,
        "segments": playbook.segments,
        "valid": playbook.ok,
        "issues": playbook.issues,
        "yaml": playbook.text,
    }


def advice_to_dict(advice: Advice, playbooks: list[GeneratedPlaybook]) -> dict[str, object]:
    return {
        "company": advice.company,
        "verdict": advice.verdict,
        "summary": advice.summary,
        "segments": [
            {"name": s.name, "model": s.model, "reasons": _reasons(s.reasons)}
            for s in advice.segments
        ],
        "time_split": {name: round(float(v), 4) for name, v in advice.time_split.items()},
        "time_split_basis": advice.time_split_basis,
        "functions_broken_out": advice.broken_out,
        "function_reasons": _reasons(advice.function_reasons),
        "roles": [
            {
                "role": r.role,
                "label": r.label,
                "headcount": r.headcount,
                "needed": round(float(r.needed), 3),
                "segments": r.segments,
                "reasons": _reasons(r.reasons),
            }
            for r in advice.roles
        ],
        "template": advice.template,
        "playbooks": [_playbook(p) for p in playbooks],
    }


def _why(reasons: list[dict[str, str]]) -> str:
    return "\n".join(f"{r['because']} [{r['rule']}: {r['source']}]" for r in reasons)


def advice_tables(data: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """The advice for a terminal: segments, functions, headcount; every row with its why."""
    segments = [[s["name"], s["model"], _why(s["reasons"])] for s in data["segments"]]
    split = data["time_split"]
    functions = [[r["because"], f"{r['rule']}: {r['source']}"] for r in data["function_reasons"]]
    roles = [
        [r["label"], str(r["headcount"]), f"{r['needed']:.2f}", _why(r["reasons"])]
        for r in data["roles"]
    ]
    tables = [("Segments", ["segment", "model", "why"], segments)]
    if functions:
        shares = ", ".join(f"{name} {share:.0%}" for name, share in split.items())
        title = f"Functions to break out (time: {shares}; {data['time_split_basis']})"
        tables.append((title, ["conclusion", "rule"], functions))
    tables.append(("Headcount", ["role", "people", "needed", "why"], roles))
    return tables
