"""Dependencies: a session per request (the request owns the commit), and who is asking —
an API key (`Authorization: Bearer …`) or a signed-in user (the session cookie)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from salesrelay.api.limits import KeyRateLimits
from salesrelay.auth import service as auth_service
from salesrelay.auth.models import ApiKey
from salesrelay.db import transaction
from salesrelay.errors import SalesRelayError
from salesrelay.users import access, sessions
from salesrelay.users import service as user_service
from salesrelay.users.access import Principal

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class AuthError(SalesRelayError):
    status_code = 401


class ForbiddenError(SalesRelayError):
    status_code = 403


class RateLimitedError(SalesRelayError):
    status_code = 429

    def __init__(self, retry_after_seconds: int):
        super().__init__(
            f"this API key sent more requests than its rate allows; retry in "
            f"{retry_after_seconds} s"
        )
        self.headers = {"Retry-After": str(retry_after_seconds)}


def get_session(request: Request) -> Iterator[Session]:
    # Reads need no write lock on SQLite; everything else takes it at its first statement.
    reading = request.method in ("GET", "HEAD")
    state = request.app.state
    with transaction(state.read_sessionmaker if reading else state.sessionmaker) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
"""Committed before the response is sent: a client (or a browser following a redirect) that
asks again at once sees the change, and a failed commit is the answer, not a lost write."""


def authorize(
    *, session: Session, header: str | None, scope: str, limits: KeyRateLimits | None = None
) -> ApiKey:
    """The API key named by an Authorization header, if it may do what `scope` allows and
    is within its request rate."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError(
            "send an API key as 'Authorization: Bearer <key>' (create one with "
            "`salesrelay keys create --scope intake`)"
        )
    key = auth_service.authenticate(session=session, plaintext=token.strip())
    if key is None:
        raise AuthError("this API key is unknown or revoked")
    if not auth_service.allows(key.scope, scope):
        raise ForbiddenError(f"this key has scope '{key.scope}'; this call needs '{scope}'")
    _within_rate(limits, key)
    return key


def _within_rate(limits: KeyRateLimits | None, key: ApiKey) -> None:
    # Counted after the key is known (the lookup is needed anyway), so unknown keys cannot
    # fill the table and one key's buckets never slow another's.
    if limits is not None:
        wait = limits.wait_for(key_id=key.id, scope=key.scope)
        if wait:
            raise RateLimitedError(wait)


def signed_in_user(request: Request, session: Session):
    """The user the session cookie names, with their session data, or (None, data)."""
    data = sessions.decode(
        request.cookies.get(sessions.COOKIE_NAME), secret=request.app.state.settings.secret_key
    )
    if data is None or data.user_id is None:
        return None, data
    user = user_service.get(session=session, user_id=data.user_id)
    if user is None or user.disabled_at is not None:
        return None, data
    valid_after = user.sessions_valid_after
    if valid_after is not None and data.issued_at + timedelta(milliseconds=1) <= valid_after:
        return None, data
    return user, data


def principal_from(request: Request, session: Session) -> Principal | None:
    """Who is asking, by API key or session cookie; None when nobody is."""
    header = request.headers.get("authorization")
    if header:
        return _key_principal(session, header, request.app.state.key_limits)
    user, data = signed_in_user(request, session)
    if user is None:
        return None
    return access.for_user(session=session, user=user, csrf=data.csrf)


def _key_principal(session: Session, header: str, limits: KeyRateLimits | None) -> Principal:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("send an API key as 'Authorization: Bearer <key>', or sign in")
    key = auth_service.authenticate(session=session, plaintext=token.strip())
    if key is None:
        raise AuthError("this API key is unknown or revoked")
    _within_rate(limits, key)
    granted = frozenset(s for s in auth_service.SCOPES if auth_service.allows(key.scope, s))
    return access.for_key(prefix=key.prefix, scopes=granted)


def current_principal(request: Request, session: SessionDep) -> Principal:
    principal = principal_from(request, session)
    if principal is None:
        raise AuthError(
            "send an API key as 'Authorization: Bearer <key>' (create one with "
            "`salesrelay keys create --scope read`), or sign in"
        )
    # A cookie is sent by the browser on its own; a header proves the page asked.
    if (
        principal.is_user
        and request.method not in SAFE_METHODS
        and not sessions.tokens_match(request.headers.get("x-csrf-token"), principal.csrf)
    ):
        raise ForbiddenError("send the page's CSRF token in the X-CSRF-Token header")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_scope(scope: str):
    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.allows(scope):
            if principal.is_user:
                raise ForbiddenError(f"a {principal.role} cannot do this; it needs '{scope}'")
            raise ForbiddenError(f"this key lacks the scope '{scope}' this call needs")
        return principal

    return check


IntakeKey = Annotated[Principal, Depends(require_scope("intake"))]
ReadKey = Annotated[Principal, Depends(require_scope("read"))]
WriteKey = Annotated[Principal, Depends(require_scope("write"))]
AdminKey = Annotated[Principal, Depends(require_scope("admin"))]
"""Each is an API key with that scope, or a signed-in user whose role grants it."""
