"""Bulk import: N generated leads matched, routed and clocked on SQLite, beside raw inserts.

Run: python bench/bench_import.py [--leads 1000000] [--dir DIR]

1. Generates a CSV of N leads (deterministic) and a team of 100 reps.
2. Times `salesrelay import leads` logic (the same function the command calls) into a fresh
   SQLite database: parse, check, match accounts, dedupe, route, start clocks, write events.
3. Baseline, in the same run: the very rows the import wrote (accounts, contacts, journeys,
   events, routing decisions, clocks, receipts) inserted into another fresh database with the
   same schema and indexes by plain sqlite3 `executemany`, in batches of the same size, one
   commit per batch. The ratio import / baseline is the overhead of SalesRelay's own work.
"""

from __future__ import annotations

import argparse
import csv
import sqlite3
import tempfile
import time
from pathlib import Path

from salesrelay import migrate
from salesrelay.db import make_engine, make_sessionmaker, transaction, utcnow
from salesrelay.demo import fake_leads
from salesrelay.intake.importers import import_leads
from salesrelay.playbook import service as playbook_service
from salesrelay.playbook import template_text
from salesrelay.team.models import Rep
from salesrelay.team.schemas import RepCreate

TABLES = (
    "accounts",
    "contacts",
    "journeys",
    "events",
    "routing_decisions",
    "sla_clocks",
    "intake_receipts",
)
BATCH = 2000


def write_leads(path: Path, count: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = None
        for lead in fake_leads(count, seed=2026, companies=count * 3):
            if writer is None:
                writer = csv.DictWriter(stream, fieldnames=list(lead))
                writer.writeheader()
            writer.writerow(lead)


def make_team(factory) -> None:
    roles = ["inbound_qualification"] * 50 + ["outbound_prospecting"] * 30 + ["closing"] * 20
    with transaction(factory) as session:
        playbook_service.install(
            session=session, text=template_text("four-role"), created_by="bench"
        )
        for number, role in enumerate(roles):
            session.add(
                Rep(
                    **RepCreate(
                        name=f"Rep {number}",
                        email=f"rep{number}@bench.example",
                        roles=[role],
                        capacity=1_000_000,
                        territories=["enterprise"] if number % 5 == 0 else [],
                        hours="24/7",
                    ).model_dump(exclude={"manager_email"})
                )
            )


def raw_insert(source: Path, target: Path) -> float:
    """Copy every imported row into `target` with executemany; return the seconds inserting."""
    read = sqlite3.connect(source)
    write = sqlite3.connect(target, isolation_level=None)
    write.execute("PRAGMA journal_mode=WAL")
    write.execute("PRAGMA synchronous=NORMAL")
    write.execute("PRAGMA cache_size=-65536")  # the same settings SalesRelay's engine uses
    write.execute("PRAGMA temp_store=MEMORY")
    tables = {table: read.execute(f"SELECT * FROM {table}").fetchall() for table in TABLES}
    columns = {
        table: len(read.execute(f"SELECT * FROM {table} LIMIT 1").description) for table in TABLES
    }
    leads = len(tables["contacts"])
    started = time.perf_counter()
    # Interleave the tables batch by batch, as the import does, committing each batch.
    for first in range(0, max(leads, 1), BATCH):
        write.execute("BEGIN IMMEDIATE")
        for table in TABLES:
            rows = tables[table]
            share = len(rows) / max(leads, 1)
            chunk = rows[int(first * share) : int((first + BATCH) * share)]
            if chunk:
                marks = ",".join("?" * columns[table])
                write.executemany(f"INSERT INTO {table} VALUES ({marks})", chunk)
        write.execute("COMMIT")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="salesrelay-bench-"))
    csv_path = folder / f"leads-{args.leads}.csv"
    if not csv_path.exists():
        print(f"generating {args.leads:,} leads …", flush=True)
        write_leads(csv_path, args.leads)

    imported, baseline = folder / "import.db", folder / "baseline.db"
    for path in (imported, baseline):
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        migrate.upgrade(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{imported}")
    factory = make_sessionmaker(engine)
    make_team(factory)

    started = time.perf_counter()
    summary = import_leads(factory=factory, path=csv_path, batch_size=BATCH, now=utcnow)
    import_seconds = time.perf_counter() - started
    engine.dispose()
    raw_seconds = raw_insert(imported, baseline)

    rows = sum(
        sqlite3.connect(imported).execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES
    )
    print(
        f"leads:            {summary.rows:,} ({summary.created:,} journeys, "
        f"{summary.joined:,} joined, "
        f"{summary.routed:,} routed, {summary.queued:,} queued, {summary.rejected:,} rejected)"
    )
    print(f"rows written:     {rows:,} in {len(TABLES)} tables")
    print(
        f"import:           {import_seconds:8.2f} s  ({summary.rows / import_seconds:,.0f} leads/s)"
    )
    print(f"raw executemany:  {raw_seconds:8.2f} s  (same rows, same schema and indexes)")
    print(
        f"ratio import/raw: {import_seconds / raw_seconds:8.2f}×"
        "  (target ≤ 4×; ≤ 60 s for 1,000,000)"
    )


if __name__ == "__main__":
    main()
