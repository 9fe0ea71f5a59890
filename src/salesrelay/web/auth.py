"""Who is looking at a page: the session cookie, CSRF on every form, roles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from salesrelay.api.deps import SessionDep, signed_in_user
from salesrelay.users import access, sessions
from salesrelay.users.access import Principal

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SignInRequired(Exception):
    def __init__(self, next_path: str):
        self.next_path = next_path


class PageForbidden(Exception):
    def __init__(self, message: str, status_code: int = 403):
        self.message = message
        self.status_code = status_code


def set_session_cookie(request: Request, response: Response, data: sessions.SessionData) -> None:
    settings = request.app.state.settings
    response.set_cookie(
        sessions.COOKIE_NAME,
        sessions.encode(data, secret=settings.secret_key),
        max_age=sessions.MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.base_url.startswith("https://"),
        path="/",
    )


def session_data(request: Request) -> sessions.SessionData | None:
    return sessions.decode(
        request.cookies.get(sessions.COOKIE_NAME), secret=request.app.state.settings.secret_key
    )


async def csrf_protect(request: Request) -> None:
    """Every form carries the session's token; a form from anywhere else is refused."""
    data = session_data(request)
    request.state.csrf = data.csrf if data else ""
    _refuse_nul(request.query_params.multi_items())
    if request.method not in UNSAFE:
        return
    form = await request.form()
    request.state.form = form
    if data is None or not sessions.tokens_match(form.get("csrf_token"), data.csrf):
        raise PageForbidden(
            "This form was not sent from a SalesRelay page, or the page is too old. "
            "Go back, reload the page and send it again.",
        )
    _refuse_nul(item for item in form.multi_items() if isinstance(item[1], str))


def _refuse_nul(items) -> None:
    # PostgreSQL cannot store a NUL character; refuse it here rather than fail on saving.
    for name, value in items:
        if "\x00" in name or "\x00" in value:
            raise PageForbidden(
                f"The field '{name.replace(chr(0), '')}' holds a NUL character (\\u0000), "
                "which cannot be saved. Remove it and send the form again.",
                status_code=422,
            )


def viewer(request: Request, session: SessionDep) -> Principal:
    user, data = signed_in_user(request, session)
    if user is None:
        raise SignInRequired(request.url.path)
    request.state.user = user
    return access.for_user(session=session, user=user, csrf=data.csrf)


Viewer = Annotated[Principal, Depends(viewer)]


def require_role(*roles: str):
    def check(principal: Viewer) -> Principal:
        if principal.role not in roles:
            raise PageForbidden(
                f"This page is for {' and '.join(r + 's' for r in roles)}. "
                "Ask an admin if you need it."
            )
        return principal

    return check


Manager = Annotated[Principal, Depends(require_role("manager", "admin"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]


def now() -> datetime:
    return datetime.now(UTC)
