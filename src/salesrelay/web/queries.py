"""Read queries behind the pages: the queue by deadline, filtered lists, names for ids.

Each returns one page of rows and the total, scoped to what the viewer may see.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, and_, exists, extract, func, or_, select
from sqlalchemy.orm import Session

from salesrelay.handoffs.models import Handoff
from salesrelay.intake.models import Account, Contact
from salesrelay.journeys.models import Journey
from salesrelay.routing.models import RoutingRecord
from salesrelay.sla.models import SlaClock
from salesrelay.team.models import Rep
from salesrelay.web.pagination import PAGE_SIZE, Pager


@dataclass
class QueueRow:
    journey: Journey
    account_name: str
    contact_name: str
    due_at: datetime | None
    policy: str | None


def _next_deadline(column):
    """The journey's nearest running promise, leaving out a pending handoff's (the receiver's)."""
    return (
        select(column)
        .where(
            SlaClock.journey_id == Journey.id,
            SlaClock.status == "running",
            SlaClock.kind != "handoff_acceptance",
        )
        .order_by(SlaClock.due_at)
        .limit(1)
        .correlate(Journey)
        .scalar_subquery()
    )


def _person(first: str | None, last: str | None, email: str | None) -> str:
    return " ".join(p for p in (first, last) if p) or email or "—"


def queue(*, session: Session, rep_id: int, page: int | None) -> tuple[list[QueueRow], Pager]:
    """The rep's open journeys, nearest deadline first; those without a clock come last."""
    where = and_(Journey.owner_rep_id == rep_id, Journey.status == "open")
    total = session.scalar(select(func.count()).select_from(Journey).where(where)) or 0
    pager = Pager.of(page, total)
    due = _next_deadline(SlaClock.due_at).label("due")
    ranked = (
        select(Journey.id, due)
        .where(where)
        .order_by(due.is_(None), due, Journey.id)
        .offset(pager.offset)
        .limit(pager.size)
        .subquery()
    )
    rows = session.execute(
        select(
            Journey,
            ranked.c.due,
            Account.name,
            Contact.first_name,
            Contact.last_name,
            Contact.email,
        )
        .join(ranked, ranked.c.id == Journey.id)
        .join(Account, Account.id == Journey.account_id)
        .outerjoin(Contact, Contact.id == Journey.contact_id)
        .order_by(ranked.c.due.is_(None), ranked.c.due, Journey.id)
    ).all()
    ids = [row[0].id for row in rows]
    policies = (
        dict(
            session.execute(
                select(SlaClock.journey_id, SlaClock.policy)
                .where(
                    SlaClock.journey_id.in_(ids),
                    SlaClock.status == "running",
                    SlaClock.kind != "handoff_acceptance",
                )
                .order_by(SlaClock.due_at.desc())
            ).all()
        )
        if ids
        else {}
    )
    return [
        QueueRow(journey, account, _person(first, last, email), due_at, policies.get(journey.id))
        for journey, due_at, account, first, last, email in rows
    ], pager


@dataclass(frozen=True)
class JourneyFilter:
    """What the journeys list and every dashboard link can ask for."""

    stage: str | None = None
    status: str | None = None
    owner: int | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    touched: str | None = None
    """'never', or 'within:<a>-<b>' minutes from arrival to first touch (a histogram bar)."""
    ids: tuple[int, ...] = ()
    team: int | None = None
    """Journeys owned by the reps this manager (a rep id) manages."""
    breached: str | None = None
    """An SLA policy: journeys whose clock of that policy missed, or is running overdue."""
    handoff: str | None = None
    """A handoff status: journeys with a handoff that ended so (proposed, accepted…)."""
    reason: str | None = None
    """A rejection reason: journeys with a handoff rejected for it."""

    def params(self) -> dict:
        return {
            "stage": self.stage,
            "status": self.status,
            "owner": self.owner,
            "source": self.source,
            "touched": self.touched,
            "team": self.team,
            "breached": self.breached,
            "handoff": self.handoff,
            "reason": self.reason,
            "since": self.since.date().isoformat() if self.since else None,
            "until": self.until.date().isoformat() if self.until else None,
            "ids": ",".join(map(str, self.ids)) or None,
        }


def minutes_between(dialect: str, later, earlier):
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 1440
    return extract("epoch", later - earlier) / 60


def _filtered(
    query: Select,
    wanted: JourneyFilter,
    team: Collection[int] | None,
    dialect: str,
    now: datetime | None = None,
) -> Select:
    now = now or datetime.now(UTC)
    if team is not None:
        query = query.where(Journey.owner_rep_id.in_(team))
    for column, value in (
        (Journey.stage, wanted.stage),
        (Journey.status, wanted.status),
        (Journey.owner_rep_id, wanted.owner),
        (Journey.source, wanted.source),
    ):
        if value is not None:
            query = query.where(column == value)
    if wanted.since is not None:
        query = query.where(Journey.created_at >= wanted.since)
    if wanted.until is not None:
        query = query.where(Journey.created_at < wanted.until)
    if wanted.ids:
        query = query.where(Journey.id.in_(wanted.ids))
    if wanted.team is not None:
        managed = select(Rep.id).where(Rep.manager_id == wanted.team)
        query = query.where(Journey.owner_rep_id.in_(managed))
    if wanted.breached:
        late = or_(
            SlaClock.status == "missed", and_(SlaClock.status == "running", SlaClock.due_at < now)
        )
        query = query.where(
            exists(
                select(SlaClock.id).where(
                    SlaClock.journey_id == Journey.id, SlaClock.policy == wanted.breached, late
                )
            )
        )
    if wanted.handoff or wanted.reason:
        offered = select(Handoff.id).where(Handoff.journey_id == Journey.id)
        if wanted.handoff:
            offered = offered.where(Handoff.status == wanted.handoff)
        if wanted.reason:
            offered = offered.where(Handoff.rejection_reason == wanted.reason)
        query = query.where(exists(offered))
    if wanted.touched == "never":
        query = query.where(Journey.first_touched_at.is_(None))
    elif wanted.touched and wanted.touched.startswith("within:"):
        low, _, high = wanted.touched.removeprefix("within:").partition("-")
        minutes = minutes_between(dialect, Journey.first_touched_at, Journey.created_at)
        query = query.where(Journey.first_touched_at.is_not(None), minutes >= float(low or 0))
        if high:
            query = query.where(minutes < float(high))
    return query


def journeys(
    *, session: Session, wanted: JourneyFilter, team: Collection[int] | None, page: int | None
) -> tuple[list[tuple[Journey, str]], Pager]:
    dialect = session.get_bind().dialect.name
    base = _filtered(select(Journey.id), wanted, team, dialect)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pager = Pager.of(page, total)
    rows = session.execute(
        _filtered(select(Journey, Account.name), wanted, team, dialect)
        .join(Account, Account.id == Journey.account_id)
        .order_by(Journey.id.desc())
        .offset(pager.offset)
        .limit(pager.size)
    ).all()
    return [(journey, name) for journey, name in rows], pager


def handoffs(
    *,
    session: Session,
    page: int | None,
    to_reps: Collection[int] | None = None,
    from_reps: Collection[int] | None = None,
    statuses: Iterable[str] | None = None,
    unrated: bool = False,
) -> tuple[list[tuple[Handoff, str]], Pager]:
    query = select(Handoff.id)
    if to_reps is not None:
        query = query.where(Handoff.to_rep_id.in_(to_reps))
    if from_reps is not None:
        query = query.where(Handoff.from_rep_id.in_(from_reps))
    if statuses:
        query = query.where(Handoff.status.in_(list(statuses)))
    if unrated:
        query = query.where(Handoff.rating.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pager = Pager.of(page, total)
    rows = session.execute(
        select(Handoff, Account.name)
        .join(Journey, Journey.id == Handoff.journey_id)
        .join(Account, Account.id == Journey.account_id)
        .where(
            Handoff.id.in_(
                query.order_by(Handoff.id.desc())
                .offset(pager.offset)
                .limit(pager.size)
                .scalar_subquery()
            )
        )
        .order_by(Handoff.accept_by if statuses == ("proposed",) else Handoff.id.desc())
    ).all()
    return [(handoff, name) for handoff, name in rows], pager


def routing_log(
    *, session: Session, team: Collection[int] | None, page: int | None
) -> tuple[list[tuple[RoutingRecord, str]], Pager]:
    """Newest first. A log is paged forward without an exact total: counting a long log
    (or a team's share of it, which no index covers) costs more than the page itself."""
    query = select(RoutingRecord.id)
    if team is not None:
        query = query.where(RoutingRecord.rep_id.in_(team))
    number = max(1, page or 1)
    offset = (number - 1) * PAGE_SIZE
    ids = list(
        session.scalars(query.order_by(RoutingRecord.id.desc()).offset(offset).limit(PAGE_SIZE + 1))
    )
    more = len(ids) > PAGE_SIZE
    pager = Pager(page=number, size=PAGE_SIZE, total=offset + len(ids), exact=not more)
    rows = session.execute(
        select(RoutingRecord, Account.name)
        .join(Journey, Journey.id == RoutingRecord.journey_id)
        .join(Account, Account.id == Journey.account_id)
        .where(RoutingRecord.id.in_(ids[:PAGE_SIZE]))
        .order_by(RoutingRecord.id.desc())
    ).all()
    return [(record, name) for record, name in rows], pager


def rep_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(Rep.id, Rep.name).where(Rep.id.in_(wanted))).all())


def all_rep_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Rep.id, Rep.name)).all())


def team_reps(session: Session, team: Collection[int] | None) -> list[Rep]:
    query = select(Rep).where(Rep.deleted_at.is_(None)).order_by(Rep.name)
    if team is not None:
        query = query.where(Rep.id.in_(team))
    return list(session.scalars(query))


def pending_for(session: Session, rep_id: int | None) -> int:
    if rep_id is None:
        return 0
    return (
        session.scalar(
            select(func.count())
            .select_from(Handoff)
            .where(Handoff.to_rep_id == rep_id, Handoff.status == "proposed")
        )
        or 0
    )
