"""Reps: create, change, list, import, and the routing profile of each."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from pydantic import ValidationError
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from salesrelay.calendar import parse_hours
from salesrelay.db import run, utcnow
from salesrelay.errors import ConflictError, InvalidInputError, NotFoundError
from salesrelay.routing.engine import RepProfile
from salesrelay.team.models import Absence, Rep
from salesrelay.team.schemas import AbsenceIn, RepCreate, RepUpdate

CSV_HEADER = (
    "name",
    "email",
    "role",
    "capacity",
    "weight",
    "territories",
    "timezone",
    "hours",
    "manager_email",
)
LIST_SEPARATORS = ("|", ";")


def get(*, session: Session, rep_id: int) -> Rep | None:
    rep = session.get(Rep, rep_id)
    return rep if rep is not None and rep.deleted_at is None else None


def get_by_email(*, session: Session, email: str) -> Rep | None:
    return session.scalar(select(Rep).where(Rep.email == email.lower(), Rep.deleted_at.is_(None)))


def require(*, session: Session, rep_id: int) -> Rep:
    rep = get(session=session, rep_id=rep_id)
    if rep is None:
        raise NotFoundError(f"no rep with id {rep_id}")
    return rep


def list_reps(
    *, session: Session, role: str | None = None, offset: int = 0, limit: int = 100
) -> tuple[list[Rep], int]:
    reps = list(
        session.scalars(
            select(Rep)
            .where(Rep.deleted_at.is_(None))
            .options(selectinload(Rep.absences))
            .order_by(Rep.id)
        )
    )
    if role:
        reps = [rep for rep in reps if role in rep.roles]
    return reps[offset : offset + limit], len(reps)


_ACTIVE = select(Rep).where(Rep.deleted_at.is_(None))


def count_active(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(_ACTIVE.subquery())) or 0


def active_by_name(*, session: Session, offset: int = 0, limit: int | None = None) -> list[Rep]:
    """Reps on the team (not deleted), by name."""
    return list(session.scalars(_ACTIVE.order_by(Rep.name).offset(offset).limit(limit)))


def managers(*, session: Session) -> list[Rep]:
    """Active reps who manage someone, by name."""
    managing = Rep.id.in_(select(Rep.manager_id).where(Rep.manager_id.isnot(None)))
    return list(session.scalars(_ACTIVE.where(managing).order_by(Rep.name)))


def names(*, session: Session, rep_ids: Iterable[int]) -> dict[int, str]:
    return dict(session.execute(select(Rep.id, Rep.name).where(Rep.id.in_(set(rep_ids)))).all())


def ids_by_email(*, session: Session) -> dict[str, int]:
    """Every rep ever on the team, deleted ones included, by lower-cased e-mail."""
    return {email.lower(): rep_id for rep_id, email in session.execute(select(Rep.id, Rep.email))}


def time_off(*, session: Session, rep_ids: Iterable[int], now: datetime) -> dict[int, Absence]:
    """Each rep's current or next absence (the latest-starting one not yet over)."""
    found: dict[int, Absence] = {}
    for absence in session.scalars(
        select(Absence)
        .where(Absence.rep_id.in_(list(rep_ids)), Absence.ends_at > now)
        .order_by(Absence.starts_at.desc())
    ):
        found[absence.rep_id] = absence
    return found


def _manager_id(session: Session, manager_email: str | None, *, rep_email: str) -> int | None:
    if not manager_email:
        return None
    if manager_email == rep_email:
        raise InvalidInputError("a rep cannot be their own manager", field="manager_email")
    manager = get_by_email(session=session, email=manager_email)
    if manager is None:
        raise InvalidInputError(
            f"manager '{manager_email}' is not on the team; add them first", field="manager_email"
        )
    return manager.id


def _check_roles(roles: Iterable[str], known_roles: Iterable[str] | None) -> None:
    if known_roles is None:
        return
    known = set(known_roles)
    unknown = [role for role in roles if role not in known]
    if unknown:
        raise InvalidInputError(
            f"unknown role {', '.join(map(repr, unknown))}; "
            f"the playbook defines: {', '.join(sorted(known))}",
            field="roles",
        )


def create(*, session: Session, data: RepCreate, known_roles: Iterable[str] | None = None) -> Rep:
    _check_roles(data.roles, known_roles)
    if get_by_email(session=session, email=data.email) is not None:
        raise ConflictError(f"a rep with e-mail {data.email} already exists", field="email")
    rep = Rep(
        **data.model_dump(exclude={"manager_email"}),
        manager_id=_manager_id(session, data.manager_email, rep_email=data.email),
    )
    session.add(rep)
    session.flush()
    return rep


def update(
    *, session: Session, rep: Rep, data: RepUpdate, known_roles: Iterable[str] | None = None
) -> Rep:
    changes = data.model_dump(exclude_unset=True, exclude={"manager_email"})
    if changes.get("roles") is not None:
        _check_roles(changes["roles"], known_roles)
    for key, value in changes.items():
        if value is not None:
            setattr(rep, key, value)
    if "manager_email" in data.model_fields_set:
        rep.manager_id = _manager_id(session, data.manager_email, rep_email=rep.email)
    session.flush()
    return rep


def delete(*, session: Session, rep: Rep) -> None:
    """Soft delete: history keeps the name; routing never picks the rep again."""
    rep.deleted_at = utcnow()
    rep.paused = True
    session.flush()


def add_absence(*, session: Session, rep: Rep, data: AbsenceIn) -> Absence:
    if data.ends_at <= data.starts_at:
        raise InvalidInputError("an absence must end after it starts", field="ends_at")
    absence = Absence(rep=rep, starts_at=data.starts_at, ends_at=data.ends_at, note=data.note)
    session.add(absence)
    session.flush()
    return absence


@dataclass(frozen=True)
class Roster:
    """The team as routing needs it: what rarely changes (hashable, so it can key a cache)
    apart from what changes with every lead (open journeys per rep)."""

    profiles: tuple[RepProfile, ...]
    open_counts: dict[int, int]


_REP_COLUMNS = (
    Rep.id,
    Rep.email,
    Rep.name,
    Rep.roles,
    Rep.territories,
    Rep.weight,
    Rep.capacity,
    Rep.paused,
    Rep.timezone,
    Rep.hours,
    Rep.manager_id,
    Rep.open_journeys,
)


_ABSENCES_TO_COME = (
    select(Absence.rep_id, Absence.starts_at, Absence.ends_at)
    .where(Absence.ends_at > bindparam("now"))
    .order_by(Absence.starts_at)
)
_ACTIVE_REPS = select(*_REP_COLUMNS).where(Rep.deleted_at.is_(None)).order_by(Rep.id)


def roster(*, session: Session, now: datetime) -> Roster:
    """Every active rep with absences still to come, and each rep's open journeys: two queries."""
    absences: dict[int, list[tuple[datetime, datetime]]] = {}
    for rep_id, starts_at, ends_at in run(session, _ABSENCES_TO_COME, {"now": now}):
        absences.setdefault(rep_id, []).append((starts_at, ends_at))
    rows = run(session, _ACTIVE_REPS).all()
    profiles = tuple(
        _profile(
            (
                row.id,
                row.email,
                row.name,
                tuple(row.roles),
                tuple(row.territories),
                row.weight,
                row.capacity,
                row.paused,
                row.timezone,
                row.hours,
                row.manager_id,
            ),
            tuple(absences.get(row.id, ())),
        )
        for row in rows
    )
    return Roster(profiles, {row.id: row.open_journeys for row in rows})


def profiles(*, session: Session, now: datetime) -> list[RepProfile]:
    """Every active rep as the routing engine sees them."""
    return list(roster(session=session, now=now).profiles)


@lru_cache(maxsize=4096)
def _profile(row: tuple, out_of_office: tuple) -> RepProfile:
    (
        rep_id,
        email,
        name,
        roles,
        territories,
        weight,
        capacity,
        paused,
        timezone,
        hours,
        manager_id,
    ) = row
    return RepProfile(
        id=rep_id,
        email=email,
        name=name,
        roles=frozenset(roles),
        tags=frozenset(territories),
        weight=weight,
        capacity=capacity,
        paused=paused,
        timezone=timezone,
        hours=parse_hours(hours),
        out_of_office=out_of_office,
        manager_id=manager_id,
    )


# -- CSV import -----------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class TeamImportResult:
    created: int
    updated: int


def _split_list(value: str) -> list[str]:
    for separator in LIST_SEPARATORS:
        value = value.replace(separator, ",")
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_team_csv(text: str) -> tuple[list[tuple[int, RepCreate]], list[RowError]]:
    """Rows as RepCreate with their line numbers, and every problem with its line."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    errors: list[RowError] = []
    rows: list[tuple[int, RepCreate]] = []
    try:
        header = [column.strip().lower() for column in next(reader)]
    except StopIteration:
        return [], [RowError(1, "the file is empty; the first line must be the header")]
    except csv.Error as error:
        return [], [RowError(1, f"broken CSV: {error}")]
    missing = [column for column in ("name", "email", "role") if column not in header]
    unknown = [column for column in header if column not in CSV_HEADER]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown column(s) {', '.join(unknown)}")
        return [], [RowError(1, "; ".join(problems) + f"; the header is: {','.join(CSV_HEADER)}")]
    seen: dict[str, int] = {}
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            errors.append(RowError(reader.line_num, f"broken CSV quoting: {error}"))
            break
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            errors.append(RowError(line, f"expected {len(header)} columns, found {len(values)}"))
            continue
        record = {
            key: value.strip() for key, value in zip(header, values, strict=True) if value.strip()
        }
        record["roles"] = _split_list(record.pop("role", ""))
        if "territories" in record:
            record["territories"] = _split_list(record["territories"])
        try:
            rep = RepCreate(**record)
        except ValidationError as error:
            for problem in error.errors():
                where = ".".join(str(part) for part in problem["loc"]) or "row"
                errors.append(RowError(line, f"{where}: {problem['msg']}"))
            continue
        if rep.email in seen:
            errors.append(RowError(line, f"{rep.email} is already on line {seen[rep.email]}"))
            continue
        seen[rep.email] = line
        rows.append((line, rep))
    return rows, errors


def import_reps(
    *, session: Session, rows: list[tuple[int, RepCreate]], known_roles: Iterable[str] | None = None
) -> TeamImportResult:
    """Create or update every row (by e-mail); managers may appear anywhere in the file."""
    created = updated = 0
    for line, data in rows:
        try:
            _check_roles(data.roles, known_roles)
        except InvalidInputError as error:
            raise InvalidInputError(f"line {line}: {error.message}", field="role") from None
        rep = get_by_email(session=session, email=data.email)
        fields = data.model_dump(exclude={"manager_email"})
        if rep is None:
            session.add(Rep(**fields))
            created += 1
        else:
            for key, value in fields.items():
                setattr(rep, key, value)
            updated += 1
    session.flush()
    for line, data in rows:
        rep = get_by_email(session=session, email=data.email)
        try:
            rep.manager_id = _manager_id(session, data.manager_email, rep_email=data.email)
        except InvalidInputError as error:
            raise InvalidInputError(
                f"line {line}: {error.message}", field="manager_email"
            ) from None
    session.flush()
    return TeamImportResult(created, updated)
