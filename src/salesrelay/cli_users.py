"""`salesrelay users`: the people who sign in to the web pages, and their roles."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from salesrelay.cli import CliError, JsonOption, app, emit_json, out, sessions
from salesrelay.db import transaction
from salesrelay.users import service as user_service
from salesrelay.users.schemas import UserCreate

users_app = typer.Typer(no_args_is_help=True, help="Users who sign in: admins, managers, reps.")
app.add_typer(users_app, name="users")


def generated_password() -> str:
    return secrets.token_urlsafe(12)


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Their sign-in e-mail.")],
    role: Annotated[str, typer.Option(help="admin, manager or rep.")] = "rep",
    name: Annotated[str | None, typer.Option(help="Their name; default the e-mail's name.")] = None,
    rep_email: Annotated[
        str | None, typer.Option(help="Link to the rep with this e-mail (reps, managers).")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            help="Default: a random one, printed once. Prefer SALESRELAY_PASSWORD.",
            envvar="SALESRELAY_PASSWORD",
        ),
    ] = None,
    as_json: JsonOption = False,
):
    """Create a user who signs in with an e-mail and password (stored as an argon2 hash)."""
    chosen = password or generated_password()
    try:
        data = UserCreate(
            email=email,
            name=name or email.split("@")[0],
            role=role,
            password=chosen,
            rep_email=rep_email,
        )
    except ValidationError as error:
        problem = error.errors()[0]
        raise CliError(f"{problem['loc'][0]}: {problem['msg']}") from None
    with transaction(sessions()) as session:
        user = user_service.create(session=session, data=data)
        created = {"id": user.id, "email": user.email, "role": user.role, "rep_id": user.rep_id}
    if as_json:
        emit_json({**created, "password": None if password else chosen})
        return
    out.print(f"Created {created['role']} {created['email']} (user {created['id']}).")
    if not password:
        out.print(f"  Password (shown once): {chosen}")


@users_app.command("list")
def users_list(as_json: JsonOption = False):
    """Every user with their role and linked rep."""
    with transaction(sessions()) as session:
        users, _ = user_service.listing(session=session, limit=10_000)
        rows = [
            {
                "id": u.id,
                "email": u.email,
                "name": u.name,
                "role": u.role,
                "rep_id": u.rep_id,
                "disabled": u.disabled_at is not None,
            }
            for u in users
        ]
    if as_json:
        emit_json(rows)
        return
    table = Table("id", "e-mail", "name", "role", "rep", "disabled")
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["email"],
            row["name"],
            row["role"],
            str(row["rep_id"] or ""),
            "yes" if row["disabled"] else "",
        )
    out.print(table)
