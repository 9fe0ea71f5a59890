"""Readiness: can this process do its work? The database answers, its schema is at the
migrations' head, and a playbook is installed. Three one-row queries on one connection."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import SQLAlchemyError

from salesrelay import migrate
from salesrelay.db import read_only
from salesrelay.playbook.models import PlaybookVersion

log = logging.getLogger("salesrelay.readiness")

_REVISIONS = text("SELECT version_num FROM alembic_version")
_ACTIVE_PLAYBOOK = (
    select(PlaybookVersion.version, PlaybookVersion.name).where(PlaybookVersion.active.is_(True))
).limit(1)


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The migrations shipped in this package (read from their files once)."""
    return frozenset(ScriptDirectory(str(migrate.MIGRATIONS)).get_heads())


@dataclass
class Readiness:
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.missing

    def body(self) -> dict[str, Any]:
        return {"status": "ready" if self.ready else "not ready", **self.checks} | (
            {"missing": self.missing} if self.missing else {}
        )


def check(engine: Engine) -> Readiness:
    result = Readiness()
    try:
        connection = read_only(engine).connect()
    except SQLAlchemyError as error:
        log.warning("readiness: database unreachable: %s", _first_line(error))
        result.checks["database"] = {"ok": False, "error": type(error).__name__}
        result.missing.append("database: unreachable")
        return result
    with connection:
        result.checks["database"] = {"ok": True, "dialect": engine.dialect.name}
        head = sorted(head_revisions())
        try:
            current = sorted(row[0] for row in connection.execute(_REVISIONS))
        except SQLAlchemyError:
            connection.rollback()  # PostgreSQL refuses further statements in a failed one
            current = []
        migrated = current == head
        result.checks["migrations"] = {"ok": migrated, "current": current, "head": head}
        if not migrated:
            result.missing.append(
                "migrations: the database is not at the migrations' head; run `salesrelay init`"
            )
            return result  # the tables below may not exist yet
        try:
            playbook = connection.execute(_ACTIVE_PLAYBOOK).first()
        except SQLAlchemyError as error:
            connection.rollback()
            log.warning("readiness: playbook not readable: %s", _first_line(error))
            result.checks["playbook"] = {"ok": False, "error": type(error).__name__}
            result.missing.append("playbook: cannot be read")
            return result
        if playbook is None:
            result.checks["playbook"] = {"ok": False}
            result.missing.append(
                "playbook: none installed; run `salesrelay init` or `salesrelay playbook install`"
            )
        else:
            result.checks["playbook"] = {
                "ok": True,
                "version": playbook.version,
                "name": playbook.name,
            }
    return result


def _first_line(error: Exception) -> str:
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"
