"""The reports, as library calls: read the facts a report needs, then hand them to its pure
builder. `report()` is what the API and the CLI call; each report also has its own function.

    report(session=s, name="speed-to-lead", now=now, start="2026-11-01", group_by="source")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from salesrelay.db import transaction
from salesrelay.errors import InvalidInputError
from salesrelay.journeys import service as journey_service
from salesrelay.metrics import focus, funnel, handoff_report, sla_report, speed, store, workload
from salesrelay.metrics.dims import Context, RepInfo
from salesrelay.metrics.schemas import (
    DIMENSIONS,
    REPORTS,
    Period,
    Report,
    ReportQuery,
    build_query,
)
from salesrelay.metrics.store import DAY
from salesrelay.team.models import Rep


@dataclass(frozen=True)
class Spec:
    wanted: Callable[[ReportQuery], dict[str, tuple[str, ...]]]
    """The columns of each kind of fact the report reads for a query."""
    build: Callable
    groups: tuple[str, ...] = DIMENSIONS
    cohort_days: bool = True
    """Only journeys that arrived in the period matter; else every journey up to its end."""
    has_basis: bool = False
    default_groups: tuple[str, ...] = ()


SPECS: dict[str, Spec] = {
    "speed-to-lead": Spec(speed.wanted, speed.build),
    "sla": Spec(
        lambda _: {"clocks": sla_report.COLUMNS},
        sla_report.build,
        (*DIMENSIONS, *sla_report.EXTRA_GROUPS),
        cohort_days=False,
        default_groups=sla_report.DEFAULT_GROUPS,
    ),
    "funnel": Spec(
        funnel.wanted,
        funnel.build,
        has_basis=True,
    ),
    "handoffs": Spec(
        handoff_report.wanted,
        handoff_report.build,
        (*DIMENSIONS, *handoff_report.EXTRA_GROUPS),
        cohort_days=False,
        default_groups=handoff_report.DEFAULT_GROUPS,
    ),
    "workload": Spec(
        lambda _: {"journeys": workload.COLUMNS},
        workload.build,
        workload.GROUPS,
        cohort_days=False,
        default_groups=workload.DEFAULT_GROUPS,
    ),
    "focus": Spec(
        lambda _: {"work": focus.COLUMNS},
        focus.build,
        focus.GROUPS,
        cohort_days=False,
        default_groups=focus.DEFAULT_GROUPS,
    ),
}


def context(*, session: Session, now: datetime) -> Context:
    """The active playbook, its calendar and the whole team (deleted reps too)."""
    rules = journey_service.rules(session=session)
    reps = {
        rep.id: RepInfo(
            rep.id,
            rep.name,
            rep.email,
            tuple(rep.roles or ()),
            rep.capacity,
            rep.open_journeys,
            rep.manager_id,
            rep.deleted_at is not None,
        )
        for rep in session.scalars(select(Rep).order_by(Rep.id))
    }
    return Context(rules.playbook, rules.calendar, reps, now.timestamp())


def report(
    *,
    session: Session,
    name: str,
    now: datetime,
    start: str | None = None,
    end: str | None = None,
    filters: dict[str, list[str] | str | None] | None = None,
    group_by: list[str] | str | None = None,
    basis: str | None = None,
    threshold: float | None = None,
) -> Report:
    """One report by name, its parameters as a user gives them (checked here)."""
    spec = _spec(name)
    ctx = context(session=session, now=now)
    query = build_query(
        start=start,
        end=end,
        timezone=ctx.calendar.timezone,
        now=now,
        filters=filters,
        group_by=group_by,
        allowed_groups=spec.groups,
        basis=basis,
        threshold=threshold,
    )
    return run(session=session, name=name, query=query, context_=ctx)


def run(*, session: Session, name: str, query: ReportQuery, context_: Context) -> Report:
    spec = _spec(name)
    if not query.group_by and spec.default_groups:
        query = replace(query, group_by=list(spec.default_groups))
    last_day = int((query.end_epoch - 1e-6) // DAY)
    first_day = int(query.start_epoch // DAY) if spec.cohort_days else None
    if spec.has_basis and query.basis == "activity":
        first_day = None
    facts = store.load(session=session, wanted=spec.wanted(query), days=(first_day, last_day))
    sections, notes = spec.build(context_, *facts.values(), query)
    return Report(
        report=name,
        period=Period(start=query.start, end=query.end),
        basis=query.basis if spec.has_basis else None,
        filters=query.filters,
        group_by=query.group_by,
        generated_at=datetime.fromtimestamp(context_.now, UTC),
        sections=sections,
        notes=notes,
    )


def _spec(name: str) -> Spec:
    spec = SPECS.get(name)
    if spec is None:
        raise InvalidInputError(
            f"unknown report {name!r}; reports: {', '.join(REPORTS)}", field="report"
        )
    return spec


def current_report(
    *, write: sessionmaker[Session], read: sessionmaker[Session], name: str, **params
) -> Report:
    """A report read after folding new events into the summaries, so the read replays
    little. The fold takes its own short write transaction, and only when it has work."""
    _spec(name)
    with transaction(read) as session:
        behind = store.behind(session=session)
    if behind:
        with transaction(write) as session:
            store.refresh(session=session)
    with transaction(read) as session:
        return report(session=session, name=name, **params)
