"""Four `salesrelay worker` processes on PostgreSQL, killed with SIGKILL again and again.

A thousand first-touch clocks are overdue by every step of their ladder (remind the owner,
breach, reassign, notify the manager). While four real workers sweep them and deliver the
messages to a real SMTP server and a real webhook receiver, a seeded loop kills the longest
running worker and starts another in its place, until six kills came while clocks were
still due (mid-sweep) and six while messages were still pending (mid-delivery). Afterwards
every step is recorded exactly once, and the receivers, deduplicating by idempotency key,
have seen every message.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from factories import add_rep, install_template
from outbox.servers import HttpReceiver, SmtpServer
from salesrelay.db import transaction, utcnow
from salesrelay.events.models import Event
from salesrelay.intake.models import Account
from salesrelay.journeys import service as journey_service
from salesrelay.journeys.models import Journey
from salesrelay.notify.webhook import KEY_HEADER
from salesrelay.outbox.models import OutboxMessage
from salesrelay.sla import service as sla_service
from salesrelay.sla.clocks import plan_clock
from salesrelay.sla.models import SlaClock

CLOCKS = 1000
KILLS_PER_PHASE = 6
WORKERS = 4
LADDER = ["breach", "notify_manager", "reassign", "remind_owner"]


def seed_overdue_first_touch_clocks(factory, count: int) -> list[int]:
    """`count` journeys in stage 'new', one per account, whose first-touch clocks started
    two weeks ago: every step of the ladder is due. Returns the inbound reps."""
    install_template(factory)
    add_rep(factory, name="Mia Manager", email="mia@seller.example", roles=["closing"], capacity=0)
    reps = [
        add_rep(factory, capacity=1_000_000, manager_email="mia@seller.example") for _ in range(6)
    ]
    day = (utcnow() - timedelta(days=14)).date()
    day -= timedelta(days=day.weekday())
    started = datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)  # a Monday morning
    with transaction(factory) as session:
        rules = journey_service.rules(session=session)
        plan = plan_clock(rules.playbook.sla["first_touch_inbound"], rules.calendar, started)
        assert [step.action for step in plan.steps] == [
            "remind_owner",
            "breach",
            "reassign",
            "notify_manager",
        ]
        assert plan.steps[-1].at < utcnow()
        session.execute(
            insert(Account),
            [
                {"id": n, "name": f"Company {n}", "name_key": f"company {n}", "is_customer": False}
                for n in range(1, count + 1)
            ],
        )
        session.execute(
            insert(Journey),
            [
                {
                    "id": n,
                    "account_id": n,
                    "kind": "new_business",
                    "stage": "new",
                    "status": "open",
                    "owner_rep_id": reps[n % len(reps)],
                    "playbook_version": 1,
                    "fields": {},
                    "created_at": started,
                    "updated_at": started,
                    "first_touch_due_at": plan.due_at,
                }
                for n in range(1, count + 1)
            ],
        )
        sla_service.start_many(
            session=session,
            rows=[
                sla_service.clock_row(
                    journey_id=n,
                    policy_id="first_touch_inbound",
                    kind="first_touch",
                    stage="new",
                    rep_id=reps[n % len(reps)],
                    plan=plan,
                )
                for n in range(1, count + 1)
            ],
        )
    return reps


def backlog(factory) -> tuple[int, int]:
    """(clocks with a step due, messages not yet sent)."""
    with factory() as session:
        due = session.scalar(
            select(func.count()).select_from(SlaClock).where(SlaClock.next_step_at <= utcnow())
        )
        pending = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
        )
    return due, pending


@pytest.mark.slow
def test_workers_killed_mid_sweep_and_mid_delivery_lose_and_repeat_nothing(
    database_url, factory, tmp_path
):
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers at once need PostgreSQL (SQLite serializes writers)")
    seed_overdue_first_touch_clocks(factory, CLOCKS)
    receiver = HttpReceiver().start()
    with SmtpServer() as smtp:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(sys.path),
            "SALESRELAY_DATABASE_URL": database_url,
            "SALESRELAY_SMTP_PORT": str(smtp.port),
            "SALESRELAY_WEBHOOK_URL": receiver.url,
            "SALESRELAY_WEBHOOK_SECRET": "test-webhook-secret",
            "SALESRELAY_WORKER_TICK_SECONDS": "0.2",
            "SALESRELAY_SWEEP_BATCH_SIZE": "25",  # many small commits to be killed between
            "SALESRELAY_OUTBOX_BATCH_SIZE": "20",
            "SALESRELAY_OUTBOX_LEASE_SECONDS": "3",  # a dead worker's claims come back soon
        }
        started = 0

        def start() -> subprocess.Popen:
            nonlocal started
            started += 1
            log = open(tmp_path / f"worker{started}.log", "wb")  # noqa: SIM115 - child's stderr
            return subprocess.Popen(
                [sys.executable, "-m", "salesrelay", "worker"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

        workers = [start() for _ in range(WORKERS)]
        kills: Counter[str] = Counter()
        rng = random.Random(4)
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                time.sleep(rng.uniform(0.5, 1.5))
                due, pending = backlog(factory)
                if not due and not pending:
                    break
                # The sweep and delivery run side by side; a kill can interrupt both.
                phases = [p for p, busy in (("mid-sweep", due), ("mid-delivery", pending)) if busy]
                if all(kills[phase] >= KILLS_PER_PHASE for phase in phases):
                    continue
                workers[0].send_signal(signal.SIGKILL)  # the one that has run longest
                workers[0].wait()
                kills.update(phases)
                kills["total"] += 1
                workers = [*workers[1:], start()]
            assert backlog(factory) == (0, 0), "the workers did not finish in 180 s"
        finally:
            for worker in workers:
                worker.kill()
                worker.wait()
            receiver.stop()
        emails = [mail["X-SalesRelay-Idempotency-Key"] for _, mail in smtp.messages]
    webhooks = [request.headers[KEY_HEADER] for request in receiver.bodies()]

    assert kills["mid-sweep"] >= 3 and kills["mid-delivery"] >= 3, kills
    steps: dict[int, list[str]] = defaultdict(list)
    with factory() as session:
        for data in session.scalars(select(Event.data).where(Event.kind.startswith("sla."))):
            steps[data["clock_id"]].append(data["action"])
        reassigned = session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == "journey.reassigned")
        )
        done = session.scalar(
            select(func.count())
            .select_from(SlaClock)
            .where(SlaClock.steps_done == len(LADDER), SlaClock.next_step_at.is_(None))
        )
        messages = {
            key: (channel, status)
            for key, channel, status in session.execute(
                select(OutboxMessage.idempotency_key, OutboxMessage.channel, OutboxMessage.status)
            )
        }
    assert len(steps) == CLOCKS and done == CLOCKS
    assert all(sorted(actions) == LADDER for actions in steps.values())
    assert reassigned == CLOCKS
    # remind, reassign and manager e-mails, and the reassignment webhook, for every clock
    assert Counter(channel for channel, _ in messages.values()) == {
        "email": 3 * CLOCKS,
        "webhook": CLOCKS,
    }
    assert {status for _, status in messages.values()} == {"sent"}
    lost = set(messages) - set(emails) - set(webhooks)
    assert not lost, f"{len(lost)} messages never reached their receiver"
    assert set(emails) | set(webhooks) == set(messages)
    print(
        f"kills {dict(kills)}, {len(emails) - len(set(emails))} e-mail and "
        f"{len(webhooks) - len(set(webhooks))} webhook repeats dropped by key, 0 lost"
    )
