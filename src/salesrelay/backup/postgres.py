"""PostgreSQL: `pg_dump --format=custom` from one exported snapshot, `pg_restore --clean
--if-exists` in one transaction.

The row counts of the manifest are read in the transaction that exports the snapshot, and
pg_dump reads through that same snapshot (`--snapshot`), so the counts describe exactly the
rows in the dump even while the servers go on writing.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess  # nosec B404 - pg_dump/pg_restore run without a shell
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

from salesrelay.backup.manifest import BackupError

TOOL_TIMEOUT_SECONDS = 3600


def tool(name: str) -> str:
    """A PostgreSQL client program: from PATH, else `pg_config --bindir`, else the newest
    /usr/lib/postgresql/<version>/bin (Debian puts them there without linking them)."""
    found = shutil.which(name)
    if found:
        return found
    pg_config = shutil.which("pg_config")
    if pg_config:
        # pg_config from PATH, with fixed arguments.
        done = subprocess.run(  # nosec B603
            [pg_config, "--bindir"], capture_output=True, text=True, check=False, timeout=30
        )
        candidate = Path(done.stdout.strip()) / name
        if done.returncode == 0 and candidate.is_file():
            return str(candidate)
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda path: [int(part) for part in re.findall(r"\d+", path)],
        reverse=True,
    )
    for bindir in versions:
        candidate = Path(bindir) / name
        if candidate.is_file():
            return str(candidate)
    raise BackupError(
        f"{name} not found: install the PostgreSQL client programs (e.g. apt-get install "
        "postgresql-client) or put their directory on PATH"
    )


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The database URL as pg_dump and pg_restore take it, with the password moved to
    PGPASSWORD so it never shows in the process list."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    conninfo = parsed.set(drivername="postgresql", password=None)
    return conninfo.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    # No shell: the command is a PostgreSQL client tool and arguments we built.
    done = subprocess.run(  # nosec B603
        command, env=env, capture_output=True, text=True, check=False, timeout=TOOL_TIMEOUT_SECONDS
    )
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: {' / '.join(detail[-3:]) or f'exit {done.returncode}'}")


def engine(url: str, **kwargs):
    return create_engine(url, poolclass=NullPool, **kwargs)


def tables(connection: Connection) -> dict[str, int]:
    names = connection.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")
    ).scalars()
    # Table names come from the catalog of the database being backed up, quoted.
    return {
        name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()  # nosec B608
        for name in list(names)
    }


def revision(connection: Connection) -> str | None:
    exists = connection.execute(
        text("SELECT to_regclass(current_schema() || '.alembic_version') IS NOT NULL")
    ).scalar_one()
    if not exists:
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def snapshot(url: str, copy: Path) -> tuple[dict[str, int], str | None]:
    """Dump the database into `copy`; returns the row counts and revision of that dump."""
    dump = tool("pg_dump")
    conninfo, env = _libpq(url)
    with engine(url, isolation_level="REPEATABLE READ").connect() as connection:
        connection.execute(text("SET TRANSACTION READ ONLY"))
        exported = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        counts, at_revision = tables(connection), revision(connection)
        # The transaction stays open until pg_dump is done: the snapshot lives only so long.
        _run(
            [dump, "--format=custom", f"--snapshot={exported}", f"--file={copy}", conninfo],
            env,
            "pg_dump",
        )
        connection.rollback()
    return counts, at_revision


def check_archive(copy: Path) -> None:
    """pg_restore reads the archive's table of contents: a truncated or foreign file fails."""
    _run([tool("pg_restore"), "--list", str(copy)], dict(os.environ), "reading the dump")


def put_back(copy: Path, url: str) -> None:
    """Drop what the dump holds and recreate it, all in one transaction: a failure leaves
    the database as it was."""
    conninfo, env = _libpq(url)
    _run(
        [
            tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={conninfo}",
            str(copy),
        ],
        env,
        "pg_restore",
    )


def read(url: str) -> tuple[dict[str, int], str | None]:
    with engine(url).connect() as connection:
        return tables(connection), revision(connection)
