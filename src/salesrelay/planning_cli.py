"""Planning commands: advise, plan, queue, simulate. Thin: read, call the core, print.

The main CLI calls `register(app)`. Every command prints a one-line error naming the file
and field and exits 1 on a bad input; `--json` prints JSON on stdout (progress bars go to
stderr, and only on a terminal).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from salesrelay.advisor.advise import advise as advise_profile
from salesrelay.advisor.playbooks import generate_playbooks
from salesrelay.advisor.present import advice_tables, advice_to_dict
from salesrelay.advisor.profile import ProfileError, load_profile_text
from salesrelay.advisor.workload import plan_input as profile_plan_input
from salesrelay.planner import defaults
from salesrelay.planner.funnel import PlanningError, exact, resolve_rates
from salesrelay.planner.plan import build_plan, single_segment
from salesrelay.planner.present import ROLE_LABELS, plan_tables, plan_to_dict
from salesrelay.simulator import queueing, report, runner
from salesrelay.simulator.model import ScenarioError, load_scenario_text

out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)
if not out.is_terminal:
    out.width = max(out.width, 140)  # piped output: keep the tables' columns readable
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
_USER_ERRORS = (ProfileError, PlanningError, ScenarioError, queueing.QueueingError, OSError)


def register(app: typer.Typer) -> None:
    """Add `advise`, `plan`, `queue` and `simulate` to `app`."""
    app.command("advise")(advise)
    app.command("plan")(plan)
    app.command("queue")(queue)
    app.command("simulate")(simulate)


def _fail(message: str) -> typer.Exit:
    err.print(f"error: {message}")
    return typer.Exit(1)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(f"{path}: {getattr(error, 'strerror', None) or error}") from None


def _emit_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def _print_tables(tables) -> None:
    for title, headers, rows in tables:
        table = Table(*headers, title=title)
        for row in rows:
            table.add_row(*row)
        out.print(table)


# -- advise ------------------------------------------------------------------------------
def advise(
    profile: Annotated[Path, typer.Argument(help="Company profile (YAML); see examples/.")],
    write_playbooks: Annotated[
        Path | None, typer.Option(help="Write the generated playbook(s) into this folder.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Specialize or not, which roles, how many people, and why; with a ready playbook."""
    try:
        advice = advise_profile(load_profile_text(_read(profile)))
        playbooks = generate_playbooks(advice)
    except _USER_ERRORS as error:
        raise _fail(f"{profile}: {error}") from None
    if write_playbooks is not None:
        write_playbooks.mkdir(parents=True, exist_ok=True)
        for playbook in playbooks:
            (write_playbooks / playbook.file_name).write_text(playbook.text, encoding="utf-8")
    data = advice_to_dict(advice, playbooks)
    if as_json:
        _emit_json(data)
        return
    out.print(f"{advice.company}: {advice.summary}")
    _print_tables(advice_tables(data))
    for playbook in playbooks:
        state = "valid" if playbook.ok else "INVALID: " + "; ".join(playbook.issues)
        where = f" -> {write_playbooks / playbook.file_name}" if write_playbooks else ""
        out.print(f"Playbook {playbook.name} ({playbook.template}, {state}){where}")
    if write_playbooks is None and playbooks:
        out.print("Write them with --write-playbooks DIR.")


# -- plan --------------------------------------------------------------------------------
def _month(text: str | None) -> tuple[int, int]:
    if text is None:
        today = date.today()
        return today.year, today.month
    try:
        year, month = (int(part) for part in text.split("-"))
        date(year, month, 1)
    except ValueError:
        raise _fail(f"--start {text!r}: write the first month as YYYY-MM") from None
    return year, month


def _current(pairs: list[str]) -> dict[str, int]:
    current = {}
    for pair in pairs:
        role, _, count = pair.partition("=")
        if role not in ROLE_LABELS or not count.isdigit():
            roles = ", ".join(ROLE_LABELS)
            raise _fail(f"--current {pair!r}: write ROLE=N, ROLE one of {roles}")
        current[role] = int(count)
    return current


def plan(
    target_revenue: Annotated[float, typer.Option(help="Revenue to close over the plan.")],
    start: Annotated[str | None, typer.Option(help="First month, YYYY-MM (default: now).")] = None,
    months: Annotated[int, typer.Option(help="Months to plan.")] = 12,
    profile: Annotated[Path | None, typer.Option(help="Segments and rates from a profile.")] = None,
    deal_size: Annotated[float | None, typer.Option(help="Average first-year deal.")] = None,
    cycle_days: Annotated[float | None, typer.Option(help="Sales cycle in days.")] = None,
    quota_per_closer: Annotated[float | None, typer.Option(help="Annual closer quota.")] = None,
    lead_to_mql: Annotated[float | None, typer.Option()] = None,
    mql_to_sql: Annotated[float | None, typer.Option()] = None,
    sql_to_opportunity: Annotated[float | None, typer.Option()] = None,
    win_rate: Annotated[float | None, typer.Option(help="Opportunity to won.")] = None,
    outbound_share: Annotated[float, typer.Option(help="Share of leads from outbound.")] = 0.0,
    attention_share: Annotated[float, typer.Option(help="Inbound leads needing a person.")] = 1.0,
    current: Annotated[list[str], typer.Option(help="Today's team, e.g. closer=4.")] = [],  # noqa: B006
    as_json: JsonFlag = False,
) -> None:
    """Reverse funnel: revenue target -> deals, opportunities, leads -> people and hire dates."""
    year, month = _month(start)
    rates = {
        "lead_to_mql": lead_to_mql,
        "mql_to_sql": mql_to_sql,
        "sql_to_opportunity": sql_to_opportunity,
        "opportunity_to_won": win_rate,
    }
    given = {name: value for name, value in rates.items() if value is not None}
    try:
        target = exact(target_revenue, "--target-revenue")
        if profile is not None:
            parsed = load_profile_text(_read(profile))
            base = profile_plan_input(
                parsed, start_year=year, start_month=month, months=months, target_revenue=target
            )
        else:
            base = single_segment(
                target_revenue=target,
                start_year=year,
                start_month=month,
                months=months,
                rates=resolve_rates(given=given),
                deal_size=exact(deal_size or defaults.DEAL_SIZE.value, "--deal-size"),
                cycle_days=exact(cycle_days or defaults.SALES_CYCLE_DAYS.value, "--cycle-days"),
                outbound_share=exact(outbound_share, "--outbound-share"),
                attention_share=exact(attention_share, "--attention-share"),
            )
        quota = exact(quota_per_closer or base.quota_per_closer, "--quota-per-closer")
        result = build_plan(
            dataclasses.replace(base, current=_current(current), quota_per_closer=quota)
        )
    except _USER_ERRORS as error:
        raise _fail(f"{profile}: {error}" if profile else str(error)) from None
    data = plan_to_dict(result)
    if as_json:
        _emit_json(data)
        return
    out.print(f"Plan: {data['target_revenue']:,.0f} over {months} months from {data['start']}")
    _print_tables(plan_tables(data))


# -- queue -------------------------------------------------------------------------------
def queue(
    arrivals_per_hour: Annotated[float, typer.Option(help="Leads arriving per hour.")],
    handle_minutes: Annotated[float, typer.Option(help="Minutes of rep time per lead.")],
    reps: Annotated[int, typer.Option(help="Reps answering.")],
    target_seconds: Annotated[float, typer.Option(help="Answer-time target.")],
    patience_minutes: Annotated[
        float | None, typer.Option(help="Mean wait before a lead goes cold (Erlang A).")
    ] = None,
    service_level: Annotated[float, typer.Option(help="Goal for 'reps needed'.")] = 0.8,
    simulate: Annotated[int | None, typer.Option(help="Also simulate about N leads.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulation.")] = 1,
    as_json: JsonFlag = False,
) -> None:
    """Erlang C (or A with patience): waiting, service level, speed of answer, occupancy."""
    model = {
        "arrivals_per_hour": arrivals_per_hour,
        "handle_minutes": handle_minutes,
        "target_seconds": target_seconds,
        "patience_minutes": patience_minutes,
    }
    try:
        metrics = queueing.queue_metrics(reps=reps, **model)
        needed = queueing.reps_needed(service_level=service_level, **model)
        simulated = None
        if simulate is not None:
            if simulate < 100:
                raise queueing.QueueingError("--simulate needs at least 100 leads")
            simulated = runner.simulate_queue(reps=reps, leads=simulate, seed=seed, **model)
    except _USER_ERRORS as error:
        raise _fail(str(error)) from None
    data = {
        **metrics.as_dict(),
        "offered_load": queueing.offered_load(arrivals_per_hour, handle_minutes),
        "reps_needed": {
            "service_level": service_level,
            "target_seconds": target_seconds,
            "reps": needed,
        },
    }
    if simulated is not None:
        data["simulated"] = {**simulated, "seed": seed}
    if as_json:
        _emit_json(data)
        return
    headers = ["", "Erlang A (leads go cold)" if patience_minutes else "Erlang C"]
    headers += ["simulated"] if simulated else []
    rows = [
        [key, f"{data[key]:.4f}", *([f"{simulated[key]:.4f}"] if simulated else [])]
        for key in metrics.as_dict()
    ]
    _print_tables([(f"{reps} reps, offered load {data['offered_load']:.2f}", headers, rows)])
    out.print(f"Reps needed to answer {service_level:.0%} within {target_seconds:g} s: {needed}")


# -- simulate ----------------------------------------------------------------------------
def _progress() -> Progress:
    console = Console(stderr=True)
    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    return Progress(
        "{task.description}",
        *columns,
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def simulate(
    scenario: Annotated[Path, typer.Argument(help="Scenario (YAML); see examples/.")],
    compare: Annotated[Path | None, typer.Option(help="A second scenario, same leads.")] = None,
    runs: Annotated[int, typer.Option(min=1, help="Independent runs.")] = 10,
    seed: Annotated[int, typer.Option(help="The same seed gives the same leads.")] = 1,
    sweep: Annotated[str | None, typer.Option(help="Headcount sweep, ROLE=FROM..TO.")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Processes (default: cores).")] = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Write CSV here.")] = None,
    html_file: Annotated[Path | None, typer.Option("--html", help="Write HTML here.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Simulate a team on a lead stream; compare two scenarios or sweep a headcount."""
    try:
        first = load_scenario_text(_read(scenario))
        second = load_scenario_text(_read(compare)) if compare else None
        if sweep and second:
            raise ScenarioError("--sweep and --compare: choose one")
        role, counts = runner.parse_sweep(sweep) if sweep else (None, [])
        if role is not None and role not in first.roles:
            roles = ", ".join(first.roles)
            raise ScenarioError(f"--sweep: {first.name!r} has no role {role!r}; roles: {roles}")
        with _progress() as progress:
            task = progress.add_task("simulating", total=runs * max(len(counts), 1 + bool(second)))

            def advance(done: int) -> None:
                progress.advance(task, done)

            options = {"runs": runs, "seed": seed, "workers": workers, "progress": advance}
            if role is not None:
                outcome = runner.sweep(first, role=role, reps=counts, **options)
            else:
                outcome = runner.simulate_runs(first, compare=second, **options)
    except _USER_ERRORS as error:
        raise _fail(str(error)) from None
    if csv_file:
        csv_file.write_text(report.to_csv(outcome), encoding="utf-8")
    if html_file:
        html = report.to_html(outcome, title=f"Simulation: {first.name}")
        html_file.write_text(html, encoding="utf-8")
    if as_json:
        _emit_json(report.outcome_to_dict(outcome))
        return
    headers, rows = report.summary_rows(outcome)
    _print_tables([(f"{outcome.runs} runs, seed {outcome.seed}: mean [95% CI]", headers, rows)])
