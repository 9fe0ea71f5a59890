"""What a backup says about itself: which store, which schema revision, how many rows in
every table, and the checksum of the copy. Pure: no database, no files."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from salesrelay.errors import SalesRelayError

FORMAT = "salesrelay-backup"
VERSION = 1
BACKENDS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
"""The store each backup comes from, and the name of the copy inside the file."""


class BackupError(SalesRelayError):
    """A backup that cannot be taken, read or restored; the message says what to fix."""


@dataclass(frozen=True)
class Manifest:
    backend: str
    revision: str | None
    """The Alembic revision the copy's schema is at."""
    tables: dict[str, int]
    """Rows in each table of the copy, counted inside the same snapshot as the copy."""
    created_at: str
    sha256: str = ""
    bytes: int = 0
    salesrelay_version: str = ""
    format: str = FORMAT
    version: int = VERSION
    notes: list[str] = field(default_factory=list)

    @property
    def data_name(self) -> str:
        return BACKENDS[self.backend]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        try:
            data = json.loads(text)
        except ValueError as error:
            raise BackupError(f"the backup's manifest is not JSON: {error}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BackupError("not a SalesRelay backup (its manifest names another format)")
        if data.get("version") != VERSION:
            raise BackupError(
                f"backup format version {data.get('version')} is not one this SalesRelay "
                f"reads ({VERSION}); restore it with the version that wrote it"
            )
        if data.get("backend") not in BACKENDS:
            raise BackupError(f"the backup names an unknown database kind {data.get('backend')!r}")
        tables = data.get("tables")
        if not isinstance(tables, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and v >= 0 for k, v in tables.items()
        ):
            raise BackupError("the backup's manifest has no valid table row counts")
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{key: value for key, value in data.items() if key in known})


def count_differences(expected: dict[str, int], actual: dict[str, int]) -> list[str]:
    """Every table whose row count is not the manifest's, in words; empty when all agree."""
    problems = []
    for table in sorted(expected.keys() | actual.keys()):
        want, have = expected.get(table), actual.get(table)
        if want is None:
            problems.append(f"table {table} is not in the backup ({have} rows)")
        elif have is None:
            problems.append(f"table {table} is missing (the backup has {want} rows)")
        elif want != have:
            problems.append(f"table {table} has {have} rows; the backup has {want}")
    return problems


def holds_data(tables: dict[str, int]) -> dict[str, int]:
    """The tables with rows, leaving out Alembic's bookkeeping of the schema revision."""
    return {name: rows for name, rows in tables.items() if rows and name != "alembic_version"}
