"""Journeys in the database: create in bulk, read, record touches, keep owner counts right."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from salesrelay.errors import NotFoundError
from salesrelay.journeys.models import Journey
from salesrelay.team.models import Rep


def get(*, session: Session, journey_id: int) -> Journey | None:
    return session.get(Journey, journey_id)


def require(*, session: Session, journey_id: int) -> Journey:
    journey = get(session=session, journey_id=journey_id)
    if journey is None:
        raise NotFoundError(f"no journey with id {journey_id}")
    return journey


def create_many(*, session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert journeys in one statement and return their ids in the order given."""
    if not rows:
        return []
    result = session.execute(insert(Journey).returning(Journey.id, sort_by_parameter_order=True), rows)
    ids = list(result.scalars())
    add_open_counts(session=session, owners=Counter(row["owner_rep_id"] for row in rows))
    return ids


def add_open_counts(*, session: Session, owners: Counter) -> None:
    for rep_id, count in owners.items():
        if rep_id is not None and count:
            session.execute(
                update(Rep).where(Rep.id == rep_id).values(open_journeys=Rep.open_journeys + count)
            )


def open_for_accounts(*, session: Session, account_ids: list[int]) -> dict[int, Journey]:
    """The newest open journey of each account, if any."""
    if not account_ids:
        return {}
    found: dict[int, Journey] = {}
    for journey in session.scalars(
        select(Journey)
        .where(Journey.account_id.in_(account_ids), Journey.status == "open")
        .order_by(Journey.id)
    ):
        found[journey.account_id] = journey
    return found


def mark_first_touch(*, session: Session, journey: Journey, at: datetime) -> bool:
    """Record the first touch once; later touches leave it as it was."""
    if journey.first_touched_at is not None:
        return False
    journey.first_touched_at = at
    journey.updated_at = at
    session.flush()
    return True
