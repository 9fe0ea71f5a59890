"""Writing and reading the append-only event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from salesrelay.db import insert_rows
from salesrelay.events.models import Event


def record(
    *,
    session: Session,
    journey_id: int,
    kind: str,
    at: datetime,
    data: dict[str, Any] | None = None,
    rep_id: int | None = None,
    actor: str | None = None,
) -> None:
    session.execute(
        insert(Event).values(
            journey_id=journey_id, kind=kind, at=at, data=data or {}, rep_id=rep_id, actor=actor
        )
    )


def record_many(*, session: Session, rows: list[dict[str, Any]]) -> None:
    """Rows with journey_id, kind, at, data, rep_id, actor — one statement for a whole batch."""
    insert_rows(session, Event.__table__, rows)


def timeline(*, session: Session, journey_id: int) -> list[Event]:
    return list(
        session.scalars(select(Event).where(Event.journey_id == journey_id).order_by(Event.id))
    )
