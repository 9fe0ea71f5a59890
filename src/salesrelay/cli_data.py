"""`salesrelay backup`, `salesrelay restore` and `salesrelay contacts`: keeping the data,
and giving a person's data back or erasing it. See docs/operations.md and docs/privacy.md."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from salesrelay.cli import JsonOption, app, emit_json, err, out
from salesrelay.config import get_settings

contacts_app = typer.Typer(
    no_args_is_help=True, help="Privacy: everything held on a person, and erasing it."
)
app.add_typer(contacts_app, name="contacts")


# -- backup, restore -------------------------------------------------------------------


@app.command("backup")
def backup_command(
    file: Annotated[Path, typer.Argument(help="The backup file to write.")],
    as_json: JsonOption = False,
):
    """Write a consistent copy of the database to FILE while the server keeps running
    (SQLite: online backup API; PostgreSQL: pg_dump), with a manifest of its row counts."""
    from salesrelay.backup import service as backup_service
    from salesrelay.db import utcnow

    report = backup_service.backup(url=get_settings().database_url, target=file, now=utcnow())
    if as_json:
        emit_json(report.as_dict())
        return
    out.print(
        f"Backed up {report.rows} rows in {len(report.tables)} tables ({report.backend}, "
        f"schema {report.revision}) to {report.file} ({report.bytes:,} bytes)"
    )


@app.command("restore")
def restore_command(
    file: Annotated[Path, typer.Argument(help="A file written by `salesrelay backup`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that already holds data.")
    ] = False,
    as_json: JsonOption = False,
):
    """Check the backup in FILE, put it into the database, then check the result (integrity,
    schema revision, every table's rows against the backup's manifest). Stop the server and
    workers first. Exit 1 if a check fails."""
    from salesrelay.backup import service as backup_service

    report = backup_service.restore(url=get_settings().database_url, source=file, force=force)
    if as_json:
        emit_json(report.as_dict())
    else:
        out.print(f"Restored {report.rows} rows in {len(report.tables)} tables from {report.file}")
        for check in report.checks:
            console = out if check.ok else err
            console.print(f"  {'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    if not report.ok:
        raise typer.Exit(1)


# -- contacts export, erase --------------------------------------------------------------


@contacts_app.command("export")
def contacts_export(
    email: Annotated[str, typer.Argument(help="The person's e-mail address.")],
):
    """Print everything held on the person with EMAIL as JSON: contact, account, journeys,
    events, routing decisions, handoffs, SLA clocks, messages and stored intake answers."""
    from salesrelay.contacts import flows as contact_flows
    from salesrelay.db import make_engine, make_sessionmaker, read_only, transaction

    engine = make_engine(get_settings().database_url)
    with transaction(make_sessionmaker(read_only(engine))) as session:
        data = contact_flows.export(session=session, email=email)
    emit_json(data)


@contacts_app.command("erase")
def contacts_erase(
    email: Annotated[str, typer.Argument(help="The person's e-mail address.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    as_json: JsonOption = False,
):
    """Erase the personal data of the person with EMAIL everywhere, in one transaction;
    counts, timings and the funnel are kept. Records a `contact.erased` event (no personal
    data) on each of their journeys. Running it again changes nothing."""
    from salesrelay.cli import sessions
    from salesrelay.contacts import flows as contact_flows
    from salesrelay.db import transaction, utcnow

    if not yes and not typer.confirm(
        f"Erase everything held on {email}? This cannot be undone", err=True
    ):
        err.print("Nothing erased.")
        raise typer.Exit(1)
    with transaction(sessions()) as session:
        result = contact_flows.erase(session=session, email=email, now=utcnow(), actor="cli")
    if as_json:
        emit_json({"email": email, **result})
    elif not result["erased"]:
        out.print(f"Nothing held on {email} (never known, or erased already)")
    else:
        changed = ", ".join(f"{table}: {rows}" for table, rows in result["changed"].items())
        out.print(f"Erased {email} (contact {result['contact_id']}); rows changed — {changed}")
