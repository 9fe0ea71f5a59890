"""Backup and restore, for whichever store the database URL names.

    backup(url=..., target=Path("sr.backup"), now=utcnow()) -> BackupReport
    restore(url=..., source=Path("sr.backup"), force=False) -> RestoreReport

A restore checks the backup before it touches the database (checksum, the store's own
reading of the copy, row counts against the manifest), refuses to overwrite a database that
holds data unless forced, and checks the result afterwards: SQLite's integrity and foreign
key checks, PostgreSQL's schema revision, and on both every table's rows against the
manifest. A backup from an older release is migrated to this release's schema afterwards.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from salesrelay import __version__, migrate
from salesrelay.backup import archive, postgres, sqlite
from salesrelay.backup.manifest import BackupError, Manifest, count_differences, holds_data


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class BackupReport:
    file: str
    backend: str
    revision: str | None
    tables: dict[str, int]
    rows: int
    bytes: int
    sha256: str
    created_at: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class RestoreReport:
    file: str
    backend: str
    revision: str | None
    rows: int
    tables: dict[str, int]
    checks: list[Check] = field(default_factory=list)
    migrated_from: str | None = None

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def backend_of(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"backups cover SQLite and PostgreSQL, not {name}")
    return name


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(migrate.alembic_config(url)).get_current_head()


def backup(*, url: str, target: Path, now: datetime) -> BackupReport:
    """A consistent copy of the database, taken while it keeps serving, written to `target`."""
    backend = backend_of(url)
    if target.is_dir():
        raise BackupError(f"{target} is a directory; name the backup file to write")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent}: no such directory")
    with tempfile.TemporaryDirectory(prefix="salesrelay-backup-", dir=target.parent) as work:
        copy = Path(work) / ("copy.sqlite3" if backend == "sqlite" else "copy.pgdump")
        if backend == "sqlite":
            sqlite.snapshot(sqlite_path(url), copy)
            counts, revision, problems = sqlite.read(copy)
            if problems:
                raise BackupError(
                    "the database fails SQLite's integrity check, so no backup was written: "
                    + "; ".join(problems[:5])
                )
        else:
            counts, revision = postgres.snapshot(url, copy)
        manifest = Manifest(
            backend=backend,
            revision=revision,
            tables=counts,
            created_at=now.isoformat(),
            sha256=archive.sha256_of(copy),
            bytes=copy.stat().st_size,
            salesrelay_version=__version__,
        )
        archive.write(target, manifest, copy)
    return BackupReport(
        file=str(target),
        backend=backend,
        revision=revision,
        tables=counts,
        rows=manifest.rows,
        bytes=target.stat().st_size,
        sha256=manifest.sha256,
        created_at=manifest.created_at,
    )


def verify(source: Path, workdir: Path) -> tuple[Manifest, Path]:
    """Read and check a backup without touching any database: the checksum, the store's
    own reading of the copy, and (SQLite) its integrity and row counts."""
    manifest, copy = archive.read(source, workdir)
    if manifest.backend == "sqlite":
        counts, revision, problems = sqlite.read(copy)
        if problems:
            raise BackupError(f"{source}: the copy fails SQLite's integrity check: {problems[0]}")
        differences = count_differences(manifest.tables, counts)
        if differences or revision != manifest.revision:
            raise BackupError(
                f"{source}: the copy does not match its manifest: "
                + "; ".join(differences or [f"revision {revision}"])
            )
    else:
        postgres.check_archive(copy)
    return manifest, copy


def restore(*, url: str, source: Path, force: bool = False) -> RestoreReport:
    backend = backend_of(url)
    with tempfile.TemporaryDirectory(prefix="salesrelay-restore-") as work:
        manifest, copy = verify(source, Path(work))
        if manifest.backend != backend:
            raise BackupError(
                f"{source} is a {manifest.backend} backup; it restores into a "
                f"{manifest.backend} database, and this one is {backend}"
            )
        _refuse_unknown_revision(url, manifest)
        present = holds_data(_current_tables(url, backend))
        if present and not force:
            listed = ", ".join(f"{name}: {rows}" for name, rows in sorted(present.items())[:5])
            raise BackupError(
                f"the database already holds data ({sum(present.values())} rows; {listed}"
                f"{', …' if len(present) > 5 else ''}); a restore replaces all of it — "
                "restore into a new database, or pass --force"
            )
        if backend == "sqlite":
            sqlite.put_back(copy, sqlite_path(url))
        else:
            postgres.put_back(copy, url)
    return _check_restored(url, backend, source, manifest)


def _current_tables(url: str, backend: str) -> dict[str, int]:
    if backend == "sqlite":
        path = sqlite_path(url)
        if not path.exists():
            return {}
        counts, _, _ = sqlite.read(path)
        return counts
    counts, _ = postgres.read(url)
    return counts


def _refuse_unknown_revision(url: str, manifest: Manifest) -> None:
    if manifest.revision is None:
        return
    scripts = ScriptDirectory.from_config(migrate.alembic_config(url))
    if any(script.revision == manifest.revision for script in scripts.walk_revisions()):
        return
    raise BackupError(
        f"the backup's schema revision {manifest.revision} is unknown to SalesRelay "
        f"{__version__}; restore it with the release that wrote it "
        f"({manifest.salesrelay_version or 'unknown'}) or a newer one"
    )


def _check_restored(url: str, backend: str, source: Path, manifest: Manifest) -> RestoreReport:
    checks: list[Check] = []
    if backend == "sqlite":
        counts, revision, problems = sqlite.read(sqlite_path(url))
        checks.append(
            Check(
                "sqlite_integrity",
                not problems,
                "PRAGMA integrity_check: ok; PRAGMA foreign_key_check: no rows"
                if not problems
                else "; ".join(problems[:10]),
            )
        )
    else:
        counts, revision = postgres.read(url)
    differences = count_differences(manifest.tables, counts)
    checks.append(
        Check(
            "row_counts",
            not differences,
            f"{len(counts)} tables, {sum(counts.values())} rows, as in the manifest"
            if not differences
            else "; ".join(differences),
        )
    )
    migrated_from = None
    head = head_revision(url)
    if not differences and revision is not None and revision != head:
        migrated_from = revision
        migrate.upgrade(url)
        revision = _current_revision(url, backend)
    checks.append(
        Check(
            "schema_revision",
            revision == head,
            f"at head {head}" + (f" (migrated from {migrated_from})" if migrated_from else "")
            if revision == head
            else f"at {revision}; this release's head is {head}",
        )
    )
    return RestoreReport(
        file=str(source),
        backend=backend,
        revision=revision,
        rows=sum(counts.values()),
        tables=counts,
        checks=checks,
        migrated_from=migrated_from,
    )


def _current_revision(url: str, backend: str) -> str | None:
    if backend == "sqlite":
        return sqlite.read(sqlite_path(url))[1]
    return postgres.read(url)[1]
