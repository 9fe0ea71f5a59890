"""Real worker processes: killed mid-batch, and four at once on PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from factories import add_rep
from handoffs.support import FIXED_NOW, new_lead
from salesrelay.db import transaction, utcnow
from salesrelay.events.models import Event
from salesrelay.intake.models import Account
from salesrelay.journeys import service as journey_service
from salesrelay.journeys.models import Journey
from salesrelay.outbox.models import OutboxMessage
from salesrelay.sla import service as sla_service
from salesrelay.sla.clocks import plan_clock
from salesrelay.sla.models import SlaClock
from salesrelay.sla.sweep import sweep_due

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

DIES_MID_BATCH = textwrap.dedent("""
    import sys, time
    from datetime import datetime
    from salesrelay.db import make_engine, make_sessionmaker
    from salesrelay.sla.sweep import sweep_batch
    session = make_sessionmaker(make_engine(sys.argv[1]))()
    result = sweep_batch(session=session, now=datetime.fromisoformat(sys.argv[2]), limit=100)
    session.flush()
    print(result.steps, flush=True)
    time.sleep(120)  # killed here: every step applied, nothing committed
""")

SWEEPER = textwrap.dedent("""
    import json, sys, time
    from dataclasses import asdict
    from salesrelay.db import make_engine, make_sessionmaker, read_only
    from salesrelay.sla.sweep import sweep_due
    engine = make_engine(sys.argv[1])
    start = float(sys.argv[2])
    while time.time() < start:
        time.sleep(0.001)
    result = sweep_due(factory=make_sessionmaker(engine),
                       probe=make_sessionmaker(read_only(engine)), batch_size=250)
    print(json.dumps(asdict(result)), flush=True)
""")


def test_a_worker_killed_mid_batch_loses_and_repeats_nothing(database_url, factory, team):
    journey_id = new_lead(factory, FIXED_NOW)
    at = FIXED_NOW + timedelta(minutes=36)  # four steps due: remind, breach, reassign, manager
    child = subprocess.Popen(
        [sys.executable, "-c", DIES_MID_BATCH, database_url, at.isoformat()],
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert child.stdout.readline().strip() == "4"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    with transaction(factory) as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Event).where(Event.kind.startswith("sla."))
            )
            == 0
        )
        (clock,) = sla_service.for_journey(session=session, journey_id=journey_id)
        assert clock.steps_done == 0
    assert sweep_due(factory=factory, clock=lambda: at).steps == 4
    assert sweep_due(factory=factory, clock=lambda: at).steps == 0
    with transaction(factory) as session:
        kinds = Counter(session.scalars(select(Event.kind).where(Event.kind.startswith("sla."))))
        assert kinds == {"sla.escalated": 3, "sla.breached": 1}
        assert (
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.topic == "sla.remind_owner")
            )
            == 1
        )


def _monday_well_before(now: datetime) -> datetime:
    day = (now - timedelta(days=14)).date()
    day -= timedelta(days=day.weekday())
    return datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)  # 10:00 or 11:00 in New York


def test_four_worker_processes_apply_each_step_exactly_once(database_url, factory, team):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent workers need PostgreSQL (SQLite serializes writers)")
    count = 10_000
    reps = [
        add_rep(
            factory,
            name=f"AM {n}",
            email=f"am{n}@seller.example",
            roles=["account_management"],
            manager_email="mia@seller.example",
        )
        for n in range(8)
    ]
    with transaction(factory) as session:
        rules = journey_service.rules(session=session)
        policy = rules.playbook.sla["customer_request_response"]  # 50% remind, breach, manager
        plan = plan_clock(policy, rules.calendar, _monday_well_before(utcnow()))
        assert len(plan.steps) == 3 and plan.steps[-1].at < utcnow()
        account_id = session.scalar(
            insert(Account)
            .values(name="Bulk Co", name_key="bulk co", is_customer=True)
            .returning(Account.id)
        )
        session.execute(
            insert(Journey),
            [
                {
                    "id": n,
                    "account_id": account_id,
                    "kind": "request",
                    "stage": "customer",
                    "status": "open",
                    "owner_rep_id": reps[n % len(reps)],
                    "playbook_version": 1,
                    "fields": {},
                    "created_at": plan.started_at,
                    "updated_at": plan.started_at,
                }
                for n in range(1, count + 1)
            ],
        )
        sla_service.start_many(
            session=session,
            rows=[
                sla_service.clock_row(
                    journey_id=n,
                    policy_id="customer_request_response",
                    kind="response",
                    stage="customer",
                    rep_id=reps[n % len(reps)],
                    plan=plan,
                )
                for n in range(1, count + 1)
            ],
        )
    start = utcnow().timestamp() + 1.5  # all four begin together, once imported
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", SWEEPER, database_url, str(start)],
            stdout=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        for _ in range(4)
    ]
    results = [json.loads(worker.communicate(timeout=120)[0]) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    assert sum(r["clocks"] for r in results) == count
    assert sum(r["steps"] for r in results) == 3 * count
    assert sum(1 for r in results if r["clocks"]) >= 2  # they really shared the work

    per_clock: dict[int, list[str]] = defaultdict(list)
    with transaction(factory) as session:
        for data in session.scalars(select(Event.data).where(Event.kind.startswith("sla."))):
            per_clock[data["clock_id"]].append(data["action"])
        assert (
            session.scalar(
                select(func.count())
                .select_from(SlaClock)
                .where(SlaClock.steps_done == 3, SlaClock.next_step_at.is_(None))
            )
            == count
        )
        messages = Counter(session.scalars(select(OutboxMessage.topic)))
    assert len(per_clock) == count
    assert all(
        sorted(actions) == ["breach", "notify_manager", "remind_owner"]
        for actions in per_clock.values()
    )
    assert messages == {"sla.remind_owner": count, "sla.notify_manager": count}
