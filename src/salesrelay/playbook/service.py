"""Installing playbook versions and reading the active one."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from salesrelay.db import run
from salesrelay.playbook import parse_playbook
from salesrelay.playbook.models import PlaybookVersion
from salesrelay.playbook.schema import Playbook


class NoPlaybookError(LookupError):
    def __str__(self) -> str:
        return "no playbook is installed; run `salesrelay init --template four-role` first"


@dataclass(frozen=True)
class ActivePlaybook:
    version: int
    playbook: Playbook
    source_text: str


@lru_cache(maxsize=32)
def parse(text: str) -> Playbook:
    """The playbook a stored text describes, parsed once per distinct text."""
    return parse_playbook(text)


def install(*, session: Session, text: str, created_by: str | None = None) -> PlaybookVersion:
    """Validate and store a new version, and make it the active one."""
    playbook = parse(text)
    latest = session.scalar(select(func.max(PlaybookVersion.version))) or 0
    session.execute(update(PlaybookVersion).values(active=False))
    row = PlaybookVersion(
        version=latest + 1,
        name=playbook.name,
        source_text=text,
        active=True,
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return row


_ACTIVE = select(PlaybookVersion.version, PlaybookVersion.source_text).where(
    PlaybookVersion.active.is_(True)
)


def active(*, session: Session) -> ActivePlaybook:
    row = run(session, _ACTIVE).first()
    if row is None:
        raise NoPlaybookError()
    return ActivePlaybook(row.version, parse(row.source_text), row.source_text)


def history(
    *, session: Session, offset: int = 0, limit: int | None = None
) -> list[PlaybookVersion]:
    """Installed versions, newest first."""
    query = select(PlaybookVersion).order_by(PlaybookVersion.version.desc()).offset(offset)
    return list(session.scalars(query.limit(limit)))


def count_versions(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(PlaybookVersion)) or 0


def get_version(*, session: Session, version: int) -> PlaybookVersion | None:
    return session.scalar(select(PlaybookVersion).where(PlaybookVersion.version == version))
