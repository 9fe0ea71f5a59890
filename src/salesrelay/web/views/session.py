"""Sign in, sign out, and the front door that sends each role to its first page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from salesrelay.api.deps import SessionDep, signed_in_user
from salesrelay.users import service as user_service
from salesrelay.users import sessions
from salesrelay.web.auth import csrf_protect, now, session_data, set_session_cookie
from salesrelay.web.rendering import local_path, page, redirect

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


def _safe_next(target: str | None) -> str:
    return local_path(target) or "/"


@router.get("/")
def home(request: Request, session: SessionDep):
    user, _ = signed_in_user(request, session)
    if user is None:
        return RedirectResponse("/sign-in", status_code=303)
    return RedirectResponse("/dashboard" if user.role != "rep" else "/queue", status_code=303)


@router.get("/sign-in")
def sign_in_form(request: Request, session: SessionDep, next: str | None = None):
    user, _ = signed_in_user(request, session)
    if user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    data = session_data(request) or sessions.new(user_id=None, now=now())
    request.state.csrf = data.csrf
    response = page(request, "sign_in.html", {"next": _safe_next(next)})
    set_session_cookie(request, response, data)
    return response


@router.post("/sign-in")
# An empty form field is the default, not a hard-coded password.
def sign_in(  # nosec B107
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
):
    moment = now()
    keys = user_service.throttle_keys(email, request.client.host if request.client else None)
    waiting = user_service.check_throttle(session=session, keys=keys, now=moment)
    if waiting is None:
        user = user_service.authenticate(
            session=session, email=email, password=password, now=moment
        )
        if user is not None:
            user_service.clear_throttle(session=session, key=keys[0])
            response = redirect(_safe_next(next))
            # A new token on sign-in: nothing learned before it works after it.
            set_session_cookie(request, response, sessions.new(user_id=user.id, now=moment))
            return response
        waiting = user_service.record_failure(
            session=session,
            keys=keys,
            now=moment,
            limits=user_service.ThrottleLimits.from_settings(request.app.state.settings),
        )
    if waiting is not None:
        response = page(
            request,
            "sign_in.html",
            {
                "next": next,
                "email": email,
                "error": "Too many failed sign-ins. Wait "
                f"{waiting.retry_after_seconds // 60 + 1} minutes, then try again.",
            },
            status_code=429,
        )
        response.headers["Retry-After"] = str(waiting.retry_after_seconds)
        return response
    return page(
        request,
        "sign_in.html",
        {"next": next, "email": email, "error": "That e-mail and password do not match."},
        status_code=401,
    )


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep):
    user, _ = signed_in_user(request, session)
    moment = now()
    if user is not None:
        user_service.sign_out_everywhere(session=session, user=user, now=moment)
    response = redirect("/sign-in", flash="You are signed out.")
    set_session_cookie(request, response, sessions.new(user_id=None, now=moment))
    return response
