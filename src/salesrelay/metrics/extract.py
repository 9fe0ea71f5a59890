"""Reading the rows `facts.replay` turns into facts, for a range of journey ids or a list.

Timestamps come out of the database as float epoch seconds, computed in SQL: building a
datetime per value would cost more than the whole replay.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Float, Integer, case, cast, func, select
from sqlalchemy import extract as sql_extract
from sqlalchemy.orm import Session

from salesrelay.events.models import Event
from salesrelay.handoffs.models import Handoff
from salesrelay.journeys.models import Journey
from salesrelay.metrics.facts import EVENT_KINDS, NAMING_A_HANDOFF, replay
from salesrelay.metrics.table import Table
from salesrelay.sla.models import SlaClock


def epoch(column, dialect: str):
    """SQL for a stored UTC timestamp as float epoch seconds, without building datetimes.

    SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff': whole seconds from strftime over the text
    before the fraction (given the fraction, strftime would round to the nearest second),
    plus the fraction itself, so microseconds survive exactly.
    """
    if dialect == "sqlite":
        seconds = cast(func.strftime("%s", func.substr(column, 1, 19)), Integer)
        return seconds + cast(func.substr(column, 20), Float)
    return cast(sql_extract("epoch", column), Float)


def _journeys_filter(column, journeys: tuple[int, int] | Sequence[int]):
    if isinstance(journeys, tuple):
        return column.between(journeys[0], journeys[1])
    return column.in_(list(journeys))


def rows(
    session: Session, journeys: tuple[int, int] | Sequence[int]
) -> tuple[list, list, list, list]:
    """The rows `replay` needs for journeys with ids in [first, last] or in a list."""
    dialect = session.get_bind().dialect.name

    def at(column):
        return epoch(column, dialect)

    journey_rows = session.execute(
        select(
            Journey.id,
            at(Journey.created_at),
            at(Journey.first_touched_at),
            at(Journey.first_touch_due_at),
            Journey.owner_rep_id,
            Journey.source,
            Journey.stage,
            Journey.status,
            Journey.outcome,
            Journey.kind,
            Journey.fields["contract_value"].as_string(),
        )
        .where(_journeys_filter(Journey.id, journeys))
        .order_by(Journey.id)
    ).all()
    moved = Event.kind == "journey.stage_changed"
    event_rows = session.execute(
        select(
            Event.journey_id,
            Event.kind,
            at(Event.at),
            Event.rep_id,
            case((moved, Event.data["from"].as_string())),
            case((moved, Event.data["to"].as_string())),
            case((Event.kind.in_(NAMING_A_HANDOFF), Event.data["handoff_id"].as_integer())),
            case((Event.kind == "lead.received", Event.data["employees"].as_string())),
        )
        .where(_journeys_filter(Event.journey_id, journeys), Event.kind.in_(EVENT_KINDS))
        .order_by(Event.journey_id, Event.id)
    ).all()
    handoff_rows = session.execute(
        select(
            Handoff.id,
            Handoff.journey_id,
            Handoff.protocol,
            Handoff.from_rep_id,
            Handoff.to_rep_id,
            Handoff.from_stage,
            Handoff.to_stage,
            Handoff.status,
            at(Handoff.proposed_at),
            at(Handoff.decided_at),
            at(Handoff.accept_by),
            Handoff.rejection_reason,
            Handoff.rating,
            Handoff.replaces_id,
        ).where(_journeys_filter(Handoff.journey_id, journeys))
    ).all()
    clock_rows = session.execute(
        select(
            SlaClock.id,
            SlaClock.journey_id,
            SlaClock.policy,
            SlaClock.kind,
            SlaClock.stage,
            SlaClock.rep_id,
            SlaClock.status,
            at(SlaClock.started_at),
            at(SlaClock.due_at),
            at(SlaClock.stopped_at),
            at(SlaClock.breached_at),
            SlaClock.steps_done,
        ).where(_journeys_filter(SlaClock.journey_id, journeys))
    ).all()
    return journey_rows, event_rows, handoff_rows, clock_rows


def facts(session: Session, journeys: tuple[int, int] | Sequence[int]) -> dict[str, Table]:
    return replay(*rows(session, journeys))
