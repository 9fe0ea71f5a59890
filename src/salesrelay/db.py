"""Engine, sessions and the declarative base shared by every domain's models."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter

import orjson
from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger("salesrelay.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in and out, on SQLite (which stores no zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _json_dumps(value) -> str:
    # orjson is several times faster than json for the event and routing payloads written
    # in bulk; it also writes datetimes as ISO 8601 instead of failing on them.
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(url: str, **kwargs) -> Engine:
    kwargs.setdefault("json_serializer", _json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        writers = _WriterQueue()
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", writers.begin)
        event.listen(engine, "commit", writers.end)
        event.listen(engine, "rollback", writers.end)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers work while one writer commits; NORMAL syncs at checkpoints, which is
    # durable against a process crash (the WAL survives) though not an OS crash mid-checkpoint.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # The default 2 MiB page cache makes every insert into a large random-keyed index (e-mail,
    # domain, receipt keys) go back to the file; 64 MiB keeps their upper levels in memory.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()
    # SQLAlchemy emits BEGIN itself (see _sqlite_begin), so the driver must not.
    dbapi_connection.isolation_level = None


class _WriterQueue:
    """Write transactions of one process on one SQLite file, taken one at a time.

    A deferred transaction that reads and then writes fails with "database is locked" when
    another writer committed in between, so writers BEGIN IMMEDIATE. Within a process they
    first queue on a lock: SQLite's own busy handler waits by sleeping (up to 100 ms a try),
    while a lock hands over at once. Other processes still meet at SQLite's lock. Read-only
    work opts out with execution_options(readonly=True).
    """

    WAIT_SECONDS = 30

    def __init__(self) -> None:
        self._lock = threading.RLock()

    def begin(self, connection) -> None:
        if connection.get_execution_options().get("readonly"):
            connection.exec_driver_sql("BEGIN")
            return
        # Past the wait, go on without the lock: SQLite's own locking still keeps writes safe.
        held = self._lock.acquire(timeout=self.WAIT_SECONDS)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if held:
                self._lock.release()
            raise
        connection.info["holds_writer_lock"] = held

    def end(self, connection) -> None:
        if connection.info.pop("holds_writer_lock", False):
            self._lock.release()


def read_only(engine: Engine) -> Engine:
    """The same engine, beginning transactions without taking SQLite's write lock."""
    return engine.execution_options(readonly=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


WAL_CAP_BYTES = 256 * 2**20
"""How far SQLite's write-ahead log may grow while checkpoints run in the background."""


@contextmanager
def background_checkpoints(engine: Engine, *, pause: float = 0.0) -> Iterator[Callable[[], None]]:
    """On SQLite, WAL checkpoints (copying committed pages into the database file, and
    syncing it) move from whichever transaction happens to commit past SQLite's threshold to
    a thread of their own, which runs one every `pause` seconds (a server) or whenever
    `committed` is called (a bulk import, after each batch). Elsewhere a no-op.

    Past WAL_CAP_BYTES the log must start over: `committed` then waits for a complete
    checkpoint, and a round of the checkpointer briefly holds writers back (RESTART).
    """
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield lambda: None
        return
    checkpointer = _Checkpointer(database, pause=pause)

    def without_autocheckpoint(dbapi_connection, _record, _proxy) -> None:
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

    def with_autocheckpoint(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=1000")

    event.listen(engine, "checkout", without_autocheckpoint)
    event.listen(engine, "checkin", with_autocheckpoint)
    thread = threading.Thread(target=checkpointer.loop, name="salesrelay-checkpoint", daemon=True)
    thread.start()
    try:
        yield checkpointer.committed
    finally:
        event.remove(engine, "checkout", without_autocheckpoint)
        event.remove(engine, "checkin", with_autocheckpoint)
        checkpointer.stop()
        thread.join()


class _Checkpointer:
    WAIT_SECONDS = 30

    def __init__(self, database: str, *, pause: float) -> None:
        self.database = database
        self.pause = pause
        self.changed = threading.Condition()
        self.commits = 0  # commits so far
        self.settled = 0  # commits a complete checkpoint has covered
        self.logged_bytes = 0  # the log's content at the last checkpoint (its file stays big)
        self.stopping = False

    def over_cap(self) -> bool:
        return self.logged_bytes > WAL_CAP_BYTES

    def committed(self) -> None:
        with self.changed:
            self.commits += 1
            self.changed.notify_all()
            if self.over_cap():
                self.changed.wait_for(lambda: self.settled >= self.commits, self.WAIT_SECONDS)

    def stop(self) -> None:
        with self.changed:
            self.stopping = True
            self.changed.notify_all()

    def loop(self) -> None:
        connection = None
        try:
            connection = sqlite3.connect(self.database, timeout=30, check_same_thread=False)
            (page_size,) = connection.execute("PRAGMA page_size").fetchone()
        except sqlite3.Error as error:  # no database to checkpoint: nothing can write either
            log.warning("background checkpoints off for %s: %s", self.database, error)
            if connection is not None:
                connection.close()
            return
        failing = False
        try:
            while True:
                with self.changed:
                    self.changed.wait_for(
                        lambda: self.stopping or self.commits > self.settled, self.pause or None
                    )
                    if self.stopping:
                        return
                    target = self.commits
                # PASSIVE never blocks a writer; what it cannot copy yet waits for the next
                # round. RESTART (past the cap) waits for the writer in progress, copies
                # everything and makes the next writer start the log over.
                mode = "RESTART" if self.over_cap() else "PASSIVE"
                try:
                    _busy, logged, copied = connection.execute(
                        f"PRAGMA wal_checkpoint({mode})"
                    ).fetchone()
                except sqlite3.Error as error:
                    if not failing:
                        log.warning("checkpoints of %s failing: %s", self.database, error)
                    failing = True
                    with self.changed:
                        self.changed.wait_for(lambda: self.stopping, 1.0)
                    continue
                failing = False
                with self.changed:
                    self.logged_bytes = max(logged, 0) * page_size
                    if logged == copied:
                        self.settled = target
                        self.changed.notify_all()
                    else:  # a reader still needs older pages: try again shortly
                        self.changed.wait_for(lambda: self.stopping, 0.01)
        finally:
            connection.close()


def run(session: Session, statement, params=None):
    """Execute a prebuilt Core statement on the session's own connection.

    Hot paths (intake above all) build their statements once, with bind parameters, and run
    them here: building a statement and passing it through the ORM's execution layer costs
    several times what SQLite takes to answer a one-row lookup. Pending ORM changes are
    flushed first, as `session.execute` would.
    """
    session.flush()
    return session.connection().execute(statement, params)


def reserve_ids(session: Session, table, count: int) -> list[int]:
    """Primary keys for `count` new rows of `table`, so a batch insert needs no RETURNING.

    On PostgreSQL they come from the table's sequence. On SQLite the caller already holds the
    write lock (BEGIN IMMEDIATE), so nobody else can take max(id) + 1 … max(id) + count.
    """
    if count <= 0:
        return []
    connection = session.connection()
    # The table name comes from our own metadata and count is an int: nothing user-supplied
    # reaches these statements.
    name = table.name
    if connection.dialect.name == "postgresql":
        rows = connection.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{name}', 'id')) "  # nosec B608
            f"FROM generate_series(1, {int(count)})"
        )
        return [row[0] for row in rows]
    start = connection.exec_driver_sql(
        f"SELECT coalesce(max(id), 0) FROM {name}"  # nosec B608
    ).scalar()
    return list(range(start + 1, start + 1 + count))


def insert_rows(session: Session, table, rows: list[dict]) -> None:
    """One executemany straight to the driver: the fast path for batches.

    Every row must have the same keys. Values go through each column type's own bind
    processor (the same conversion SQLAlchemy applies), looked up once per batch and
    memoised for repeated values such as one batch's timestamp, which skips the per-row
    parameter machinery that dominates bulk inserts.
    """
    if not rows:
        return
    connection = session.connection()
    sql, names, positional, converters = _compiled_insert(table, tuple(rows[0]), connection.dialect)
    converters = [(index, _memoised(c) if memo else c) for index, c, memo in converters]
    take = itemgetter(*names)
    params = []
    for row in rows:
        values = list(take(row)) if len(names) > 1 else [take(row)]
        for index, convert in converters:
            values[index] = convert(values[index])
        params.append(tuple(values) if positional else dict(zip(names, values, strict=True)))
    connection.exec_driver_sql(sql, params)


@lru_cache(maxsize=256)
def _compiled_insert(table, columns: tuple[str, ...], dialect):
    """The INSERT's SQL, its parameter order, and each column's bind processor, made once."""
    compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
    names = list(compiled.positiontup) if compiled.positional else list(columns)
    converters = [
        (index, processor, _hashable(table.c[name].type))
        for index, name in enumerate(names)
        if (processor := table.c[name].type._cached_bind_processor(dialect)) is not None
    ]
    return compiled.string, names, compiled.positional, converters


def _hashable(column_type) -> bool:
    return not isinstance(column_type, JSON) and not isinstance(
        getattr(column_type, "impl", None), JSON
    )


def _memoised(processor):
    seen: dict = {}

    def convert(value):
        try:
            return seen[value]
        except KeyError:
            seen[value] = converted = processor(value)
            return converted

    return convert
