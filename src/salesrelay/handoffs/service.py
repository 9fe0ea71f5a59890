"""Handoffs in the database: create, read, list."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from salesrelay.errors import NotFoundError
from salesrelay.handoffs.models import Handoff

STATUSES = ("proposed", "accepted", "rejected", "expired")


def get(*, session: Session, handoff_id: int) -> Handoff | None:
    return session.get(Handoff, handoff_id)


def require(*, session: Session, handoff_id: int) -> Handoff:
    handoff = get(session=session, handoff_id=handoff_id)
    if handoff is None:
        raise NotFoundError(f"no handoff with id {handoff_id}")
    return handoff


def lock(*, session: Session, handoff: Handoff) -> Handoff:
    """Re-read the handoff with a row lock, so an answer and its expiry cannot both win."""
    session.flush()  # refresh() would drop changes not yet written
    session.refresh(handoff, with_for_update=True)
    return handoff


def pending_for_journey(*, session: Session, journey_id: int) -> Handoff | None:
    return session.scalar(
        select(Handoff)
        .where(Handoff.journey_id == journey_id, Handoff.status == "proposed")
        .order_by(Handoff.id.desc())
        .limit(1)
    )


def create(*, session: Session, values: dict[str, Any]) -> Handoff:
    handoff = Handoff(**values)
    session.add(handoff)
    session.flush()
    return handoff


def by_clock_ids(*, session: Session, clock_ids: Iterable[int]) -> dict[int, Handoff]:
    ids = list(clock_ids)
    if not ids:
        return {}
    return {
        h.clock_id: h for h in session.scalars(select(Handoff).where(Handoff.clock_id.in_(ids)))
    }


def earlier_receivers(*, session: Session, handoff: Handoff) -> set[int]:
    """Everyone this offer already went to: the chain of expired handoffs it replaces."""
    seen: set[int] = set()
    current: Handoff | None = handoff
    for _ in range(100):  # a chain longer than the team is a bug, not a reason to loop forever
        if current is None:
            break
        if current.to_rep_id is not None:
            seen.add(current.to_rep_id)
        current = session.get(Handoff, current.replaces_id) if current.replaces_id else None
    return seen


def for_journey(*, session: Session, journey_id: int) -> list[Handoff]:
    return list(
        session.scalars(
            select(Handoff).where(Handoff.journey_id == journey_id).order_by(Handoff.id)
        )
    )


def listing(
    *,
    session: Session,
    to_rep_id: int | None = None,
    from_rep_id: int | None = None,
    status: str | None = None,
    journey_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
    involving: Collection[int] | None = None,
) -> tuple[list[Handoff], int]:
    """Newest first; `involving` keeps the handoffs sent by or offered to one of those reps."""
    query = select(Handoff)
    if involving is not None:
        query = query.where(
            or_(Handoff.to_rep_id.in_(involving), Handoff.from_rep_id.in_(involving))
        )
    if to_rep_id is not None:
        query = query.where(Handoff.to_rep_id == to_rep_id)
    if from_rep_id is not None:
        query = query.where(Handoff.from_rep_id == from_rep_id)
    if status:
        query = query.where(Handoff.status == status)
    if journey_id is not None:
        query = query.where(Handoff.journey_id == journey_id)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Handoff.id.desc()).offset(offset).limit(limit))
    return list(rows), count
