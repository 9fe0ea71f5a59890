"""Routing against the database: the team as the engine sees it, fair state, stored reasons."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from salesrelay.db import insert_rows, utcnow
from salesrelay.playbook.schema import Playbook
from salesrelay.routing.engine import RepProfile, RoutingDecision, RoutingEngine, RoutingState
from salesrelay.routing.models import RoutingRecord
from salesrelay.routing.models import RoutingState as RoutingStateRow
from salesrelay.team.models import Rep

STATE_ROW_ID = 1


def build_engine(
    *, playbook: Playbook, reps: list[RepProfile]
) -> RoutingEngine:
    default_role = playbook.stage(playbook.entry.default).role
    return RoutingEngine(playbook.routing, reps, default_role=default_role)


def load_state(*, session: Session) -> RoutingState:
    """The rotation state, locked for this transaction so concurrent intakes take turns."""
    row = session.scalar(
        select(RoutingStateRow).where(RoutingStateRow.id == STATE_ROW_ID).with_for_update()
    )
    state = RoutingState.from_json(row.state) if row is not None else RoutingState({}, {}, {})
    rows = session.execute(select(Rep.id, Rep.open_journeys).where(Rep.deleted_at.is_(None))).all()
    state.open_counts = {rep_id: count for rep_id, count in rows}
    return state


def save_state(*, session: Session, state: RoutingState) -> None:
    data = state.to_json()
    data.pop("open_counts", None)  # kept on each rep's row instead
    changed = session.execute(
        update(RoutingStateRow)
        .where(RoutingStateRow.id == STATE_ROW_ID)
        .values(state=data, updated_at=utcnow())
    ).rowcount
    if not changed:
        session.execute(insert(RoutingStateRow).values(id=STATE_ROW_ID, state=data, updated_at=utcnow()))


def decision_row(journey_id: int, decision: RoutingDecision, at: datetime) -> dict[str, Any]:
    return {
        "journey_id": journey_id,
        "rep_id": decision.rep_id,
        "rule": decision.rule,
        "method": decision.method,
        "fallback": decision.fallback,
        "reasons": decision.reasons,
        "candidates": decision.candidates,
        "skipped": decision.skipped,
        "decided_at": at,
    }


def record_many(*, session: Session, rows: list[dict[str, Any]]) -> None:
    insert_rows(session, RoutingRecord.__table__, rows)


def decisions_for(*, session: Session, journey_id: int) -> list[RoutingRecord]:
    return list(
        session.scalars(
            select(RoutingRecord).where(RoutingRecord.journey_id == journey_id).order_by(RoutingRecord.id)
        )
    )


def recent(*, session: Session, limit: int = 50, offset: int = 0) -> list[RoutingRecord]:
    return list(
        session.scalars(select(RoutingRecord).order_by(RoutingRecord.id.desc()).offset(offset).limit(limit))
    )
