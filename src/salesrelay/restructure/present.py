"""A restructure plan as plain data: JSON, CSV rows, and tables for a terminal."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date
from typing import Any

from salesrelay.metrics.schemas import safe_cell
from salesrelay.restructure.schemas import Held, Move, RestructurePlan

CSV_HEADER = (
    "week", "starts_on", "ends_on", "journey_id", "account_id", "account", "stage", "role",
    "from_email", "to_email", "status", "handoff_id", "why",
)  # fmt: skip
TableData = tuple[str, list[str], list[list[str]]]
SHOWN_ROWS = 25


def _person(plan: RestructurePlan, rep_id: int | None) -> dict[str, Any] | None:
    member = plan.team.get(rep_id) if rep_id is not None else None
    if member is None:
        return None
    return {"id": member.id, "name": member.name, "email": member.email}


def _move(plan: RestructurePlan, move: Move) -> dict[str, Any]:
    return {
        "journey_id": move.journey_id,
        "account_id": move.account_id,
        "account": move.account_name,
        "stage": move.stage,
        "role": move.role,
        "from": _person(plan, move.from_rep_id),
        "to": _person(plan, move.to_rep_id),
        "status": move.status,
        "handoff_id": move.handoff_id,
        "reasons": list(move.reasons),
    }


def _held(plan: RestructurePlan, held: Held) -> dict[str, Any]:
    return {
        "journey_id": held.journey_id,
        "account": held.account_name,
        "stage": held.stage,
        "owner": _person(plan, held.rep_id),
        "kind": held.kind,
        "reason": held.reason,
    }


def plan_to_dict(plan: RestructurePlan, *, today: date | None = None) -> dict[str, Any]:
    moves = plan.moves
    status = Counter(move.status for move in moves)
    week = plan.week_on(today) if today is not None else None
    return {
        "playbook": plan.playbook,
        "start": plan.start.isoformat(),
        "weeks": plan.weeks,
        "ends_on": plan.phases[-1].ends_on.isoformat(),
        "today": today.isoformat() if today else None,
        "current_week": week + 1 if week is not None else None,
        "summary": {
            "moves": len(moves),
            "planned": status["planned"],
            "pending": status["pending"],
            "moved": status["moved"],
            "kept": len(plan.kept),
            "held": len(plan.held),
            "accounts": len({move.account_id for move in moves}),
        },
        "phases": [
            {
                "week": phase.week + 1,
                "starts_on": phase.starts_on.isoformat(),
                "ends_on": phase.ends_on.isoformat(),
                "journeys": len(phase.moves),
                "by_role": dict(sorted(Counter(m.role for m in phase.moves).items())),
                "moves": [_move(plan, move) for move in phase.moves],
            }
            for phase in plan.phases
        ],
        "held": [_held(plan, held) for held in plan.held],
        "people": [
            {
                **_person(plan, load.rep_id),
                "roles": sorted(plan.team[load.rep_id].roles),
                "capacity": load.capacity,
                "open_now": load.before,
                "open_after": load.after,
            }
            for load in plan.loads
        ],
    }


def to_csv(plan: RestructurePlan) -> str:
    """One row per journey that moves or is held, in week order; held ones have no week."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    # Account names come from leads: a cell must never start a spreadsheet formula.
    rows = _SafeRows(writer)
    email = {member.id: member.email for member in plan.team.values()}
    for phase in plan.phases:
        for m in phase.moves:
            rows.writerow(
                [
                    phase.week + 1,
                    phase.starts_on.isoformat(),
                    phase.ends_on.isoformat(),
                    m.journey_id,
                    m.account_id,
                    m.account_name,
                    m.stage,
                    m.role,
                    email.get(m.from_rep_id, ""),
                    email.get(m.to_rep_id, ""),
                    m.status,
                    m.handoff_id or "",
                    "; ".join(m.reasons),
                ]
            )
    for h in plan.held:
        rows.writerow(
            [
                "",
                "",
                "",
                h.journey_id,
                "",
                h.account_name,
                h.stage,
                "",
                email.get(h.rep_id, ""),
                "",
                f"held: {h.kind}",
                "",
                h.reason,
            ]
        )
    return buffer.getvalue()


class _SafeRows:
    def __init__(self, writer) -> None:
        self.writer = writer

    def writerow(self, values: list) -> None:
        self.writer.writerow([safe_cell(value) for value in values])


def _name(data: dict[str, Any] | None) -> str:
    return data["name"] if data else "-"


def plan_tables(data: dict[str, Any]) -> list[TableData]:
    """Weeks, people, held journeys and the current week's moves, for a terminal."""
    roles = sorted({role for phase in data["phases"] for role in phase["by_role"]})
    weeks = [
        [
            str(p["week"]) + (" <- now" if p["week"] == data["current_week"] else ""),
            f"{_day(p['starts_on'])} - {_day(p['ends_on'])}",
            str(p["journeys"]),
            *(str(p["by_role"].get(role, "")) for role in roles),
            ", ".join(f"{n} {s}" for s, n in Counter(m["status"] for m in p["moves"]).items()),
        ]
        for p in data["phases"]
    ]
    tables: list[TableData] = [
        ("Weeks", ["week", "dates", "journeys", *roles, "status"], weeks),
        (
            "People: open journeys now and once every move is accepted",
            ["rep", "roles", "now", "after", "capacity"],
            [
                [
                    p["name"],
                    ", ".join(p["roles"]),
                    str(p["open_now"]),
                    str(p["open_after"]),
                    str(p["capacity"]),
                ]
                for p in data["people"]
            ],
        ),
    ]
    if data["held"]:
        rows = [
            [str(h["journey_id"]), h["account"], h["stage"], _name(h["owner"]), h["reason"]]
            for h in data["held"][:SHOWN_ROWS]
        ]
        tables.append(
            (
                _title("Staying where they are", len(data["held"])),
                ["journey", "account", "stage", "owner", "why"],
                rows,
            )
        )
    if data["current_week"] is not None:
        phase = data["phases"][data["current_week"] - 1]
        rows = [
            [
                str(m["journey_id"]),
                m["account"],
                m["stage"],
                _name(m["from"]),
                _name(m["to"]),
                m["status"] + (f" (handoff {m['handoff_id']})" if m["handoff_id"] else ""),
            ]
            for m in phase["moves"][:SHOWN_ROWS]
        ]
        tables.append(
            (
                _title(f"Week {phase['week']}", len(phase["moves"])),
                ["journey", "account", "stage", "from", "to", "status"],
                rows,
            )
        )
    return tables


def _day(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d %b")


def _title(title: str, count: int) -> str:
    more = f"; the first {SHOWN_ROWS} shown, all in --csv/--json" if count > SHOWN_ROWS else ""
    return f"{title} ({count}{more})"
