"""Routing against the database: the team as the engine sees it, fair state, stored reasons."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from salesrelay.db import insert_rows, run, utcnow
from salesrelay.playbook import service as playbook_service
from salesrelay.playbook.schema import Playbook
from salesrelay.routing.engine import RepProfile, RoutingDecision, RoutingEngine, RoutingState
from salesrelay.routing.models import RoutingRecord
from salesrelay.routing.models import RoutingState as RoutingStateRow
from salesrelay.team.models import Rep

STATE_ROW_ID = 1
_LOCKED_STATE = (
    select(RoutingStateRow.state).where(RoutingStateRow.id == STATE_ROW_ID).with_for_update()
)
_SAVE_STATE = (
    update(RoutingStateRow)
    .where(RoutingStateRow.id == STATE_ROW_ID)
    .values(state=bindparam("state"), updated_at=bindparam("updated_at"))
)


def build_engine(*, playbook: Playbook, reps: Sequence[RepProfile]) -> RoutingEngine:
    default_role = playbook.stage(playbook.entry.default).role
    return RoutingEngine(playbook.routing, reps, default_role=default_role)


@lru_cache(maxsize=16)
def engine_for(playbook_text: str, reps: tuple[RepProfile, ...]) -> RoutingEngine:
    """The compiled engine for a playbook version and team, reused until either changes. Safe
    to share between threads: its per-minute availability cache is keyed by the minute."""
    return build_engine(playbook=playbook_service.parse(playbook_text), reps=reps)


def load_state(*, session: Session, open_counts: dict[int, int] | None = None) -> RoutingState:
    """The rotation state, locked for this transaction so concurrent intakes take turns.

    `open_counts` (rep id → open journeys) is read from the reps when not given."""
    saved = run(session, _LOCKED_STATE).first()
    if saved is None:
        # The row is what concurrent intakes queue on, so it must exist before the first
        # of them routes; two first intakes at once both land here, and one insert wins.
        dialect_insert = (
            postgresql_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        )
        session.execute(
            dialect_insert(RoutingStateRow)
            .values(id=STATE_ROW_ID, state={}, updated_at=utcnow())
            .on_conflict_do_nothing()
        )
        saved = run(session, _LOCKED_STATE).first()
    state = RoutingState.from_json(saved.state)
    if open_counts is None:
        rows = session.execute(
            select(Rep.id, Rep.open_journeys).where(Rep.deleted_at.is_(None))
        ).all()
        open_counts = {rep_id: count for rep_id, count in rows}
    state.open_counts = dict(open_counts)
    return state


def save_state(*, session: Session, state: RoutingState) -> None:
    data = state.to_json()
    data.pop("open_counts", None)  # kept on each rep's row instead
    run(session, _SAVE_STATE, {"state": data, "updated_at": utcnow()})


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
            select(RoutingRecord)
            .where(RoutingRecord.journey_id == journey_id)
            .order_by(RoutingRecord.id)
        )
    )


def recent(
    *, session: Session, limit: int = 50, offset: int = 0, rep_ids: Collection[int] | None = None
) -> list[RoutingRecord]:
    """Newest first; `rep_ids` keeps the decisions that chose one of those reps."""
    query = select(RoutingRecord)
    if rep_ids is not None:
        query = query.where(RoutingRecord.rep_id.in_(rep_ids))
    query = query.order_by(RoutingRecord.id.desc()).offset(offset).limit(limit)
    return list(session.scalars(query))
