"""`salesrelay import leads` killed with SIGKILL again and again, then run to the end.

A 200,000-row file on SQLite (5,000 rows on PostgreSQL, where an import is several times
slower and twenty restarts of a large file would not fit the suite's time), with repeated
people and bad rows, is imported by a real process that is killed at 20 seeded points and
started again each time; a last run goes to the end. The database must then hold each of
the file's people exactly once, as one contact, one account and one journey, routed once
and clocked once, with every repeat recorded once and the rotation between equal reps
still even.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from factories import add_rep, install_template
from faults.leadfile import write_lead_file
from salesrelay.events.models import Event
from salesrelay.intake.models import Account, Contact, IntakeReceipt
from salesrelay.journeys.models import Journey
from salesrelay.routing.models import RoutingRecord
from salesrelay.sla.models import SlaClock

KILLS = 20
ROWS = {"sqlite": 200_000, "postgresql": 5_000}


def count(factory, column, *where) -> int:
    with factory() as session:
        return session.scalar(select(func.count(column)).where(*where))


def contacts(factory) -> int:
    return count(factory, Contact.id)


def at_most_once(factory, column, *where) -> int:
    """How many values of `column` occur more than once among the rows matching `where`."""
    with factory() as session:
        repeated = select(column).where(*where).group_by(column).having(func.count() > 1).subquery()
        return session.scalar(select(func.count()).select_from(repeated))


@pytest.mark.slow
def test_an_import_killed_20_times_ends_with_each_lead_once(database_url, factory, tmp_path):
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    install_template(factory)
    reps = [add_rep(factory, capacity=1_000_000) for _ in range(4)]
    source = tmp_path / "leads.csv"
    expected = write_lead_file(source, ROWS[backend], seed=2026)
    env = {**os.environ, "SALESRELAY_DATABASE_URL": database_url}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    command = [sys.executable, "-m", "salesrelay", "import", "leads", str(source), "--json"]
    if backend == "postgresql":
        command += ["--batch-size", "250"]  # more commits, so the kill points fall among them
    rng = random.Random(20)
    # Each run is killed once the database holds at least its point's number of people, a
    # moment later, so the kill lands inside a batch; a point already passed kills the run
    # while it is skipping what earlier runs committed.
    points = sorted(rng.sample(range(1, expected.people * 8 // 10), KILLS))
    killed_with = []
    for point in points:
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            deadline = time.monotonic() + 120
            while (
                contacts(factory) < point and process.poll() is None and time.monotonic() < deadline
            ):
                time.sleep(0.05)
            time.sleep(rng.uniform(0, 0.3))
            assert process.poll() is None, (
                f"the import ended before its kill point {point}: "
                + process.stderr.read().decode()[-2000:]
            )
            process.send_signal(signal.SIGKILL)
        finally:
            process.kill()
            process.wait()
        killed_with.append(contacts(factory))
    assert killed_with[-1] < expected.people, "the kills came too late to interrupt anything"

    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr[-2000:]
    summary = json.loads(final.stdout)
    assert summary["rows"] == expected.rows
    assert summary["rejected"] == expected.bad_rows

    people = expected.people
    assert contacts(factory) == people
    assert count(factory, Account.id) == people
    assert count(factory, Journey.id) == people
    assert count(factory, IntakeReceipt.key) == expected.distinct_good_rows
    assert count(factory, RoutingRecord.id) == people
    assert at_most_once(factory, RoutingRecord.journey_id) == 0
    assert at_most_once(factory, Contact.email_key) == 0
    assert at_most_once(factory, Journey.account_id) == 0
    for kind in ("lead.received", "journey.routed"):
        assert count(factory, Event.id, Event.kind == kind) == people
        assert at_most_once(factory, Event.journey_id, Event.kind == kind) == 0
    assert (
        count(factory, Event.id, Event.kind == "lead.repeated")
        == expected.distinct_good_rows - people
    )
    assert count(factory, SlaClock.id) == people
    assert at_most_once(factory, SlaClock.journey_id) == 0
    assert count(factory, Journey.id, Journey.first_touch_due_at.is_(None)) == 0
    with factory() as session:
        owners = Counter(session.scalars(select(Journey.owner_rep_id)))
    assert set(owners) == set(reps)
    assert max(owners.values()) - min(owners.values()) <= 1, owners
