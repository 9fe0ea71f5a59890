"""API keys: create (shown once), authenticate, revoke."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from salesrelay.auth.models import ApiKey
from salesrelay.db import utcnow

SCOPES = ("intake", "read", "write", "admin")
"""intake: send leads. read: read journeys, team, playbook. write: read + change them.
admin: all."""

_IMPLIED = {"admin": set(SCOPES), "write": {"read", "write", "intake"}, "read": {"read"}}


def allows(granted: str, needed: str) -> bool:
    return needed == granted or needed in _IMPLIED.get(granted, set())


def hash_key(plaintext: str) -> str:
    # Keys are 256-bit random tokens, so a fast hash is enough: there is nothing to brute-force,
    # and intake must not spend tens of milliseconds on argon2 for every request.
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create(*, session: Session, name: str, scope: str) -> tuple[ApiKey, str]:
    if scope not in SCOPES:
        raise ValueError(f"unknown scope '{scope}'; use one of: {', '.join(SCOPES)}")
    plaintext = "sr_" + secrets.token_urlsafe(32)
    key = ApiKey(name=name, scope=scope, prefix=plaintext[:10], key_hash=hash_key(plaintext))
    session.add(key)
    session.flush()
    return key, plaintext


_BY_HASH = select(ApiKey).where(ApiKey.key_hash == bindparam("key_hash"))


def authenticate(*, session: Session, plaintext: str) -> ApiKey | None:
    key = session.scalar(_BY_HASH, {"key_hash": hash_key(plaintext)})
    if key is None or key.revoked_at is not None:
        return None
    return key


def revoke(*, session: Session, key_id: int) -> ApiKey | None:
    key = session.get(ApiKey, key_id)
    if key is not None and key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


def list_keys(*, session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))
