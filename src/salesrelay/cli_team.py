"""CLI commands over the team, lead imports, journeys and routing explanations."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from salesrelay.cli import (
    CliError,
    JsonOption,
    _read_text,
    app,
    emit_json,
    import_app,
    journeys_app,
    out,
    sessions,
    team_app,
)
from salesrelay.db import transaction, utcnow
from salesrelay.errors import InvalidInputError
from salesrelay.intake import importers
from salesrelay.journeys import flows as journey_flows
from salesrelay.journeys import service as journey_service
from salesrelay.journeys import views as journey_views
from salesrelay.team import service as team_service
from salesrelay.team.schemas import RepCreate, RepPublic, RepUpdate


def _known_roles(session):
    from salesrelay.api.team import known_roles

    return known_roles(session)


# -- team ------------------------------------------------------------------------------


@team_app.command("import")
def team_import(file: Path, as_json: JsonOption = False):
    """Create or update reps from a CSV file.

    Header: name,email,role,capacity,weight,territories,timezone,hours,manager_email.

    Nothing is written unless every line is valid."""
    rows, errors = team_service.parse_team_csv(_read_text(file))
    if errors:
        raise CliError("; ".join(str(e) for e in errors[:20]) + (" …" if len(errors) > 20 else ""))
    with transaction(sessions()) as session:
        result = team_service.import_reps(
            session=session, rows=rows, known_roles=_known_roles(session)
        )
    if as_json:
        emit_json({"created": result.created, "updated": result.updated})
    else:
        out.print(f"Team imported: {result.created} created, {result.updated} updated")


@team_app.command("list")
def team_list(as_json: JsonOption = False):
    """List the reps with their roles, capacity and load."""
    with transaction(sessions()) as session:
        reps, _ = team_service.list_reps(session=session, limit=10_000)
        data = [
            RepPublic.model_validate(r, from_attributes=True).model_dump(mode="json") for r in reps
        ]
    if as_json:
        emit_json(data)
        return
    table = Table(
        "id", "name", "email", "roles", "open/capacity", "weight", "territories", "hours", "paused"
    )
    for rep in data:
        table.add_row(
            str(rep["id"]),
            rep["name"],
            rep["email"],
            ", ".join(rep["roles"]),
            f"{rep['open_journeys']}/{rep['capacity']}",
            str(rep["weight"]),
            ", ".join(rep["territories"]),
            f"{rep['hours']} {rep['timezone']}",
            "yes" if rep["paused"] else "",
        )
    out.print(table)


@team_app.command("add")
def team_add(
    name: Annotated[str, typer.Option()],
    email: Annotated[str, typer.Option()],
    role: Annotated[
        list[str], typer.Option(help="Repeat for several roles; the first is primary.")
    ],
    capacity: int = 50,
    weight: int = 1,
    territory: Annotated[
        list[str] | None, typer.Option(help="Territory or segment tag; repeatable.")
    ] = None,
    timezone: str = "UTC",
    hours: str = "mon-fri 09:00-17:00",
    manager_email: str | None = None,
    as_json: JsonOption = False,
):
    """Add one rep."""
    data = _validated(
        RepCreate,
        name=name,
        email=email,
        roles=role,
        capacity=capacity,
        weight=weight,
        territories=territory or [],
        timezone=timezone,
        hours=hours,
        manager_email=manager_email,
    )
    with transaction(sessions()) as session:
        rep = team_service.create(session=session, data=data, known_roles=_known_roles(session))
        shown = RepPublic.model_validate(rep, from_attributes=True).model_dump(mode="json")
    emit_json(shown) if as_json else out.print(f"Added {shown['name']} (id {shown['id']})")


def _set_paused(email: str, paused: bool) -> None:
    with transaction(sessions()) as session:
        rep = team_service.get_by_email(session=session, email=email)
        if rep is None:
            raise CliError(f"no rep with e-mail {email}")
        team_service.update(session=session, rep=rep, data=RepUpdate(paused=paused))
    out.print(f"{email}: routing {'paused' if paused else 'resumed'}")


@team_app.command("pause")
def team_pause(email: str):
    """Stop routing new leads to a rep."""
    _set_paused(email, True)


@team_app.command("resume")
def team_resume(email: str):
    """Route new leads to a rep again."""
    _set_paused(email, False)


@team_app.command("remove")
def team_remove(email: str):
    """Remove a rep from the team (their history stays)."""
    with transaction(sessions()) as session:
        rep = team_service.get_by_email(session=session, email=email)
        if rep is None:
            raise CliError(f"no rep with e-mail {email}")
        team_service.delete(session=session, rep=rep)
    out.print(f"Removed {email}")


def _validated(model, **values):
    from pydantic import ValidationError

    try:
        return model(**values)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, p['loc'])) or 'value'}: {p['msg'].removeprefix('Value error, ')}"
            for p in error.errors()
        )
        raise CliError(problems) from None


# -- import ----------------------------------------------------------------------------


@import_app.command("leads")
def import_leads(
    file: Path,
    preset: Annotated[
        str, typer.Option(help="Column names of: generic, hubspot, salesforce.")
    ] = "generic",
    map_: Annotated[
        list[str] | None, typer.Option("--map", help="COLUMN=field; repeatable.")
    ] = None,
    rejects: Annotated[
        Path | None, typer.Option(help="Where to write rejected rows (default FILE.rejects.csv).")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=50_000)] = 2000,
    as_json: JsonOption = False,
):
    """Import leads from CSV: each is matched, deduplicated, routed and clocked.

    Re-running the same file imports nothing twice; an interrupted import keeps every batch it
    committed and can simply be run again."""
    if not file.is_file():
        raise CliError(f"{file}: no such file")
    overrides = {}
    for item in map_ or []:
        column, sep, target = item.partition("=")
        if not sep or not column.strip() or not target.strip():
            raise CliError(
                f"--map {item}: write it as COLUMN=field, e.g. --map 'E-Mail Address=email'"
            )
        overrides[column.strip()] = target.strip()
    rejects = rejects or file.with_suffix(".rejects.csv")
    started = time.perf_counter()
    size = file.stat().st_size
    with Progress(
        TextColumn("[bold]importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("leads"),
        TimeElapsedColumn(),
        disable=as_json,
        transient=True,
    ) as bar:
        task = bar.add_task("import", total=None)
        try:
            summary = importers.import_leads(
                factory=sessions(),
                path=file,
                preset=preset,
                overrides=overrides,
                rejects_path=rejects,
                batch_size=batch_size,
                now=utcnow,
                progress=lambda n: bar.advance(task, n),
            )
        except ValueError as error:
            raise CliError(str(error)) from None
    result = summary.as_dict() | {"seconds": round(time.perf_counter() - started, 2), "bytes": size}
    if as_json:
        emit_json(result)
    else:
        _print_import(result)
    if summary.interrupted:
        raise typer.Exit(130)


def _print_import(result: dict) -> None:
    out.print(
        f"{result['rows']} rows: {result['created']} new journeys ({result['routed']} routed, "
        f"{result['queued']} queued), {result['joined']} joined an open journey, "
        f"{result['already_imported']} already imported, {result['rejected']} rejected "
        f"in {result['seconds']} s"
    )
    for reject in result["first_rejects"]:
        out.print(f"  line {reject['line']}: {reject['reason']}")
    if result["rejected"] > len(result["first_rejects"]):
        out.print(f"  … and {result['rejected'] - len(result['first_rejects'])} more")
    if result["rejects_file"]:
        out.print(f"Rejected rows are in {result['rejects_file']}; fix them and import that file.")
    if result["interrupted"]:
        out.print(
            "Interrupted: every committed batch is kept. Run the same command again to go on."
        )


# -- journeys and routing --------------------------------------------------------------


@journeys_app.command("show")
def journeys_show(journey_id: int, as_json: JsonOption = False):
    """A journey with its owner, clocks and timeline."""
    with transaction(sessions()) as session:
        journey = journey_service.require(session=session, journey_id=journey_id)
        detail = journey_views.detail(session=session, journey=journey)
    if as_json:
        emit_json(detail.model_dump(mode="json"))
        return
    owner = f"{detail.owner.name} <{detail.owner.email}>" if detail.owner else "unassigned (queue)"
    out.print(
        f"Journey {detail.id} · {detail.account.name} · stage {detail.stage} · {detail.status}"
    )
    out.print(f"Owner: {owner}")
    out.print(
        f"First touch due: {detail.first_touch_due_at}  "
        f"touched: {detail.first_touched_at or 'not yet'}"
    )
    table = Table("at", "event", "details")
    for event in detail.timeline:
        table.add_row(event.at.isoformat(timespec="seconds"), event.kind, _brief(event.data))
    out.print(table)


def _brief(data: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in data.items() if k != "reasons")[:120]


@journeys_app.command("touch")
def journeys_touch(
    journey_id: int,
    channel: Annotated[
        str, typer.Option(help="call, email, meeting, sms, chat, linkedin, other")
    ] = "call",
    note: str | None = None,
    rep_email: str | None = None,
    as_json: JsonOption = False,
):
    """Record a touch; the first one stops the speed-to-lead clock."""
    from salesrelay.journeys.schemas import TouchIn

    touch = _validated(TouchIn, channel=channel, note=note, rep_email=rep_email)
    with transaction(sessions()) as session:
        journey = journey_service.require(session=session, journey_id=journey_id)
        rep_id = None
        if touch.rep_email:
            rep = team_service.get_by_email(session=session, email=touch.rep_email)
            if rep is None:
                raise InvalidInputError(f"no rep with e-mail {touch.rep_email}", field="rep_email")
            rep_id = rep.id
        result = journey_flows.record_touch(
            session=session,
            journey=journey,
            at=utcnow(),
            channel=touch.channel,
            note=touch.note,
            rep_id=rep_id,
            actor="cli",
        )
    emit_json(result) if as_json else out.print(
        f"Touch recorded on journey {journey_id}"
        + (
            f"; clock(s) stopped: {', '.join(result['clocks_stopped'])}"
            if result["clocks_stopped"]
            else ""
        )
    )


@app.command()
def route(
    journey_id: Annotated[int, typer.Argument(help="The journey whose routing to explain.")],
    explain: Annotated[
        bool, typer.Option("--explain", help="Show why it went where it went.")
    ] = True,
    as_json: JsonOption = False,
):
    """Explain the routing decisions of a journey: rule matched, candidates, who was skipped
    and why."""
    from salesrelay.routing import service as routing_service
    from salesrelay.team.models import Rep

    with transaction(sessions()) as session:
        journey_service.require(session=session, journey_id=journey_id)
        decisions = routing_service.decisions_for(session=session, journey_id=journey_id)
        names = {rep.id: f"{rep.name} <{rep.email}>" for rep in session.query(Rep).all()}
        data = [
            {
                "decided_at": d.decided_at.isoformat(),
                "rep": names.get(d.rep_id),
                "rep_id": d.rep_id,
                "rule": d.rule,
                "method": d.method,
                "fallback": d.fallback,
                "reasons": d.reasons,
                "candidates": [names.get(c, c) for c in d.candidates],
                "skipped": [{"rep": names.get(s[0], s[0]), "why": s[1]} for s in d.skipped],
            }
            for d in decisions
        ]
    if as_json:
        emit_json(data)
        return
    for decision in data:
        out.print(
            f"[bold]{decision['decided_at']}[/bold] → {decision['rep'] or 'queue'}"
            f" (rule: {decision['rule'] or 'fallback'}, method: {decision['method'] or '-'})"
        )
        for reason in decision["reasons"]:
            out.print(f"  • {reason}")
        if explain:
            out.print(f"  candidates: {', '.join(map(str, decision['candidates'])) or 'none'}")
            for skipped in decision["skipped"]:
                out.print(f"  skipped {skipped['rep']}: {skipped['why']}")
