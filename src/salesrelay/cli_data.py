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
