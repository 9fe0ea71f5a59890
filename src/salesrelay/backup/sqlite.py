"""SQLite: copies through the online backup API, checks with SQLite's own pragmas.

`Connection.backup` with the default `pages=-1` copies every page in one step inside one
read transaction, so the copy is the database as of one commit even while the server goes
on writing (WAL lets the writer continue; it never waits for the copy).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from salesrelay.backup.manifest import BackupError

BUSY_TIMEOUT_SECONDS = 30


def connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    return connection


def snapshot(database: Path, copy: Path) -> None:
    """Copy the live database at `database` into a new file `copy`, self-contained (no WAL)."""
    if not database.is_file():
        raise BackupError(f"{database}: no such SQLite database")
    with closing(connect(database)) as source, closing(connect(copy)) as target:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")


def put_back(copy: Path, database: Path) -> None:
    """Replace the contents of `database` with `copy`, page by page under SQLite's lock, so
    connections that stay open see either the old database or the restored one."""
    database.parent.mkdir(parents=True, exist_ok=True)
    with closing(connect(copy)) as source, closing(connect(database)) as target:
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")


def tables(connection: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    # Table names come from sqlite_master of the database being backed up, quoted.
    return {
        name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # nosec B608
        for name in names
    }


def revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


def integrity_problems(connection: sqlite3.Connection) -> list[str]:
    """SQLite's own verdicts: `integrity_check` (pages, indexes, constraints) and
    `foreign_key_check` (rows whose parent is gone). Empty when both are clean."""
    problems = [row[0] for row in connection.execute("PRAGMA integrity_check") if row[0] != "ok"]
    problems += [
        f"foreign key: {table} row {rowid} points at a missing {parent} row"
        for table, rowid, parent, _ in connection.execute("PRAGMA foreign_key_check")
    ]
    return problems


def read(database: Path) -> tuple[dict[str, int], str | None, list[str]]:
    """Row counts, revision and integrity problems of a SQLite file."""
    try:
        with closing(connect(database)) as connection:
            return tables(connection), revision(connection), integrity_problems(connection)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{database}: not a readable SQLite database ({error})") from None
