"""Users and API keys (admins): who may sign in with which role, and keys for integrations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session

from salesrelay.api.deps import SessionDep
from salesrelay.auth import service as key_service
from salesrelay.errors import SalesRelayError
from salesrelay.users import service as user_service
from salesrelay.users.schemas import ROLES, UserCreate
from salesrelay.web import queries
from salesrelay.web.auth import Admin, csrf_protect, now
from salesrelay.web.pagination import PAGE_SIZE, PageNumber, Pager
from salesrelay.web.rendering import page, redirect

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


def _context(session: Session, number: int, keys_number: int = 1) -> dict:
    users, total = user_service.listing(
        session=session, offset=(max(number, 1) - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    keys = key_service.list_keys(session=session)
    keys_pager = Pager.of(keys_number, len(keys))
    return {
        "users": users,
        "pager": Pager.of(number, total),
        "keys": keys[keys_pager.offset : keys_pager.offset + keys_pager.size],
        "keys_pager": keys_pager,
        "roles": ROLES,
        "scopes": key_service.SCOPES,
        "reps": queries.team_reps(session, None),
        "rep_names": queries.rep_names(session, (u.rep_id for u in users)),
    }


@router.get("/settings/users")
def settings_page(
    request: Request,
    viewer: Admin,
    session: SessionDep,
    number: PageNumber = 1,
    keys_page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
):
    return page(request, "settings.html", _context(session, number, keys_page), viewer=viewer)


@router.post("/settings/users")
def create_user(
    request: Request,
    viewer: Admin,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)],
    name: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=16)],
    password: Annotated[str, Form(max_length=1000)],
    rep_email: Annotated[str, Form(max_length=320)] = "",
):
    try:
        data = UserCreate(
            email=email, name=name, role=role, password=password, rep_email=rep_email or None
        )
        user = user_service.create(session=session, data=data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return _refused(request, viewer, session, problems)
    except SalesRelayError as error:
        session.rollback()
        return _refused(request, viewer, session, error.message)
    return redirect("/settings/users", flash=f"{user.name} can sign in as {user.role}.")


def _refused(request, viewer, session, message: str):
    context = _context(session, 1)
    context["error"] = f"No user created: {message}"
    return page(request, "settings.html", context, viewer=viewer, status_code=422)


@router.post("/settings/users/{user_id}")
def change_user(
    user_id: int,
    viewer: Admin,
    session: SessionDep,
    role: Annotated[str, Form(max_length=16)],
    rep_email: Annotated[str, Form(max_length=320)] = "",
    disabled: Annotated[str, Form(max_length=5)] = "",
):
    user = user_service.require(session=session, user_id=user_id)
    if user.id == viewer.user_id and (role != "admin" or disabled):
        return redirect("/settings/users", flash="You cannot demote or disable yourself.")
    try:
        user_service.change(
            session=session,
            user=user,
            role=role,
            rep_email=rep_email,
            disabled=bool(disabled),
            now=now(),
        )
    except SalesRelayError as error:
        session.rollback()
        return redirect("/settings/users", flash=f"Nothing changed: {error.message}")
    return redirect("/settings/users", flash=f"Saved {user.email}.")


@router.post("/settings/keys")
def create_key(
    request: Request,
    viewer: Admin,
    session: SessionDep,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    scope: Annotated[str, Form(max_length=16)],
):
    if scope not in key_service.SCOPES:
        return _refused(request, viewer, session, f"unknown scope '{scope}'")
    key, plaintext = key_service.create(session=session, name=name, scope=scope)
    context = _context(session, 1)
    # Shown once, on this response only: only its hash is stored.
    context["new_key"] = {"name": key.name, "scope": key.scope, "plaintext": plaintext}
    return page(request, "settings.html", context, viewer=viewer, status_code=201)


@router.post("/settings/keys/{key_id}/revoke")
def revoke_key(key_id: int, viewer: Admin, session: SessionDep):
    key = key_service.revoke(session=session, key_id=key_id)
    if key is None:
        return redirect("/settings/users", flash=f"There is no key {key_id}.")
    return redirect("/settings/users", flash=f"Revoked key {key.name} ({key.prefix}…).")
