"""Journeys in the database: create in bulk, read, record touches, keep owner counts right."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from salesrelay.calendar import BusinessCalendar
from salesrelay.db import insert_rows, reserve_ids, run
from salesrelay.errors import NotFoundError
from salesrelay.journeys.models import Journey
from salesrelay.playbook import service as playbook_service
from salesrelay.playbook.schema import Playbook
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
    ids = reserve_ids(session, Journey.__table__, len(rows))
    for row, journey_id in zip(rows, ids, strict=True):
        row["id"] = journey_id
    insert_rows(session, Journey.__table__, rows)
    add_open_counts(session=session, owners=Counter(row["owner_rep_id"] for row in rows))
    return ids


_ADD_OPEN = (
    update(Rep)
    .where(Rep.id == bindparam("rep_id"))
    .values(open_journeys=Rep.open_journeys + bindparam("count"))
)


def add_open_counts(*, session: Session, owners: Counter) -> None:
    changes = [
        {"rep_id": rep_id, "count": count}
        for rep_id, count in owners.items()
        if rep_id is not None and count
    ]
    if not changes:
        return
    run(session, _ADD_OPEN, changes)
    # Reps already loaded in this session read their new count from the database.
    for change in changes:
        loaded = session.identity_map.get(session.identity_key(Rep, change["rep_id"]))
        if loaded is not None:
            session.expire(loaded, ["open_journeys"])


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


# -- the playbook in force -------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """The active playbook with its business calendar, as every flow after intake uses it."""

    version: int
    playbook: Playbook
    calendar: BusinessCalendar


_calendars: dict[str, BusinessCalendar] = {}


def rules(*, session: Session) -> Rules:
    active = playbook_service.active(session=session)
    # Keyed by the playbook's text: a calendar memoizes its day tables, so it is reused.
    calendar = _calendars.get(active.source_text)
    if calendar is None:
        if len(_calendars) > 16:
            _calendars.clear()
        calendar = _calendars[active.source_text] = BusinessCalendar.from_playbook(
            active.playbook.calendar
        )
    return Rules(active.version, active.playbook, calendar)


def lock(*, session: Session, journey: Journey) -> Journey:
    """Re-read the journey with a row lock (PostgreSQL) so concurrent changes queue."""
    session.flush()  # refresh() would drop changes not yet written
    session.refresh(journey, with_for_update=True)
    return journey


def create(*, session: Session, values: dict[str, Any]) -> Journey:
    journey = Journey(**values)
    session.add(journey)
    session.flush()
    if journey.owner_rep_id is not None and journey.status == "open":
        add_open_counts(session=session, owners=Counter({journey.owner_rep_id: 1}))
    return journey
