"""Dependencies: a session per request (the request owns the commit) and API-key auth."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from salesrelay.auth import service as auth_service
from salesrelay.auth.models import ApiKey
from salesrelay.errors import SalesRelayError


class AuthError(SalesRelayError):
    status_code = 401


class ForbiddenError(SalesRelayError):
    status_code = 403


def get_session(request: Request) -> Iterator[Session]:
    # Reads need no write lock on SQLite; everything else takes it at its first statement.
    if request.method in ("GET", "HEAD"):
        session = request.app.state.read_sessionmaker()
    else:
        session = request.app.state.sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


def authorize(*, session: Session, header: str | None, scope: str) -> ApiKey:
    """The API key named by an Authorization header, if it may do what `scope` allows."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("send an API key as 'Authorization: Bearer <key>' (create one with "
                        "`salesrelay keys create --scope intake`)")
    key = auth_service.authenticate(session=session, plaintext=token.strip())
    if key is None:
        raise AuthError("this API key is unknown or revoked")
    if not auth_service.allows(key.scope, scope):
        raise ForbiddenError(f"this key has scope '{key.scope}'; this call needs '{scope}'")
    return key


def require_scope(scope: str):
    def check(request: Request, session: SessionDep) -> ApiKey:
        return authorize(session=session, header=request.headers.get("authorization"), scope=scope)

    return check


IntakeKey = Annotated[ApiKey, Depends(require_scope("intake"))]
ReadKey = Annotated[ApiKey, Depends(require_scope("read"))]
WriteKey = Annotated[ApiKey, Depends(require_scope("write"))]
AdminKey = Annotated[ApiKey, Depends(require_scope("admin"))]
