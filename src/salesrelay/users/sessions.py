"""The signed session cookie: who is signed in, since when, and the form (CSRF) token.

Nothing is stored server-side but `users.sessions_valid_after`: signing out moves it, and
every cookie issued before it stops working.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE_NAME = "salesrelay_session"
MAX_AGE_SECONDS = 12 * 3600
"""A working day: people sign in again the next morning."""


@dataclass(frozen=True)
class SessionData:
    user_id: int | None
    csrf: str
    issued_at: datetime


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="salesrelay.session")


def new(*, user_id: int | None, now: datetime) -> SessionData:
    return SessionData(user_id=user_id, csrf=secrets.token_urlsafe(24), issued_at=now)


def encode(data: SessionData, *, secret: str) -> str:
    payload = {"u": data.user_id, "c": data.csrf, "i": int(data.issued_at.timestamp() * 1000)}
    return _serializer(secret).dumps(payload)


def decode(cookie: str | None, *, secret: str) -> SessionData | None:
    """The session a cookie carries, or None if it is missing, forged or too old."""
    if not cookie:
        return None
    try:
        payload = _serializer(secret).loads(cookie, max_age=MAX_AGE_SECONDS)
        return SessionData(
            user_id=payload["u"] if isinstance(payload["u"], int) else None,
            csrf=str(payload["c"]),
            issued_at=datetime.fromtimestamp(int(payload["i"]) / 1000, UTC),
        )
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def tokens_match(sent: str | None, expected: str | None) -> bool:
    return bool(sent and expected) and secrets.compare_digest(str(sent), str(expected))
