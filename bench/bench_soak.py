"""Soak: intake at a steady 100 requests/s for 10 minutes on PostgreSQL, with the worker beside it.

Run: python bench/bench_soak.py [--minutes 10] [--rate 100] [--breach-share 0.1]
                                [--database-url postgresql+psycopg://…]

`salesrelay serve` and `salesrelay worker --metrics-port` run as their own processes on
loopback. Without --database-url a private PostgreSQL cluster is started in a temporary
folder (scripts/postgres-up.sh) and removed afterwards; with one, a fresh database is created
on that server and dropped afterwards. A share of the leads arrive with a `received_at` two
weeks back, so their first-touch clocks are overdue at once and the worker escalates them for
real (remind, breach, reassign, notify the manager); the e-mails go to an SMTP sink and the
CRM webhooks to an HTTP receiver, both in this process. The load is open-loop (each request
leaves on schedule), so a slow server shows as latency. Printed: per-minute p50/p99 and
errors, the worker's escalations and deliveries (from its /metrics), and the resident memory
(RSS) of the server and the worker after minute 1 and at the end — the growth is what a leak
would show.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import numpy as np
import orjson
from aiosmtpd.controller import Controller
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from salesrelay.demo import fake_leads

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from bench_intake_http import free_port  # noqa: E402

TEAM_SIZE = 30


# -- the outside world on loopback ---------------------------------------------------------


class SmtpSink:
    def __init__(self) -> None:
        self.received = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received += 1
        return "250 OK"


class _Hook(BaseHTTPRequestHandler):
    received = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with _Hook.lock:
            _Hook.received += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


# -- PostgreSQL ------------------------------------------------------------------------------


class Postgres:
    """A fresh database: on a private cluster started here, or on the server given."""

    def __init__(self, url: str | None, folder: Path):
        self.cluster: Path | None = None
        if url is None:
            self.cluster = folder / "pg"
            self.cluster.mkdir()
            if os.getuid() == 0:
                shutil.chown(self.cluster, "postgres")
            self.port = free_port()
            env = {**os.environ, "PGTEST_DIR": str(self.cluster), "PGTEST_PORT": str(self.port)}
            url = subprocess.run(
                ["bash", str(ROOT / "scripts" / "postgres-up.sh")],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
        self.admin = create_engine(
            make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        self.name = f"salesrelay_soak_{os.getpid()}"
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}"'))
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = make_url(url).set(database=self.name).render_as_string(hide_password=False)

    def close(self) -> None:
        try:
            with self.admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        finally:
            self.admin.dispose()
        if self.cluster is not None:
            bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
            stop = f"{bindir}/pg_ctl -D {self.cluster} -m fast -w stop"
            command = (
                ["su", "postgres", "-s", "/bin/bash", "-c", stop]
                if os.getuid() == 0
                else [
                    "bash",
                    "-c",
                    stop,
                ]
            )
            subprocess.run(command, check=False, capture_output=True)


# -- the processes -----------------------------------------------------------------------


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare(env: dict[str, str], folder: Path) -> str:
    run = [sys.executable, "-m", "salesrelay"]
    subprocess.run(
        [*run, "init", "--template", "four-role"], env=env, check=True, capture_output=True
    )
    team = folder / "team.csv"
    lines = ["name,email,role,capacity,weight,territories,timezone,hours,manager_email"]
    lines.append("Mia Manager,mia@bench.example,closing,1000000,1,,UTC,24/7,")
    for number in range(TEAM_SIZE):
        role = ("inbound_qualification", "outbound_prospecting", "closing")[number % 3]
        tags = "enterprise" if number % 4 == 0 else ""
        lines.append(
            f"Rep {number},rep{number}@bench.example,{role},1000000,1,{tags},UTC,24/7,"
            "mia@bench.example"
        )
    team.write_text("\n".join(lines) + "\n")
    subprocess.run([*run, "team", "import", str(team)], env=env, check=True, capture_output=True)
    return subprocess.run(
        [*run, "keys", "create", "--scope", "intake"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def wait_ready(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    families = text_string_to_metric_families(httpx.get(url, timeout=10).text)
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families
        for sample in family.samples
    }


def total(scraped: dict, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, lbls), v in scraped.items() if n == name and wanted <= set(lbls))


# -- the load ----------------------------------------------------------------------------


def overdue_received_at() -> str:
    """A Monday 10:00 in New York two weeks back: every step of a first-touch clock is due."""
    day = (datetime.now(UTC) - timedelta(days=14)).date()
    day -= timedelta(days=day.weekday())
    return datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC).isoformat()


def make_leads(minutes: int, rate: float, breach_share: float) -> list[list[dict]]:
    """Each minute's leads, made before the clock starts so making them never delays a send."""
    overdue = overdue_received_at()
    every = round(1 / breach_share) if breach_share > 0 else 0
    per_minute = int(rate * 60)
    batches = []
    for minute in range(minutes):
        leads = list(fake_leads(per_minute, seed=1000 + minute, companies=per_minute * 3))
        for number, lead in enumerate(leads):
            lead["email"] = f"m{minute}.{lead['email']}"  # distinct across minutes
            if every and number % every == 0:
                lead["received_at"] = overdue
        batches.append(leads)
    return batches


class Connections:
    """A bare HTTP/1.1 client over keep-alive connections, one per request in flight.

    httpx's pool walks its whole queue of waiting requests on every change, so once a few
    thousand requests are waiting the load generator itself becomes the bottleneck and the
    figures measure the client. This one opens another connection whenever none is idle.
    """

    def __init__(self, port: int):
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        reused = bool(self.idle)
        connection = self.idle.pop() if reused else await self._open()
        try:
            status = await self._exchange(connection, path, body, headers)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            connection[1].close()
            if not reused:
                raise
            # the server closed an idle keep-alive connection: once more on a new one
            connection = await self._open()
            status = await self._exchange(connection, path, body, headers)
        self.idle.append(connection)
        return status

    async def _open(self):
        return await asyncio.open_connection("127.0.0.1", self.port)

    @staticmethod
    async def _exchange(connection, path: str, body: bytes, headers: dict[str, str]) -> int:
        reader, writer = connection
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            + "\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()
        status = int((await reader.readline()).split()[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
        return status

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


async def soak(args, port: int, key: str, pids: dict[str, int], batches) -> list[dict]:
    """Send every lead on one schedule across all minutes (a slow minute does not delay the
    next one); each latency counts in the minute its request left."""
    latencies: list[list[float]] = [[] for _ in batches]
    errors = [0] * len(batches)
    rss: list[dict[str, float]] = []
    headers = {"Authorization": f"Bearer {key}"}
    client = Connections(port)
    try:

        async def send(minute: int, lead: dict, scheduled: float) -> None:
            # Latency counts from when the request was due to leave, so a client that fell
            # behind cannot hide a slow server.
            try:
                status = await asyncio.wait_for(
                    client.post("/api/v1/leads", orjson.dumps(lead), headers), timeout=60
                )
                if status >= 300:
                    errors[minute] += 1
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError, TimeoutError):
                errors[minute] += 1
            latencies[minute].append((time.perf_counter() - scheduled) * 1000)

        async def sample_memory() -> None:
            for minute in range(1, len(batches) + 1):
                await asyncio.sleep(max(0.0, begin + 60 * minute - time.perf_counter()))
                rss.append({name: rss_mib(pid) for name, pid in pids.items()})
                done = sum(len(part) for part in latencies)
                print(
                    f"  {minute} min: {done} answered, {sum(errors)} errors so far; RSS "
                    + ", ".join(f"{name} {mib:.1f} MiB" for name, mib in rss[-1].items()),
                    flush=True,
                )

        begin = time.perf_counter()
        sampler = asyncio.create_task(sample_memory())
        tasks = []
        for minute, leads in enumerate(batches):
            for number, lead in enumerate(leads):
                scheduled = begin + minute * 60 + number / args.rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(send(minute, lead, scheduled)))
        await sampler
        await asyncio.gather(*tasks)
    finally:
        client.close()
    rows = []
    for minute, part in enumerate(latencies):
        values = np.array(part)
        p50, p99 = np.percentile(values, [50, 99])
        rows.append(
            {
                "minute": minute + 1,
                "requests": len(values),
                "errors": errors[minute],
                "p50": float(p50),
                "p99": float(p99),
                "max": float(values.max()),
                **{f"rss_{name}": mib for name, mib in rss[minute].items()},
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--rate", type=float, default=100, help="intake requests per second")
    parser.add_argument(
        "--breach-share", type=float, default=0.1, help="share of leads overdue on arrival"
    )
    parser.add_argument("--database-url", help="a PostgreSQL server to use (a database is made)")
    args = parser.parse_args()
    if args.minutes < 1:
        parser.error("--minutes must be at least 1")

    batches = make_leads(args.minutes, args.rate, args.breach_share)
    folder = Path(tempfile.mkdtemp(prefix="salesrelay-soak-"))
    folder.chmod(0o755)  # the private cluster's server runs as the postgres user
    processes: list[subprocess.Popen] = []
    smtp = hook = database = None
    try:
        database = Postgres(args.database_url, folder)
        sink = SmtpSink()
        smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
        smtp.start()
        hook = ThreadingHTTPServer(("127.0.0.1", free_port()), _Hook)
        threading.Thread(target=hook.serve_forever, daemon=True).start()
        env = {
            **os.environ,
            "SALESRELAY_DATABASE_URL": database.url,
            "SALESRELAY_ENVIRONMENT": "test",
            "SALESRELAY_SMTP_HOST": "127.0.0.1",
            "SALESRELAY_SMTP_PORT": str(smtp.port),
            "SALESRELAY_WEBHOOK_URL": f"http://127.0.0.1:{hook.server_port}/crm",
            "SALESRELAY_WEBHOOK_SECRET": "soak-bench-secret",
        }
        key = prepare(env, folder)
        port, metrics_port = free_port(), free_port()
        run = [sys.executable, "-m", "salesrelay"]
        logs = {name: open(folder / f"{name}.log", "w") for name in ("server", "worker")}  # noqa: SIM115
        server = subprocess.Popen(
            [*run, "serve", "--port", str(port)],
            env=env,
            stdout=logs["server"],
            stderr=subprocess.STDOUT,
        )
        processes.append(server)
        worker = subprocess.Popen(
            [*run, "worker", "--metrics-port", str(metrics_port)],
            env=env,
            stdout=logs["worker"],
            stderr=subprocess.STDOUT,
        )
        processes.append(worker)
        wait_ready(f"http://127.0.0.1:{port}/readyz", server)
        wait_ready(f"http://127.0.0.1:{metrics_port}/metrics", worker)
        print(
            f"soak: {args.minutes} min at {args.rate:g} requests/s on PostgreSQL, "
            f"{args.breach_share:.0%} of leads overdue on arrival",
            flush=True,
        )
        pids = {"server": server.pid, "worker": worker.pid}
        rows = asyncio.run(soak(args, port, key, pids, batches))
        time.sleep(3)  # let the worker finish the last escalations
        api = scrape(f"http://127.0.0.1:{port}/metrics")
        work = scrape(f"http://127.0.0.1:{metrics_port}/metrics")
        for process in processes:
            if process.poll() is not None:
                raise SystemExit(f"{process.args[3]} exited during the soak")
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if smtp is not None:
            smtp.stop()
        if hook is not None:
            hook.shutdown()
        if database is not None:
            database.close()
        worker_log = (folder / "worker.log").read_text() if (folder / "worker.log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
    report(rows, api, work, sink.received, _Hook.received, worker_log)


def report(rows, api, work, emails: int, hooks: int, worker_log: str) -> None:
    requests = sum(r["requests"] for r in rows)
    errors = sum(r["errors"] for r in rows)
    p99s = [r["p99"] for r in rows]
    print()
    for r in rows:
        print(
            f"minute {r['minute']:>2}: {r['requests']} requests, {r['errors']} errors, "
            f"p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, max {r['max']:.0f} ms; RSS server "
            f"{r['rss_server']:.1f} MiB, worker {r['rss_worker']:.1f} MiB"
        )
    print(f"total: {requests} requests, {errors} errors")
    print(
        f"p99 by minute: min {min(p99s):.1f} ms, median {np.median(p99s):.1f} ms, "
        f"max {max(p99s):.1f} ms"
    )
    for name in ("server", "worker"):
        first, last = rows[0][f"rss_{name}"], rows[-1][f"rss_{name}"]
        print(
            f"RSS {name}: {first:.1f} MiB after minute 1, {last:.1f} MiB at the end "
            f"({(last - first) / first:+.1%})"
        )
    outcomes = {
        o: int(total(api, "salesrelay_intake_requests_total", outcome=o))
        for o in ("created", "joined", "replayed", "rejected")
    }
    print(f"intake by outcome (server /metrics): {outcomes}")
    steps = {
        a: int(total(work, "salesrelay_sla_steps_total", action=a))
        for a in ("remind_owner", "breach", "reassign", "notify_manager")
    }
    print(f"escalation steps (worker /metrics): {steps}")
    sent = int(total(work, "salesrelay_outbox_deliveries_total", result="sent"))
    failed = int(total(work, "salesrelay_outbox_deliveries_total", result="retrying")) + int(
        total(work, "salesrelay_outbox_deliveries_total", result="dead")
    )
    print(
        f"outbox: {sent} sent, {failed} failed attempts; received {emails} e-mails and "
        f"{hooks} webhooks; still pending {int(total(work, 'salesrelay_outbox_pending'))}"
    )
    print(
        f"at the end: {int(total(work, 'salesrelay_sla_open_clocks'))} open clocks, oldest due "
        f"step waiting {total(work, 'salesrelay_sla_oldest_due_seconds'):.1f} s"
    )
    server_cpu = total(api, "process_cpu_seconds_total")
    worker_cpu = total(work, "process_cpu_seconds_total")
    print(
        f"CPU: server {server_cpu:.0f} s ({server_cpu / max(requests, 1) * 1000:.1f} ms a "
        f"request), worker {worker_cpu:.0f} s"
    )
    tracebacks = worker_log.count("Traceback")
    print(f"worker log: {tracebacks} tracebacks")


if __name__ == "__main__":
    main()
