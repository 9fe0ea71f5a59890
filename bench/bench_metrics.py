"""Metrics reports on 1,000,000 journeys and 10,000,000 events in SQLite, each beside the
same report computed by DuckDB from the same SQLite data, in the same run.

Run: python bench/bench_metrics.py [--journeys 1000000] [--events 10000000] [--dir DIR]
                                   [--reuse] [--repeat 5]

1. Data: a year of synthetic history (bench/metrics_data.py), written with executemany.
2. Summaries: `salesrelay report refresh` from scratch (the one-time build), timed.
3. Reports over the whole year — speed-to-lead, funnel (by cohort) and handoffs — through
   the library call the API and CLI use, in a fresh process state (first call) and as the
   median of --repeat calls; the same reports grouped (by source, by activity, by receiver).
4. The peer: DuckDB loads the rows each report needs from the same file (timed apart) and
   computes the reports in SQL (bench/metrics_peer.py); the answers are checked against ours.
5. Late events: 1,000 touches logged now for journeys of last spring, then the report before
   any refresh (replayed in memory), the refresh, and the report after.
Targets: each report ≤ 1 s and at most twice DuckDB's time for the same report.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import metrics_data
import metrics_peer
from salesrelay.db import make_engine, make_sessionmaker, read_only, transaction
from salesrelay.journeys import service as journey_service
from salesrelay.metrics import queries, store

START, END = metrics_data.START, metrics_data.START + metrics_data.DAYS * 86400.0
NOW = datetime.fromtimestamp(metrics_data.NOW, UTC)
PERIOD = {
    "start": datetime.fromtimestamp(START, UTC).isoformat(),
    "end": datetime.fromtimestamp(END, UTC).isoformat(),
}
MAIN = (
    ("speed-to-lead", {}),
    ("funnel", {}),
    ("handoffs", {}),
)
VARIANTS = (
    ("speed-to-lead", {"group_by": "source"}),
    ("funnel", {"basis": "activity"}),
    ("handoffs", {"group_by": "receiver"}),
)


def ours(factory, name, params):
    with transaction(factory) as session:
        return queries.report(session=session, name=name, now=NOW, **PERIOD, **params)


def timed(call, repeat):
    started = time.perf_counter()
    result = call()
    first = time.perf_counter() - started
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        runs.append(time.perf_counter() - started)
    return result, first, statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--dir", default=None, help="where the SQLite file goes (default: temp)")
    parser.add_argument("--reuse", action="store_true", help="reuse a file made by a past run")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(args.dir or tempfile.mkdtemp(prefix="bench-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"metrics-{args.journeys}-{args.events}.db"
    begun = time.perf_counter()
    if not (args.reuse and path.exists()):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        print(f"Generating {args.journeys:,} journeys and {args.events:,} events …", flush=True)
        metrics_data.generate(str(path), journeys=args.journeys, events=args.events)
    engine = make_engine(f"sqlite:///{path}")
    write, read = make_sessionmaker(engine), make_sessionmaker(read_only(engine))

    with transaction(write) as session:
        built = store.refresh(session=session)
    with transaction(read) as session:
        blocks = store.status(session=session)["blocks"]
    print(
        f"\nSummaries: {'built' if built.rebuilt else 'refreshed'} for {built.journeys:,} "
        f"journeys in {built.seconds:.1f} s ({blocks:,} column blocks)"
    )

    results = {}
    print("\nOur reports (first call / median of repeats)")
    for name, params in (*MAIN, *VARIANTS):
        engine.dispose()
        report, first, median = timed(lambda n=name, p=params: ours(read, n, p), args.repeat)
        results[(name, str(params))] = (report, first, median)
        print(f"  {name:14} {params!s:28} {first:7.3f} s  {median:7.3f} s", flush=True)

    with transaction(read) as session:
        rules = journey_service.rules(session=session)
    started = time.perf_counter()
    peer = metrics_peer.load(str(path), rules.playbook, rules.calendar, START, END)
    print(
        f"\nDuckDB {__import__('duckdb').__version__}: loaded the rows the reports read from "
        f"the SQLite file in {time.perf_counter() - started:.1f} s"
    )
    print(
        f"\n{'report':14} {'ours (s)':>9} {'DuckDB (s)':>11} {'ours/DuckDB':>12}  "
        f"{'≤1 s':>5} {'≤2×':>4}  answers"
    )
    failed = False
    for name, params in MAIN:
        answer, _, duck = timed(
            lambda n=name: metrics_peer.run(peer, n, START, END, NOW.timestamp()), args.repeat
        )
        report, _, mine = results[(name, str(params))]
        agree = CHECKS[name](report, answer)
        ratio = mine / duck
        ok_time, ok_ratio = mine <= 1.0, ratio <= 2.0
        failed |= not (ok_time and ok_ratio and agree)
        print(
            f"{name:14} {mine:9.3f} {duck:11.3f} {ratio:12.2f}  {_mark(ok_time):>5} "
            f"{_mark(ok_ratio):>4}  {'agree' if agree else 'DIFFER'}"
        )

    late_events(write, read, args.repeat)
    engine.dispose()
    print(f"\nTotal bench time {time.perf_counter() - begun:.0f} s; data in {path}")
    return 1 if failed else 0


def late_events(write, read, repeat) -> None:
    """Touches logged today for journeys that arrived last spring."""
    with transaction(read) as session:
        before = ours(read, "speed-to-lead", {}).sections[0].rows[0]
    rng = np.random.default_rng(3)
    with transaction(write) as session:
        connection = session.connection().connection.dbapi_connection
        old = connection.execute(
            "SELECT id, created_at FROM journeys WHERE first_touched_at IS NULL "
            "AND created_at < '2026-05-01' ORDER BY id LIMIT 1000"
        ).fetchall()
        for journey_id, created in old:
            at = datetime.fromisoformat(created).timestamp() + float(rng.exponential(7200))
            stamp = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            connection.execute(
                "UPDATE journeys SET first_touched_at = ? WHERE id = ?", (stamp, journey_id)
            )
            connection.execute(
                "INSERT INTO events (journey_id, kind, at, rep_id, actor, data) VALUES "
                "(?, 'journey.touched', ?, 3, 'import', '{\"first\": true}')",
                (journey_id, stamp),
            )
    report, first, median = timed(lambda: ours(read, "speed-to-lead", {}), repeat)
    after = report.sections[0].rows[0]
    print(f"\nLate events: {len(old):,} touches logged now for journeys from before May")
    print(
        f"  speed-to-lead before the refresh (replays {len(old):,} journeys): "
        f"{first:.3f} s first, {median:.3f} s median"
    )
    with transaction(write) as session:
        refreshed = store.refresh(session=session)
    print(
        f"  refresh folding them in: {refreshed.seconds:.3f} s for {refreshed.journeys:,} journeys"
    )
    _, first, median = timed(lambda: ours(read, "speed-to-lead", {}), repeat)
    print(f"  speed-to-lead after: {first:.3f} s first, {median:.3f} s median")
    print(
        f"  touched {before['touched']:,} → {after['touched']:,}; never touched "
        f"{before['never_touched']:,} → {after['never_touched']:,}"
    )


def _mark(ok: bool) -> str:
    return "yes" if ok else "NO"


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _check_speed(report, answer) -> bool:
    mine, (peer,) = report.sections[0].rows[0], answer[0]
    histogram = [r["wall"] for r in report.section("histogram").rows]
    pairs = [
        (mine["leads"], peer["leads"]),
        (mine["touched"], peer["touched"]),
        (mine["waiting"], peer["waiting"]),
        (mine["within_sla"], peer["within_sla"]),
        (mine["sla_decided"], peer["decided"]),
        (mine["wall_mean_min"], peer["wall_mean"]),
        (mine["business_mean_min"], peer["business_mean"]),
        *zip(
            (mine["wall_p50_min"], mine["wall_p90_min"], mine["wall_p99_min"]),
            peer["wall_pct"],
            strict=True,
        ),
        *zip(
            (mine["business_p50_min"], mine["business_p90_min"], mine["business_p99_min"]),
            peer["business_pct"],
            strict=True,
        ),
    ]
    return all(_close(a, b) for a, b in pairs) and histogram == peer["wall_histogram"]


def _check_funnel(report, answer) -> bool:
    stages, transitions, origins = answer
    mine = {r["stage"]: r for r in report.section("stages").rows}
    ok = len(mine) == len(stages)
    for peer in stages:
        row = mine.get(peer["stage"], {})
        ok &= (row.get("entered"), row.get("left"), row.get("still_in_stage")) == (
            peer["entered"],
            peer["left_n"],
            peer["still"],
        )
        ok &= _close(row.get("hours_p50"), (peer["hours_pct"] or [None])[0])
        ok &= _close(row.get("business_hours_p90"), (peer["business_pct"] or [None, None])[1])
    moved = {(r["stage"], r["next"]): r["moved"] for r in report.section("transitions").rows}
    ok &= moved == {(r["stage"], r["next"]): r["moved"] for r in transitions}
    mine = {r["originating_role"]: r for r in report.section("origins").rows}
    for peer in origins:
        row = mine[peer["originating_role"]]
        ok &= all(row[k] == peer[k] for k in ("journeys", "pipeline", "won", "closed_lost"))
        ok &= _close(row["revenue_won"], peer["revenue_won"])
    return bool(ok)


def _check_handoffs(report, answer) -> bool:
    summary, rejections = answer
    mine = {(r["protocol"], r["pair"]): r for r in report.sections[0].rows}
    ok = len(mine) == len(summary)
    for peer in summary:
        row = mine[(peer["protocol"], peer["pair"])]
        ok &= all(
            row[k] == peer[k]
            for k in (
                "proposed",
                "accepted",
                "rejected",
                "expired",
                "pending",
                "accepted_late",
                "reoffers",
            )
        )
        ok &= _close(row["latency_p50_min"], peer["latency_pct"][0])
        ok &= _close(row["business_latency_p90_min"], peer["business_pct"][1])
        ok &= _close(row["average_rating"], peer["average_rating"])
    ok &= sum(r["rejected"] for r in report.section("rejections").rows) == sum(
        r["rejected"] for r in rejections
    )
    return bool(ok)


CHECKS = {"speed-to-lead": _check_speed, "funnel": _check_funnel, "handoffs": _check_handoffs}


if __name__ == "__main__":
    sys.exit(main())
