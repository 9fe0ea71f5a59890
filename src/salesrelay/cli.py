"""The `salesrelay` command line. Thin: parse, call a service or flow, print the result."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from salesrelay import migrate
from salesrelay.config import get_settings
from salesrelay.db import make_engine, make_sessionmaker, transaction
from salesrelay.errors import SalesRelayError
from salesrelay.playbook import PlaybookError, load_playbook_file, template_names, template_text
from salesrelay.playbook.service import NoPlaybookError

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="SalesRelay: run a specialized sales team."
)
playbook_app = typer.Typer(no_args_is_help=True, help="Validate, install and export playbooks.")
team_app = typer.Typer(no_args_is_help=True, help="The reps on the team.")
keys_app = typer.Typer(no_args_is_help=True, help="API keys for integrations.")
import_app = typer.Typer(no_args_is_help=True, help="Bulk imports.")
journeys_app = typer.Typer(
    no_args_is_help=True, help="Journeys: show, touch, move, fields, resolve."
)
app.add_typer(playbook_app, name="playbook")
app.add_typer(team_app, name="team")
app.add_typer(keys_app, name="keys")
app.add_typer(import_app, name="import")
app.add_typer(journeys_app, name="journeys")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


class CliError(Exception):
    """A failure the user can fix; printed as one line, exit code 1."""


def sessions():
    settings = get_settings()
    return make_sessionmaker(make_engine(settings.database_url))


def emit_json(data) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


# -- init, serve -----------------------------------------------------------------------


@app.command()
def init(
    template: Annotated[
        str | None, typer.Option(help=f"Install a shipped playbook: {', '.join(template_names())}.")
    ] = None,
    playbook: Annotated[
        Path | None, typer.Option(help="Install this playbook file instead.")
    ] = None,
    as_json: JsonOption = False,
):
    """Create or migrate the database (SALESRELAY_DATABASE_URL) and install a playbook."""
    from salesrelay.playbook import service as playbook_service

    url = get_settings().database_url
    migrate.upgrade(url)
    text = None
    if playbook is not None:
        text = _read_text(playbook)
    elif template is not None:
        try:
            text = template_text(template)
        except KeyError as error:
            raise CliError(str(error.args[0])) from None
    installed = None
    with transaction(sessions()) as session:
        try:
            current = playbook_service.active(session=session)
        except NoPlaybookError:
            current = None
        if text is None and current is None:
            text = template_text("four-role")
        if text is not None and (current is None or current.source_text != text):
            row = playbook_service.install(session=session, text=text, created_by="cli:init")
            installed = {"version": row.version, "name": row.name}
        elif current is not None:
            installed = {
                "version": current.version,
                "name": current.playbook.name,
                "unchanged": True,
            }
    if as_json:
        emit_json({"database_url": _safe_url(url), "playbook": installed})
    else:
        out.print(f"Database ready at {_safe_url(url)}")
        out.print(f"Active playbook: {installed['name']} (version {installed['version']})")


@app.command()
def demo(
    reset: Annotated[
        bool, typer.Option("--reset", help="Start from an empty SQLite database.")
    ] = False,
    leads: Annotated[int, typer.Option(min=0, max=100_000, help="How many demo leads.")] = 2200,
    as_json: JsonOption = False,
):
    """Fill the database with a demo team and routed leads, and print how to try it."""
    from sqlalchemy.engine import make_url

    from salesrelay import demo as demo_data
    from salesrelay.db import utcnow

    settings = get_settings()
    url = make_url(settings.database_url)
    if reset:
        if url.get_backend_name() != "sqlite" or not url.database:
            raise CliError(
                "--reset only deletes SQLite database files; drop other databases yourself"
            )
        for suffix in ("", "-wal", "-shm"):
            Path(url.database + suffix).unlink(missing_ok=True)
    migrate.upgrade(settings.database_url)
    with transaction(sessions()) as session:
        from salesrelay.team.models import Rep

        if session.query(Rep).count():
            raise CliError("the database already has a team; use --reset for a fresh demo")
    result = demo_data.seed(sessions(), now=utcnow(), leads=leads)
    if as_json:
        emit_json(result)
        return
    base = settings.base_url
    out.print(
        f"[bold]Demo ready[/bold]: {result['journeys']} journeys from {result['leads']} leads "
        "over 90 days, 12 reps on the four-role playbook."
    )
    out.print(
        f"  Sign in at {base}/sign-in — every demo user has the password "
        f"[bold]{result['password']}[/bold] (shown once):"
    )
    for entry in result["sign_ins"][:4]:
        out.print(f"    {entry['role']:<8} {entry['email']}")
    out.print("    (and every rep: <first name>@salesrelay.demo)")
    out.print(f"  API docs:      {base}/docs")
    out.print(f"  Admin API key: {result['admin_key']}")
    out.print(f"  Intake key:    {result['intake_key']}")
    out.print("  Send a lead:")
    out.print(
        f"    curl -s -X POST {base}/api/v1/leads "
        f"-H 'Authorization: Bearer {result['intake_key']}' "
        "-H 'Content-Type: application/json' "
        '-d \'{"email": "jo@bigco.example", "company": "BigCo", "employees": 5000}\''
    )
    out.print(
        f"  See the journeys: curl -s {base}/api/v1/journeys "
        f"-H 'Authorization: Bearer {result['admin_key']}'"
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (PostgreSQL only).")] = 1,
):
    """Serve the API (and web pages) with Uvicorn. On SQLite the worker (SLA sweep and
    outbox) runs in the same process; on PostgreSQL run `salesrelay worker` beside it."""
    import uvicorn

    from salesrelay import worker

    settings = get_settings()
    sqlite = settings.database_url.startswith("sqlite")
    if workers > 1 and sqlite:
        raise CliError("several server processes need PostgreSQL; SQLite serves from one process")
    # One process owns a SQLite file, so escalations and messages go out without a second command.
    background = worker.start_in_background(settings) if sqlite else None
    # Several processes on one port: their metrics are kept in files in a shared directory, so
    # whichever process a scrape reaches answers for all of them (docs/operations.md).
    shared_metrics = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        shared_metrics = tempfile.mkdtemp(prefix="salesrelay-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = shared_metrics
    try:
        uvicorn.run(
            "salesrelay.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            access_log=False,
        )
    finally:
        if background is not None:
            thread, stop = background
            stop.set()
            thread.join(timeout=10)
        if shared_metrics is not None:
            shutil.rmtree(shared_metrics, ignore_errors=True)


# -- playbook --------------------------------------------------------------------------


@playbook_app.command("validate")
def playbook_validate(file: Path, as_json: JsonOption = False):
    """Check a playbook file; exit 1 if it has errors. Every problem names its line."""
    if not file.is_file():
        raise CliError(f"{file}: no such file")
    result = load_playbook_file(file)
    if as_json:
        emit_json(
            {
                "ok": result.ok,
                "issues": [
                    {"severity": i.severity, "line": i.line, "path": i.path, "message": i.message}
                    for i in result.issues
                ],
            }
        )
    else:
        for issue in result.issues:
            console = err if issue.severity == "error" else out
            console.print(
                f"{file}:{issue.line or '?'}: {issue.severity}: {issue.path}: {issue.message}"
            )
        if result.ok:
            out.print(f"{file}: valid ({len(result.warnings)} warning(s))")
    if not result.ok:
        raise typer.Exit(1)


@playbook_app.command("install")
def playbook_install(file: Path, as_json: JsonOption = False):
    """Validate a playbook file and make it the active version."""
    from salesrelay.playbook import service as playbook_service

    text = _read_text(file)
    with transaction(sessions()) as session:
        row = playbook_service.install(session=session, text=text, created_by="cli")
    if as_json:
        emit_json({"version": row.version, "name": row.name})
    else:
        out.print(f"Installed {row.name} as version {row.version}")


@playbook_app.command("export")
def playbook_export():
    """Print the active playbook as YAML."""
    from salesrelay.playbook import service as playbook_service

    with transaction(sessions()) as session:
        active = playbook_service.active(session=session)
    sys.stdout.write(
        active.source_text if active.source_text.endswith("\n") else active.source_text + "\n"
    )


@playbook_app.command("templates")
def playbook_templates(as_json: JsonOption = False):
    """List the shipped templates."""
    names = template_names()
    if as_json:
        emit_json(names)
    else:
        for name in names:
            out.print(name)


# -- keys ------------------------------------------------------------------------------


@keys_app.command("create")
def keys_create(
    scope: Annotated[str, typer.Option(help="intake, read, write or admin.")] = "intake",
    name: Annotated[str, typer.Option(help="What the key is for.")] = "integration",
    as_json: JsonOption = False,
):
    """Create an API key and print it once (only its hash is stored)."""
    from salesrelay.auth import service as auth_service

    with transaction(sessions()) as session:
        try:
            key, plaintext = auth_service.create(session=session, name=name, scope=scope)
        except ValueError as error:
            raise CliError(str(error)) from None
    if as_json:
        emit_json({"id": key.id, "name": key.name, "scope": key.scope, "key": plaintext})
    else:
        sys.stdout.write(plaintext + "\n")


@keys_app.command("list")
def keys_list(as_json: JsonOption = False):
    """List API keys (never the keys themselves)."""
    from salesrelay.auth import service as auth_service

    with transaction(sessions()) as session:
        keys = auth_service.list_keys(session=session)
        rows = [
            {
                "id": k.id,
                "name": k.name,
                "prefix": k.prefix,
                "scope": k.scope,
                "created_at": k.created_at.isoformat(),
                "revoked": k.revoked_at is not None,
            }
            for k in keys
        ]
    if as_json:
        emit_json(rows)
        return
    table = Table("id", "name", "prefix", "scope", "created", "revoked")
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["name"],
            row["prefix"] + "…",
            row["scope"],
            row["created_at"][:19],
            "yes" if row["revoked"] else "",
        )
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: int):
    """Revoke an API key at once."""
    from salesrelay.auth import service as auth_service

    with transaction(sessions()) as session:
        if auth_service.revoke(session=session, key_id=key_id) is None:
            raise CliError(f"no API key with id {key_id}")
    out.print(f"Revoked key {key_id}")


# -- helpers ---------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except UnicodeDecodeError as error:
        line = error.object[: error.start].count(b"\n") + 1
        raise CliError(f"{path}: line {line} is not UTF-8 text") from None
    except OSError as error:
        raise CliError(f"{path}: {error.strerror}") from None


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        err.print("Aborted.")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print(
            "Interrupted; everything committed so far is kept. Run the same command again to go on."
        )
        sys.exit(130)
    except PlaybookError as error:
        for issue in error.issues:
            err.print(f"error: {issue}")
        sys.exit(1)
    except (CliError, SalesRelayError, NoPlaybookError) as error:
        err.print(f"error: {error}")
        sys.exit(1)
    except ValidationError as error:
        if error.title != "Settings":
            raise
        for problem in error.errors():
            message = problem["msg"].removeprefix("Value error, ")
            if problem["loc"]:
                name = "SALESRELAY_" + "_".join(str(part) for part in problem["loc"]).upper()
                message = f"setting {name}: {message}"
            err.print(f"error: {message}")
        sys.exit(1)
    except Exception as error:  # the click usage errors and anything unforeseen: one line
        import click

        # Typer now carries its own copy of click, whose usage errors (a bad option, a word
        # where a number goes) are not click's: both are shown as the usual short message.
        if isinstance(error, click.ClickException) or (
            isinstance(error, typer.exceptions.TyperException) and hasattr(error, "show")
        ):
            error.show()
            sys.exit(getattr(error, "exit_code", 2))
        import sqlite3

        from sqlalchemy.exc import DatabaseError

        # Every command that touches data needs the database SALESRELAY_DATABASE_URL names;
        # one it cannot use (unreachable, not migrated, not a database) is one line, never a
        # traceback. The driver's message names the server, never the password.
        if isinstance(error, (DatabaseError, sqlite3.DatabaseError)):
            err.print(f"error: cannot use the database: {getattr(error, 'orig', None) or error}")
            sys.exit(1)
        raise


# Commands defined in other modules register themselves on the apps above.
from salesrelay import (  # noqa: E402
    cli_data,  # noqa: F401
    cli_handoffs,  # noqa: F401
    cli_metrics,  # noqa: F401
    cli_restructure,  # noqa: F401
    cli_team,  # noqa: F401
    cli_users,  # noqa: F401
    planning_cli,
)

planning_cli.register(app)
