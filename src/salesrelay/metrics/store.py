"""The fact store: facts kept as column blocks per arrival day, folded in from the event log
by event id, and read back with whatever has happened since laid over them.

Why it stays right (docs/metrics.md has the long form):
- Every change a report can see — a touch, a stage move, a handoff, an SLA step — writes an
  event on its journey in the same transaction. A journey with an event above the watermark
  is *dirty*: its facts are extracted again from its rows, whole, and replace the old ones.
- Ids are the order events were *stored*, not when they happened: an event that arrives late
  (a touch logged today for last week, a lead imported with last month's date) still has a
  new id, so it is caught, and its journey's facts land in the block of its arrival day.
- PostgreSQL hands out ids before commit, so an id below the watermark may become visible
  later. Missing ids near the top are remembered as gaps and looked for on every refresh.
- Reads never wait for a refresh: `load` replays the dirty journeys in memory and lays them
  over the stored blocks, so a report is exact whether or not the summaries are current.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import orjson
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from salesrelay.db import utcnow
from salesrelay.events.models import Event
from salesrelay.journeys.models import Journey
from salesrelay.metrics import extract, facts
from salesrelay.metrics.models import MetricBlock, MetricState
from salesrelay.metrics.table import Table, concat

DAY = 86400.0
VOCAB = "_vocab"
STATE_ID = 1
BUILD_CHUNK = 25_000
"""Journeys extracted per step of a full build."""
GAP_WINDOW = 10_000
"""How far below the newest event id unseen ids are remembered as gaps."""
GAP_LIFETIME = 3600.0
"""Seconds after which an unseen id is taken for a rolled-back transaction."""
MAX_GAPS = 50_000
PATCH_CHUNK = 2_000


@dataclass
class Pending:
    watermark: int
    journeys: list[int]
    gaps: list[list[float]]
    rebuild: bool = False


@dataclass
class RefreshResult:
    rebuilt: bool
    journeys: int
    watermark: int
    seconds: float


def day_of(arrived: np.ndarray) -> np.ndarray:
    return np.floor(arrived / DAY).astype(np.int64)


# -- pending changes -------------------------------------------------------------------


def _state(session: Session, *, lock: bool = False) -> MetricState | None:
    query = select(MetricState).where(MetricState.id == STATE_ID)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def pending(session: Session, state: MetricState | None, now: float) -> Pending:
    """What changed since the blocks were written: the newest event id, dirty journeys and
    the gaps to keep looking for. The newest id is read first, so facts read after it can
    only be newer than the watermark says (then they are simply replayed again next time)."""
    newest = session.scalar(select(func.max(Event.id))) or 0
    if state is None or state.schema_version != facts.SCHEMA_VERSION:
        return Pending(newest, [], _gaps(session, 0, newest, [], now), rebuild=True)
    old = state.event_watermark
    dirty: set[int] = set()
    if newest > old:
        dirty.update(
            session.scalars(
                select(Event.journey_id).where(Event.id > old, Event.id <= newest).distinct()
            )
        )
    gaps = [list(g) for g in state.gaps or []]
    if gaps:
        seen = dict(
            session.execute(
                select(Event.id, Event.journey_id).where(Event.id.in_([int(g[0]) for g in gaps]))
            ).all()
        )
        dirty.update(seen.values())
        gaps = [g for g in gaps if int(g[0]) not in seen]
    return Pending(newest, sorted(dirty), _gaps(session, old, newest, gaps, now))


def _gaps(
    session: Session, old: int, newest: int, gaps: list[list[float]], now: float
) -> list[list[float]]:
    low = max(old, newest - GAP_WINDOW)
    if newest > low:
        present = np.fromiter(
            session.scalars(select(Event.id).where(Event.id > low, Event.id <= newest)), np.int64
        )
        missing = np.setdiff1d(np.arange(low + 1, newest + 1), present)
        gaps = gaps + [[int(i), now] for i in missing]
    kept = [g for g in gaps if now - g[1] < GAP_LIFETIME]
    return kept[-MAX_GAPS:]


# -- blocks ----------------------------------------------------------------------------


def _encode(table: Table) -> list[dict]:
    rows = len(table)
    encoded = [
        {"field": name, "rows": rows, "data": np.ascontiguousarray(column).tobytes()}
        for name, column in table.columns.items()
    ]
    encoded.append({"field": VOCAB, "rows": rows, "data": orjson.dumps(table.vocab)})
    return encoded


def _decode(kind: facts.Kind, parts: Mapping[str, bytes], names: Sequence[str], rows: int) -> Table:
    vocab = orjson.loads(parts[VOCAB]) if VOCAB in parts else {}
    columns = {name: np.frombuffer(parts[name], dtype=kind.dtype(name)) for name in names}
    if any(len(column) != rows for column in columns.values()):
        raise RuntimeError(
            f"metric block {kind.name} has columns of the wrong length: it was written with "
            "another fact layout; rebuild the summaries (see docs/metrics.md, 'Rebuilds')"
        )
    return Table(kind, columns, {n: vocab.get(n, []) for n in names if kind.is_text(n)})


def read_blocks(
    session: Session,
    kind: facts.Kind,
    names: Sequence[str],
    days: tuple[int | None, int | None] = (None, None),
) -> Table:
    """The stored rows of `kind` for arrival days in [first, last] (None: open-ended)."""
    query = select(MetricBlock.day, MetricBlock.field, MetricBlock.rows, MetricBlock.data).where(
        MetricBlock.kind == kind.name, MetricBlock.field.in_([*names, VOCAB])
    )
    if days[0] is not None:
        query = query.where(MetricBlock.day >= days[0])
    if days[1] is not None:
        query = query.where(MetricBlock.day <= days[1])
    blocks: dict[int, dict[str, bytes]] = {}
    sizes: dict[int, int] = {}
    for day, name, rows, data in session.execute(query.order_by(MetricBlock.day)):
        blocks.setdefault(day, {})[name] = data
        sizes[day] = rows
    decoded = [_decode(kind, parts, names, sizes[day]) for day, parts in blocks.items()]
    return concat(kind, decoded, names)


def _write(session: Session, kind: facts.Kind, day: int, table: Table) -> None:
    session.execute(
        delete(MetricBlock).where(MetricBlock.kind == kind.name, MetricBlock.day == day)
    )
    if len(table):
        session.execute(
            insert(MetricBlock), [{"kind": kind.name, "day": day, **r} for r in _encode(table)]
        )


def _merge(
    session: Session, fresh: Mapping[str, Table], replaced: np.ndarray, days: Iterable[int]
) -> None:
    """Into each block of `days`: drop the rows of journeys in `replaced`, add `fresh` rows."""
    for kind in facts.KINDS.values():
        table = fresh[kind.name]
        table_days = day_of(table["arrived"])
        for day in sorted(set(days)):
            stored = read_blocks(session, kind, kind.names, (day, day))
            keep = stored.take(~np.isin(stored["journey"], replaced)) if len(stored) else stored
            _write(session, kind, day, concat(kind, [keep, table.take(table_days == day)]))


# -- refresh ---------------------------------------------------------------------------


def refresh(*, session: Session, progress=None, rebuild: bool = False) -> RefreshResult:
    """Fold every new event into the blocks (a full build the first time, when the fact
    schema changed, or when asked to `rebuild`). Runs in the caller's write transaction;
    concurrent refreshes queue on the state row."""
    started = time.perf_counter()
    state = _state(session, lock=True)
    now = time.time()
    todo = pending(session, None if rebuild else state, now)
    if todo.rebuild:
        count = _rebuild(session, progress)
    else:
        count = len(todo.journeys)
        for first in range(0, count, PATCH_CHUNK):
            chunk = todo.journeys[first : first + PATCH_CHUNK]
            fresh = extract.facts(session, chunk)
            days = day_of(fresh["journeys"]["arrived"]).tolist()
            _merge(session, fresh, np.asarray(chunk, dtype=np.int64), days)
    if state is None:
        state = MetricState(id=STATE_ID)
        session.add(state)
    state.schema_version = facts.SCHEMA_VERSION
    state.event_watermark = todo.watermark
    state.gaps = todo.gaps
    state.refreshed_at = utcnow()
    session.flush()
    return RefreshResult(todo.rebuild, count, todo.watermark, time.perf_counter() - started)


def _rebuild(session: Session, progress=None) -> int:
    session.execute(delete(MetricBlock))
    first, last = session.execute(select(func.min(Journey.id), func.max(Journey.id))).one()
    if first is None:
        return 0
    written: set[int] = set()
    count = 0
    for low in range(first, last + 1, BUILD_CHUNK):
        fresh = extract.facts(session, (low, low + BUILD_CHUNK - 1))
        days = set(day_of(fresh["journeys"]["arrived"]).tolist())
        # Ids mostly follow arrival, so a chunk rarely shares a day with an earlier one;
        # when it does, the stored block is read back and extended.
        for day in days - written:
            for kind in facts.KINDS.values():
                table = fresh[kind.name]
                _write(session, kind, day, table.take(day_of(table["arrived"]) == day))
        if days & written:
            _merge(session, fresh, np.zeros(0, dtype=np.int64), days & written)
        written |= days
        count += len(fresh["journeys"])
        if progress is not None:
            progress(count)
    return count


# -- reading ---------------------------------------------------------------------------


def load(
    *,
    session: Session,
    wanted: Mapping[str, Sequence[str]],
    days: tuple[int | None, int | None] = (None, None),
) -> dict[str, Table]:
    """Facts of each kind in `wanted` (kind → columns) for journeys that arrived on days in
    [first, last]: the stored blocks with every journey changed since laid over them."""
    state = _state(session)
    todo = pending(session, state, time.time())
    names = {
        kind: list(dict.fromkeys(["journey", "arrived", *columns]))
        for kind, columns in wanted.items()
    }
    if todo.rebuild:
        # Never built (or built by an older release): replay everything, in memory.
        first, last = session.execute(select(func.min(Journey.id), func.max(Journey.id))).one()
        fresh = extract.facts(session, (first or 0, last or 0))
        return {kind: _within(fresh[kind].select(n), days) for kind, n in names.items()}
    fresh = extract.facts(session, todo.journeys) if todo.journeys else None
    replaced = np.asarray(todo.journeys, dtype=np.int64)
    loaded = {}
    for kind_name, columns in names.items():
        kind = facts.KINDS[kind_name]
        stored = read_blocks(session, kind, columns, days)
        if fresh is None:
            loaded[kind_name] = stored
            continue
        keep = stored.take(~np.isin(stored["journey"], replaced))
        loaded[kind_name] = concat(
            kind, [keep, _within(fresh[kind_name].select(columns), days)], columns
        )
    return loaded


def _within(table: Table, days: tuple[int | None, int | None]) -> Table:
    if days == (None, None) or not len(table):
        return table
    day = day_of(table["arrived"])
    keep = np.ones(len(table), dtype=bool)
    if days[0] is not None:
        keep &= day >= days[0]
    if days[1] is not None:
        keep &= day <= days[1]
    return table.take(keep)


def behind(*, session: Session) -> bool:
    """Whether a refresh has anything to do (never built, new events, or gaps to recheck)."""
    state = _state(session)
    if state is None or state.schema_version != facts.SCHEMA_VERSION or state.gaps:
        return True
    newest = session.scalar(select(func.max(Event.id))) or 0
    return newest > state.event_watermark


def status(*, session: Session) -> dict:
    """How current the summaries are: the watermark, events not yet folded in, gaps."""
    state = _state(session)
    newest = session.scalar(select(func.max(Event.id))) or 0
    if state is None:
        return {"built": False, "newest_event": newest}
    return {
        "built": state.schema_version == facts.SCHEMA_VERSION,
        "event_watermark": state.event_watermark,
        "newest_event": newest,
        "events_behind": max(0, newest - state.event_watermark),
        "gaps": len(state.gaps or []),
        "refreshed_at": state.refreshed_at.isoformat(),
        "blocks": session.scalar(select(func.count()).select_from(MetricBlock)) or 0,
    }
