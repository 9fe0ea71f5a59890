"""Every web page against 100,000 journeys in SQLite, through a real HTTP client.

Run: python bench/bench_pages.py [--journeys 100000] [--requests 40] [--dir DIR]

1. Builds the database once (kept in --dir for the next run): the demo team and its
   sign-ins, 2,000 journeys lived through 90 days by the real flows (touches, moves,
   handoffs accepted, rejected and expired, SLA sweeps), then the rest imported in bulk as
   leads arriving over the same 90 days (matched, routed to reps whose capacity is lifted,
   clocked). Of the imported ones, 85% are then closed as disqualified in one UPDATE — the
   share a team qualifies out — so each inbound rep's queue still holds thousands of open
   journeys.
2. Serves the app with Uvicorn in another process (no worker), signs in as a rep, a manager
   and an admin, and requests each page once cold, twice to warm up, then --requests times.
3. Prints the cold time, p50 and p95 per page, and the ratio of each page's p95 to /healthz
   on the same server (the floor of HTTP + framework), measured in the same run.
The target is p95 <= 150 ms for every page; this prints, it does not fail.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from salesrelay import demo, migrate
from salesrelay.db import make_engine, make_sessionmaker, transaction
from salesrelay.demo_life import Life
from salesrelay.intake.importers import import_leads
from salesrelay.playbook import service as playbook_service
from salesrelay.playbook import template_text

LIVED = 2000
PASSWORD = "bench password 1"
TARGET_MS = 150


def build(path: Path, journeys: int) -> None:
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    now = datetime.now(UTC)
    started = time.perf_counter()
    with transaction(factory) as session:
        text = template_text("four-role")
        playbook_service.install(session=session, text=text, created_by="bench")
        demo.create_team(session)
        demo.create_users(session, PASSWORD)
    life = Life(factory, now)
    leads = demo.fake_leads(LIVED + (journeys - LIVED) * 7 // 6, seed=9, companies=journeys * 4)
    span = timedelta(days=90)
    for number, lead in zip(range(LIVED), leads, strict=False):
        life.arrive(lead, now - span + span * (number + 0.5) / LIVED)
    life.run()
    print(f"  lived {life.created:,} journeys in {time.perf_counter() - started:.0f} s", flush=True)
    csv_path = path.with_suffix(".csv")
    with open(csv_path, "w", newline="", encoding="utf-8") as stream:
        writer = None
        for lead in leads:
            writer = writer or csv.DictWriter(stream, fieldnames=list(lead))
            if stream.tell() == 0:
                writer.writeheader()
            writer.writerow(lead)
    # Some imported leads join an open journey of their account (same domain), as real
    # ones do: import a sixth more leads than the journeys still wanted. Capacities are
    # lifted first, so routing assigns every one and each rep's queue is as long as it gets.
    remaining = journeys - LIVED
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE reps SET capacity = 1000000")
    batches = max(1, remaining * 7 // 6 // 2000 + 1)
    moments = iter([now - span + span * (b + 0.5) / batches for b in range(batches + 2)])
    imported = time.perf_counter()
    summary = import_leads(
        factory=factory, path=csv_path, batch_size=2000, now=lambda: next(moments, now)
    )
    csv_path.unlink()
    print(
        f"  imported {summary.created:,} journeys in {time.perf_counter() - imported:.0f} s",
        flush=True,
    )
    _qualify_out(engine)
    engine.dispose()


def _qualify_out(engine) -> None:
    """85% of the imported journeys closed as disqualified, their clocks met, open counts
    recounted: the state a working team leaves behind."""
    with engine.begin() as connection:
        sql = connection.exec_driver_sql
        sql(
            "CREATE TEMP TABLE closing AS SELECT id FROM journeys WHERE id > ? AND id % 20 < 17",
            (LIVED + 100,),
        )
        sql(
            "UPDATE journeys SET status = 'closed', stage = 'disqualified', "
            "outcome = 'disqualified', first_touched_at = datetime(created_at, '+4 minutes') "
            "WHERE id IN (SELECT id FROM closing)"
        )
        sql(
            "UPDATE sla_clocks SET status = 'met', stopped_at = due_at, next_step_at = NULL "
            "WHERE status = 'running' AND journey_id IN (SELECT id FROM closing)"
        )
        sql(
            "UPDATE reps SET open_journeys = (SELECT count(*) FROM journeys "
            "WHERE owner_rep_id = reps.id AND status = 'open')"
        )
        sql("ANALYZE")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(path: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {
        **os.environ,
        "SALESRELAY_DATABASE_URL": f"sqlite:///{path}",
        "SALESRELAY_ENVIRONMENT": "test",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "salesrelay.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start")


def signed_in(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text).group(1)
    done = client.post(
        "/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/"}
    )
    assert done.status_code == 303, done.text[:300]
    return client


def timed(client: httpx.Client, path, count: int) -> tuple[float, list[float]]:
    """The first request (cold: nothing cached) and `count` more after two warm-ups;
    `path` is a path, or a function giving the path of each request."""
    next_path = path if callable(path) else lambda: path
    started = time.perf_counter()
    client.get(next_path())
    cold = (time.perf_counter() - started) * 1000
    for _ in range(2):
        client.get(next_path())
    spent = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(next_path())
        spent.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, f"{response.url}: {response.status_code}"
    return cold, spent


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    path = args.dir / f"salesrelay-pages-{args.journeys}.db"
    if not path.exists():
        print(f"building {path} ({args.journeys:,} journeys)…", flush=True)
        build(path, args.journeys)
    process, base = serve(path)
    try:
        rep, manager = (
            signed_in(base, "ana@salesrelay.demo"),
            signed_in(base, "morgan@salesrelay.demo"),
        )
        admin = signed_in(base, demo.DEMO_ADMIN)
        journey = re.search(r'href="/journeys/(\d+)"', rep.get("/queue").text).group(1)
        qualifying = re.search(
            r'href="/journeys/(\d+)"', rep.get("/journeys?stage=qualifying&status=open").text
        ).group(1)
        pages = [
            (rep, "/healthz"),
            (rep, "/queue"),
            (rep, "/queue?page=40"),
            (rep, f"/journeys/{journey}"),
            (rep, f"/journeys/{qualifying}/handoff"),
            (rep, "/handoffs"),
            (rep, "/journeys"),
            (manager, "/journeys?page=1000"),
            (manager, "/journeys?status=open&stage=new"),
            (manager, "/dashboard"),
            (manager, "/dashboard?days=90"),
            (manager, "/team"),
            (manager, "/routing"),
            (manager, "/routing?page=300"),
            (admin, "/playbook"),
            (admin, "/settings/users"),
            (manager, "/handoffs?tab=sent"),
        ]
        results = [(path, timed(client, path, args.requests)) for client, path in pages]
        # Charts are reused for 30 s; a different period each time measures drawing them.
        periods = iter(range(31, 31 + 3 + args.requests * 2))
        results.append(
            (
                "/dashboard (not reused)",
                timed(manager, lambda: f"/dashboard?days={next(periods)}", args.requests),
            )
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
    floor = p95(results[0][1][1])
    print(f"journeys: {count_journeys(path):,}")
    print(
        f"\n{'page':<36}{'first ms':>10}{'p50 ms':>9}{'p95 ms':>9}{'p95 / healthz':>15}"
        f"  target p95 <= {TARGET_MS} ms"
    )
    for path, (cold, spent) in results:
        worst = p95(spent)
        flag = "" if worst <= TARGET_MS else "  OVER"
        print(
            f"{path:<36}{cold:>10.1f}{statistics.median(spent):>9.1f}{worst:>9.1f}"
            f"{worst / floor:>15.1f}{flag}"
        )
    print("first = the first request after the server started, before anything was cached.")


def count_journeys(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT count(*) FROM journeys").fetchone()[0]


if __name__ == "__main__":
    main()
