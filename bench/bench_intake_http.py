"""Intake over HTTP on SQLite: latency at a steady 200 requests/s, beside a bare insert endpoint.

Run: python bench/bench_intake_http.py [--rate 200] [--seconds 20] [--rounds 4]

Both servers run in their own process under Uvicorn, on loopback, each with a fresh SQLite
file (WAL, the same pragmas). The bare endpoint is the floor of any intake: FastAPI parses
the JSON body and inserts it as one row with one commit. SalesRelay's endpoint authenticates
the key, matches, dedupes, routes, starts the clock and writes events in one transaction.
The load is open-loop (requests are sent on schedule, not after the previous answer), so a
slow server shows as latency, not as a lower rate. Both servers stay up and the load
alternates between them in rounds; latencies and their ratio come from one run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from salesrelay.demo import fake_leads

HERE = Path(__file__).resolve()


def bare_app(database_path: str):
    from fastapi import FastAPI
    from sqlalchemy import Column, Integer, MetaData, Table, Text

    from salesrelay.db import make_engine, make_sessionmaker

    metadata = MetaData()
    table = Table("leads", metadata, Column("id", Integer, primary_key=True), Column("body", Text))
    engine = make_engine(f"sqlite:///{database_path}")
    metadata.create_all(engine)
    factory = make_sessionmaker(engine)
    app = FastAPI()

    @app.post("/api/v1/leads", status_code=201)
    def create(payload: dict):
        with factory() as session:
            session.execute(table.insert().values(body=str(payload)))
            session.commit()
        return {"ok": True}

    return app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def start_salesrelay(folder: Path, port: int) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "SALESRELAY_DATABASE_URL": f"sqlite:///{folder / 'salesrelay.db'}"}
    run = [sys.executable, "-m", "salesrelay"]
    subprocess.run(
        [*run, "init", "--template", "four-role"], env=env, check=True, capture_output=True
    )
    team = folder / "team.csv"
    lines = ["name,email,role,capacity,weight,territories,timezone,hours,manager_email"]
    for number in range(30):
        role = ("inbound_qualification", "outbound_prospecting", "closing")[number % 3]
        tags = "enterprise" if number % 4 == 0 else ""
        lines.append(f"Rep {number},rep{number}@bench.example,{role},1000000,1,{tags},UTC,24/7,")
    team.write_text("\n".join(lines) + "\n")
    subprocess.run([*run, "team", "import", str(team)], env=env, check=True, capture_output=True)
    key = subprocess.run(
        [*run, "keys", "create", "--scope", "intake"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    process = subprocess.Popen(
        [*run, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, key


def start_bare(folder: Path, port: int) -> subprocess.Popen:
    code = (
        f"import sys, uvicorn; sys.path.insert(0, {str(HERE.parent)!r}); "
        "import bench_intake_http as b; "
        f"uvicorn.run(b.bare_app({str(folder / 'bare.db')!r}), host='127.0.0.1', port={port}, "
        "log_level='warning', access_log=False)"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def load(
    port: int, key: str, rate: float, seconds: float, seed: int
) -> tuple[np.ndarray, int]:
    """Send rate x seconds leads on schedule; return each latency (ms) and the error count."""
    total = int(rate * seconds)
    leads = list(fake_leads(total, seed=seed, companies=total * 3))
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30
    ) as client:
        headers = {"Authorization": f"Bearer {key}"}

        async def one(number: int) -> None:
            nonlocal errors
            started = time.perf_counter()
            try:
                response = await client.post("/api/v1/leads", json=leads[number], headers=headers)
                if response.status_code >= 300:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append((time.perf_counter() - started) * 1000)

        begin = time.perf_counter()
        tasks = []
        for number in range(total):
            delay = begin + number / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(number)))
        await asyncio.gather(*tasks)
    return np.array(latencies), errors


def percentiles(latencies: np.ndarray) -> dict:
    p50, p90, p99, top = np.percentile(latencies, [50, 90, 99, 100])
    return {"p50": float(p50), "p90": float(p90), "p99": float(p99), "max": float(top)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20, help="per server, over all rounds")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="salesrelay-http-"))
    bare_port, port = free_port(), free_port()
    bare = start_bare(folder, bare_port)
    server, key = start_salesrelay(folder, port)
    targets = {"bare insert endpoint": (bare_port, "none"), "SalesRelay intake": (port, key)}
    seen = {name: [] for name in targets}
    errors = dict.fromkeys(targets, 0)
    try:
        wait_ready(bare_port, bare)
        wait_ready(port, server)
        for port_, key_ in targets.values():
            asyncio.run(load(port_, key_, args.rate, 2, seed=1))  # warm up
        # Rounds alternate between the two servers, so a noisy minute on a shared machine
        # falls on both rather than on whichever happened to run then.
        for round_ in range(args.rounds):
            for name, (port_, key_) in targets.items():
                latencies, failed = asyncio.run(
                    load(port_, key_, args.rate, args.seconds / args.rounds, seed=2 + round_)
                )
                seen[name].append(latencies)
                errors[name] += failed
    finally:
        for process in (bare, server):
            process.terminate()
            process.wait()
    results = {}
    for name, parts in seen.items():
        latencies = np.concatenate(parts)
        results[name] = percentiles(latencies)
        r = results[name]
        print(
            f"{name:>24}: {len(latencies)} requests, {errors[name]} errors, p50 {r['p50']:.2f} ms, "
            f"p90 {r['p90']:.2f} ms, p99 {r['p99']:.2f} ms, max {r['max']:.1f} ms",
            flush=True,
        )
    bare_result, ours = results.values()
    print(
        f"p99 ratio intake/bare: {ours['p99'] / bare_result['p99']:.2f}×"
        "  (target ≤ 2×; p99 ≤ 20 ms at 200/s)"
    )
    print(f"p50 ratio intake/bare: {ours['p50'] / bare_result['p50']:.2f}×")


if __name__ == "__main__":
    main()
