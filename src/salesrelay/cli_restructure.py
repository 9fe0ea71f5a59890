"""`salesrelay restructure`: plan moving today's journeys to a new playbook, carry out the
current week as handoffs, and answer those handoffs."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress
from rich.table import Table
from rich.text import Text

from salesrelay.cli import CliError, JsonOption, _read_text, app, emit_json, err, out, sessions
from salesrelay.config import get_settings
from salesrelay.db import transaction, utcnow
from salesrelay.errors import InvalidInputError
from salesrelay.handoffs import flows as handoff_flows
from salesrelay.outbox.service import Channels
from salesrelay.playbook import load_playbook_text
from salesrelay.playbook.schema import Playbook
from salesrelay.restructure import flows as restructure_flows
from salesrelay.restructure import moves
from salesrelay.restructure.present import plan_tables, plan_to_dict, to_csv
from salesrelay.restructure.protocol import REJECTION_REASONS
from salesrelay.team import service as team_service
from salesrelay.team.schemas import RepCreate

restructure_app = typer.Typer(
    invoke_without_command=True,
    help="Move today's journeys to the owners a new playbook gives them, week by week, "
    "as handoffs with customer intros.",
)
app.add_typer(restructure_app, name="restructure")

AsOption = Annotated[str | None, typer.Option("--as", help="The receiver's e-mail; checked.")]


def _playbook(path: Path) -> tuple[Playbook, str]:
    text = _read_text(path)
    result = load_playbook_text(text, source=str(path))
    if result.playbook is None:
        for issue in result.errors:
            err.print(f"error: {path}: {issue}", markup=False)
        raise typer.Exit(1)
    return result.playbook, text


def _team(path: Path) -> list[tuple[int, RepCreate]]:
    rows, errors = team_service.parse_team_csv(_read_text(path))
    if errors:
        for error in errors:
            err.print(f"error: {path}: {error}", markup=False)
        raise typer.Exit(1)
    return rows


def _start(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"--start {text!r}: write the first day as YYYY-MM-DD") from None


def _print(data: dict) -> None:
    for title, headers, rows in plan_tables(data):
        table = Table(*headers, title=Text(title))
        for row in rows:  # account names are data, not markup
            table.add_row(*(Text(cell) for cell in row))
        out.print(table)


def _headline(data: dict) -> str:
    summary = data["summary"]
    when = (
        f"week {data['current_week']} of {data['weeks']}"
        if data["current_week"]
        else f"starts {data['start']}"
    )
    return (
        f"Restructure to {data['playbook']}: {data['weeks']} weeks from {data['start']} to "
        f"{data['ends_on']} ({when}). {summary['moves']} journeys of {summary['accounts']} "
        f"accounts move ({summary['moved']} moved, {summary['pending']} waiting for an answer, "
        f"{summary['planned']} planned); {summary['kept']} stay with an owner in the right "
        f"role; {summary['held']} cannot move yet."
    )


@restructure_app.callback()
def restructure(
    ctx: typer.Context,
    to: Annotated[Path | None, typer.Option("--to", help="The new playbook (YAML).")] = None,
    weeks: Annotated[
        int | None,
        typer.Option(help="Weeks to spread the moves over (default 12, or the running one's)."),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(help="First day, YYYY-MM-DD (default: the running one's start, or today)."),
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Propose this week's moves as handoffs.")
    ] = False,
    install: Annotated[
        bool,
        typer.Option("--install", help="With --apply: install the playbook first if needed."),
    ] = False,
    team: Annotated[
        Path | None,
        typer.Option(help="Team CSV with the new roles (as `team import`); imported on --apply."),
    ] = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Write the plan here.")] = None,
    as_json: JsonOption = False,
):
    """Plan the restructure (a dry run), or carry out the current week with --apply."""
    if ctx.invoked_subcommand is not None:
        return
    if to is None:
        raise CliError("give the new playbook: salesrelay restructure --to PLAYBOOK.yaml")
    if install and not apply:
        raise CliError("--install only goes with --apply; a dry run installs nothing")
    playbook, text = _playbook(to)
    team_rows = _team(team) if team is not None else None
    now = utcnow()
    with transaction(sessions()) as session:
        if apply:
            with _progress() as progress:
                task = progress.add_task("proposing handoffs", total=None)
                applied = restructure_flows.apply_phase(
                    session=session,
                    playbook=playbook,
                    text=text,
                    now=now,
                    actor="cli:restructure",
                    start=_start(start),
                    weeks=weeks,
                    install=install,
                    team_rows=team_rows,
                    channels=Channels.from_settings(get_settings()),
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                )
            plan, today = applied.plan, applied.today
        else:
            plan = restructure_flows.plan(
                session=session,
                playbook=playbook,
                now=now,
                start=_start(start),
                weeks=weeks,
                team_rows=team_rows,
            )
            today = restructure_flows.today_in(playbook, now)
            applied = None
    if apply:  # what the database holds now, progress included
        with transaction(sessions()) as session:
            plan = restructure_flows.plan(
                session=session, playbook=playbook, now=now, start=plan.start, weeks=plan.weeks
            )
    data = plan_to_dict(plan, today=today)
    if applied is not None:
        data["applied"] = {
            "week": applied.week + 1 if applied.week is not None else None,
            "installed_version": applied.installed_version,
            "proposed": [
                {"journey_id": move.journey_id, "handoff_id": handoff_id}
                for move, handoff_id in applied.proposed
            ],
            "skipped": [
                {"journey_id": move.journey_id, "reason": reason}
                for move, reason in applied.skipped
            ],
        }
    if csv_file is not None:
        try:
            csv_file.write_text(to_csv(plan), encoding="utf-8")
        except OSError as error:
            raise CliError(f"{csv_file}: {error.strerror}") from None
    if as_json:
        emit_json(data)
        return
    out.print(_headline(data), markup=False)
    _print(data)
    if applied is not None:
        _print_applied(data["applied"], data)
    elif data["summary"]["planned"]:
        out.print("A dry run: nothing was written. Add --apply to propose this week's moves.")


def _print_applied(applied: dict, data: dict) -> None:
    if applied["installed_version"] is not None:
        out.print(
            f"Installed {data['playbook']} as playbook version {applied['installed_version']}."
        )
    if applied["week"] is None:
        out.print(f"Nothing to do yet: the restructure starts on {data['start']}.")
        return
    out.print(
        f"Week {applied['week']}: proposed {len(applied['proposed'])} handoff(s); "
        f"skipped {len(applied['skipped'])}."
    )
    for item in applied["skipped"]:
        out.print(f"  journey {item['journey_id']}: {item['reason']}", markup=False)


def _progress() -> Progress:
    console = Console(stderr=True)
    return Progress(
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def _rep_id(session, email: str | None) -> int | None:
    if not email:
        return None
    rep = team_service.get_by_email(session=session, email=email)
    if rep is None:
        raise InvalidInputError(f"no rep with e-mail {email}")
    return rep.id


@restructure_app.command("accept")
def restructure_accept(
    handoff_ids: Annotated[list[int] | None, typer.Argument(help="Handoff ids.")] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Every restructure offer waiting for --as.")
    ] = False,
    as_: AsOption = None,
    note: str | None = None,
    as_json: JsonOption = False,
):
    """Take journeys offered to you in the restructure; each customer meets you by e-mail."""
    if all_ == bool(handoff_ids):
        raise CliError("give handoff ids, or --all with --as YOU@…")
    channels = Channels.from_settings(get_settings())
    with transaction(sessions()) as session:
        rep_id = _rep_id(session, as_)
        if all_:
            if rep_id is None:
                raise CliError("--all needs --as: whose offers to accept")
            handoffs = moves.pending_for(session=session, rep_id=rep_id)
        else:
            handoffs = [moves.require(session=session, handoff_id=i) for i in handoff_ids]
        for handoff in handoffs:
            moves.accept(
                session=session,
                handoff=handoff,
                now=utcnow(),
                actor="cli",
                rep_id=rep_id,
                note=note,
                channels=channels,
            )
        accepted = [{"handoff_id": h.id, "journey_id": h.journey_id} for h in handoffs]
    if as_json:
        emit_json({"accepted": accepted})
        return
    out.print(f"Accepted {len(accepted)} restructure handoff(s)")


@restructure_app.command("reject")
def restructure_reject(
    handoff_id: int,
    reason: Annotated[str, typer.Option(help=f"One of: {', '.join(REJECTION_REASONS)}.")],
    note: str | None = None,
    as_: AsOption = None,
    as_json: JsonOption = False,
):
    """Refuse a journey offered to you; the next run offers it to someone else."""
    with transaction(sessions()) as session:
        handoff = handoff_flows.reject(
            session=session,
            handoff=moves.require(session=session, handoff_id=handoff_id),
            now=utcnow(),
            actor="cli",
            reason=reason,
            note=note,
            rep_id=_rep_id(session, as_),
            channels=Channels.from_settings(get_settings()),
        )
        data = {"handoff_id": handoff.id, "journey_id": handoff.journey_id, "status": "rejected"}
    emit_json(data) if as_json else out.print(f"Handoff {handoff_id} rejected")
