"""`salesrelay report NAME`: the metrics reports in the terminal, as JSON or as CSV, and
`report refresh` / `report status` for the summaries behind them."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from salesrelay.cli import CliError, app, emit_json, out
from salesrelay.config import get_settings
from salesrelay.db import make_engine, make_sessionmaker, read_only, transaction, utcnow
from salesrelay.journeys.models import Journey
from salesrelay.metrics import queries, store
from salesrelay.metrics.schemas import REPORTS, Report, to_csv

report_app = typer.Typer(
    no_args_is_help=True,
    help="Metrics: speed to lead, SLA, funnel, handoffs, workload, focus (docs/metrics.md).",
)
app.add_typer(report_app, name="report")

HELP = {
    "speed-to-lead": "Arrival to first touch: percentiles, share within the SLA, histogram.",
    "sla": "SLA compliance and breaches per policy, rep and escalation step.",
    "funnel": "Stage-to-stage conversion, time in stage, pipeline and revenue by origin.",
    "handoffs": "Handoffs proposed, accepted, rejected, expired; latency, reasons, rating.",
    "workload": "Open journeys against capacity per rep, and the unassigned queue.",
    "focus": "Each rep's work outside their primary role; flags above the threshold.",
}
PERCENT_COLUMNS = ("share", "rate", "compliance", "utilization")
WIDE, FEW = 8, 6

Values = Annotated[list[str] | None, typer.Option(help="Repeatable, or comma-separated.")]


def _factories():
    engine = make_engine(get_settings().database_url)
    return make_sessionmaker(engine), make_sessionmaker(read_only(engine))


def _command(name: str):
    def command(
        start: Annotated[
            str | None, typer.Option("--from", help="Start: a date (playbook time zone) or time.")
        ] = None,
        end: Annotated[
            str | None, typer.Option("--to", help="End, exclusive; default now.")
        ] = None,
        group_by: Annotated[
            list[str] | None, typer.Option("--group-by", help="role, rep, team, source, …")
        ] = None,
        role: Values = None,
        rep: Values = None,
        team: Values = None,
        source: Values = None,
        segment: Values = None,
        stage: Values = None,
        basis: Annotated[
            str | None, typer.Option(help="funnel: cohort (default) or activity.")
        ] = None,
        threshold: Annotated[
            float | None, typer.Option(help="focus: flag above this share (default 0.2).")
        ] = None,
        format: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
        section: Annotated[str | None, typer.Option(help="csv: which section.")] = None,
    ):
        if format not in ("table", "json", "csv"):
            raise CliError("--format must be table, json or csv")
        write, read = _factories()
        answer = queries.current_report(
            write=write,
            read=read,
            name=name,
            now=utcnow(),
            start=start,
            end=end,
            filters={
                "role": role,
                "rep": rep,
                "team": team,
                "source": source,
                "segment": segment,
                "stage": stage,
            },
            group_by=group_by,
            basis=basis,
            threshold=threshold,
        )
        if format == "json":
            emit_json(answer.model_dump(mode="json", by_alias=True))
        elif format == "csv":
            sys.stdout.write(to_csv(answer.section(section)))
        else:
            _print(answer)

    command.__doc__ = HELP[name]
    return command


for _name in REPORTS:
    report_app.command(_name)(_command(_name))


@report_app.command("refresh")
def refresh(
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Build from scratch (after deleting rows by hand).")
    ] = False,
):
    """Fold new events into the metric summaries (a full build the first time)."""
    write, read = _factories()
    with transaction(read) as session:
        current = store.status(session=session)
        journeys = session.scalar(select(func.count()).select_from(Journey)) or 0
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out, transient=True) as progress:
        whole = rebuild or not current["built"]
        task = progress.add_task("summaries", total=journeys if whole else None)
        with transaction(write) as session:
            result = store.refresh(
                session=session,
                progress=lambda done: progress.update(task, completed=done),
                rebuild=rebuild,
            )
    what = "built from scratch" if result.rebuilt else "brought up to date"
    out.print(
        f"Summaries {what}: {result.journeys} journeys, events up to id "
        f"{result.watermark}, in {result.seconds:.1f} s"
    )


@report_app.command("status")
def status(as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False):
    """How current the metric summaries are."""
    _, read = _factories()
    with transaction(read) as session:
        current = store.status(session=session)
    if as_json:
        emit_json(current)
        return
    for key, value in current.items():
        out.print(f"{key}: {value}")


def _print(report: Report) -> None:
    period = f"{report.period.start:%Y-%m-%d %H:%M} – {report.period.end:%Y-%m-%d %H:%M} UTC"
    out.print(
        f"[bold]{report.report}[/bold]  {period}"
        + (f"  basis: {report.basis}" if report.basis else "")
    )
    if report.filters:
        out.print("filters: " + "; ".join(f"{k}={','.join(v)}" for k, v in report.filters.items()))
    for section in report.sections:
        if not section.rows:
            out.print(f"{section.title}: nothing in this period")
            continue
        out.print(_table(section, [g for g in report.group_by if g in section.columns]))
    for note in report.notes:
        out.print(f"[dim]{note}[/dim]")


def _table(section, groups: list[str]) -> Table:
    """A wide section with few rows reads better turned on its side: one line per figure,
    one column per group."""
    figures = [c for c in section.columns if c not in groups]
    if len(section.columns) > WIDE and len(section.rows) <= FEW:
        heads = [" / ".join(str(row.get(g)) for g in groups) or "all" for row in section.rows]
        table = Table("", *heads, title=section.title, title_justify="left")
        for column in figures:
            table.add_row(column, *[_cell(column, row.get(column)) for row in section.rows])
        return table
    table = Table(*section.columns, title=section.title, title_justify="left")
    for row in section.rows:
        table.add_row(*[_cell(column, row.get(column)) for column in section.columns])
    return table


def _cell(column: str, value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if column.endswith(PERCENT_COLUMNS):
            return f"{value:.1%}"
        return f"{value:,.1f}"
    return str(value)
