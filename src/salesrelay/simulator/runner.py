"""Many runs: replications with confidence intervals, two scenarios on one lead stream, and
headcount sweeps spread over processes.

Run `i` of seed `s` always draws the same stream, whichever scenarios share it and whichever
process runs it, so results do not depend on the number of workers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context

from salesrelay.simulator.engine import simulate
from salesrelay.simulator.model import Scenario, ScenarioError, scenario_from_mapping
from salesrelay.simulator.results import RunResult
from salesrelay.simulator.stats import Summary, summarize_differences, summarize_runs
from salesrelay.simulator.stream import draw_stream

Progress = Callable[[int], None]
"""Called with the number of runs just finished."""

_SWEEP = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*=\s*(\d+)\s*\.\.\s*(\d+)\s*$")
_parsed: dict[str, Scenario] = {}


def flatten(result: RunResult) -> dict[str, float]:
    flat = dict(result.metrics)
    for stage, flow in result.stages.items():
        flat[f"stage.{stage}.mean_count"] = flow.mean_count
        flat[f"stage.{stage}.arrivals_per_day"] = flow.arrivals_per_minute * 1440.0
        flat[f"stage.{stage}.mean_days"] = flow.mean_minutes / 1440.0
    return flat


def _scenario(text: str) -> Scenario:
    if text not in _parsed:
        _parsed[text] = Scenario.model_validate_json(text)
    return _parsed[text]


def run_on_shared_stream(
    scenario_texts: Sequence[str], seed: int, run: int
) -> tuple[int, list[dict[str, float]]]:
    """One run of every scenario on the stream of the first one (a worker's unit of work)."""
    scenarios = [_scenario(text) for text in scenario_texts]
    stream = draw_stream(
        scenarios[0],
        seed=seed,
        run=run,
        touches=max(s.touches for sc in scenarios for s in sc.segments.values()),
        meetings=max(s.meetings for sc in scenarios for s in sc.segments.values()),
    )
    return run, [flatten(simulate(scenario, stream)) for scenario in scenarios]


def run_batch(
    scenarios: Sequence[Scenario],
    *,
    runs: int,
    seed: int,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[list[dict[str, float]]]:
    """`runs` runs of each scenario, all scenarios sharing each run's stream: [scenario][run]."""
    if runs < 1:
        raise ScenarioError("runs must be at least 1")
    texts = [scenario.model_dump_json(by_alias=True) for scenario in scenarios]
    workers = min(workers or os.cpu_count() or 1, runs)
    by_run: dict[int, list[dict[str, float]]] = {}
    if workers <= 1:
        for run in range(runs):
            by_run[run] = run_on_shared_stream(texts, seed, run)[1]
            if progress:
                progress(len(scenarios))
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(run_on_shared_stream, texts, seed, run) for run in range(runs)]
            for future in as_completed(futures):
                run, results = future.result()
                by_run[run] = results
                if progress:
                    progress(len(scenarios))
    return [[by_run[run][index] for run in range(runs)] for index in range(len(scenarios))]


@dataclass(frozen=True)
class ScenarioSummary:
    name: str
    metrics: dict[str, Summary]
    reps: int | None = None


@dataclass(frozen=True)
class Outcome:
    seed: int
    runs: int
    scenarios: list[ScenarioSummary]
    difference: dict[str, Summary] | None = None
    sweep_role: str | None = None


def simulate_runs(
    scenario: Scenario,
    *,
    runs: int,
    seed: int,
    compare: Scenario | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Outcome:
    scenarios = [scenario] if compare is None else [scenario, compare]
    results = run_batch(scenarios, runs=runs, seed=seed, workers=workers, progress=progress)
    summaries = [
        ScenarioSummary(sc.name, summarize_runs(rows))
        for sc, rows in zip(scenarios, results, strict=True)
    ]
    difference = summarize_differences(results[0], results[1]) if compare is not None else None
    return Outcome(seed, runs, summaries, difference)


def parse_sweep(text: str) -> tuple[str, list[int]]:
    """'closers=3..8' → ('closers', [3, 4, 5, 6, 7, 8])."""
    match = _SWEEP.match(text)
    if not match:
        raise ScenarioError(f"--sweep {text!r}: write ROLE=FROM..TO, e.g. closers=3..8")
    role, low, high = match.group(1), int(match.group(2)), int(match.group(3))
    if high < low:
        raise ScenarioError(f"--sweep {text!r}: {high} is below {low}")
    return role, list(range(low, high + 1))


def sweep(
    scenario: Scenario,
    *,
    role: str,
    reps: Sequence[int],
    runs: int,
    seed: int,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Every headcount of `role` on the same streams, so the curve is not noise."""
    variants = [scenario.with_reps(role, count) for count in reps]
    results = run_batch(variants, runs=runs, seed=seed, workers=workers, progress=progress)
    summaries = [
        ScenarioSummary(f"{scenario.name} ({role}={count})", summarize_runs(rows), count)
        for count, rows in zip(reps, results, strict=True)
    ]
    return Outcome(seed, runs, summaries, sweep_role=role)


def queue_scenario(
    *,
    arrivals_per_hour: float,
    handle_minutes: float,
    reps: int,
    patience_minutes: float | None,
    leads: int,
) -> Scenario:
    """The Erlang model as a scenario: Poisson arrivals around the clock, exponential handling,
    `reps` reps, no conversions, no decay, no penalty; about `leads` arrivals."""
    owners = {"inbound_qualification": "reps", "closing": "reps"}
    return scenario_from_mapping(
        {
            "name": "queue",
            "hours": "24/7",
            "horizon_days": leads / arrivals_per_hour / 24.0,
            "patience_minutes": patience_minutes,
            "work": {"touch_minutes": handle_minutes},
            "response_decay": {"enabled": False},
            "roles": {"reps": {"reps": reps, "context_switch_penalty": 0}},
            "segments": {"queue": {"owners": owners, "qualify_rate": 0}},
            "sources": {
                "leads": {
                    "leads_per_month": arrivals_per_hour * 24 * 365.25 / 12,
                    "segment": "queue",
                }
            },
        }
    )


def simulate_queue(
    *,
    arrivals_per_hour: float,
    handle_minutes: float,
    reps: int,
    target_seconds: float,
    patience_minutes: float | None,
    leads: int,
    seed: int,
    run: int = 0,
) -> dict[str, float]:
    """The Erlang quantities measured on one simulated run of about `leads` arrivals."""
    scenario = queue_scenario(
        arrivals_per_hour=arrivals_per_hour,
        handle_minutes=handle_minutes,
        reps=reps,
        patience_minutes=patience_minutes,
        leads=leads,
    )
    result = simulate(scenario, draw_stream(scenario, seed=seed, run=run))
    view = result.queue_view(
        target_seconds=target_seconds,
        reps=reps,
        patience=patience_minutes is not None,
        horizon_minutes=scenario.horizon_days * 1440.0,
    )
    return {**view, "leads": result.metrics["leads"]}
