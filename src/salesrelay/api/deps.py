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


def _api_key(request: Request, session: SessionDep) -> ApiKey:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("send an API key as 'Authorization: Bearer <key>' (create one with "
                        "`salesrelay keys create --scope intake`)")
    key = auth_service.authenticate(session=session, plaintext=token.strip())
    if key is None:
        raise AuthError("this API key is unknown or revoked")
    return key


def require_scope(scope: str):
    def check(key: Annotated[ApiKey, Depends(_api_key)]) -> ApiKey:
        if not auth_service.allows(key.scope, scope):
            raise ForbiddenError(f"this key has scope '{key.scope}'; this call needs '{scope}'")
        return key

    return check


IntakeKey = Annotated[ApiKey, Depends(require_scope("intake"))]
ReadKey = Annotated[ApiKey, Depends(require_scope("read"))]
WriteKey = Annotated[ApiKey, Depends(require_scope("write"))]
AdminKey = Annotated[ApiKey, Depends(require_scope("admin"))]
