"""/metrics on the API and on `salesrelay worker --metrics-port`, scraped and parsed the way
Prometheus does, after real intake, sweeps and deliveries."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import httpx
from sqlalchemy import func, select

from factories import api_key
from ops.support import app_client, lead, long_ago, moved, samples, value
from outbox.servers import SmtpServer, free_port
from salesrelay import worker
from salesrelay.config import Settings
from salesrelay.db import transaction
from salesrelay.events.models import Event
from salesrelay.outbox.models import OutboxMessage
from salesrelay.sla.models import SlaClock

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


def scrape(client, **headers) -> dict:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


def database_facts(factory) -> dict:
    """What the metrics should say, counted from the tables and the event log."""
    with transaction(factory) as session:
        steps = Counter(
            "breach" if kind == "sla.breached" else action
            for kind, action in session.execute(
                select(Event.kind, Event.data["action"].as_string()).where(
                    Event.kind.in_(["sla.breached", "sla.escalated"])
                )
            )
        )
        breached = Counter(
            session.scalars(
                select(Event.data["clock_kind"].as_string()).where(Event.kind == "sla.breached")
            )
        )
        outbox = Counter(session.execute(select(OutboxMessage.channel, OutboxMessage.status)).all())
        running = session.scalar(
            select(func.count()).select_from(SlaClock).where(SlaClock.status == "running")
        )
    return {"steps": steps, "breached": breached, "outbox": outbox, "running": running}


def test_intake_outcomes_and_database_gauges_after_real_requests(client, factory):
    key = {"Authorization": f"Bearer {api_key(factory, 'intake')}"}
    before = scrape(client)
    assert client.post("/api/v1/leads", json=lead(1), headers=key).status_code == 201
    assert client.post("/api/v1/leads", json=lead(1), headers=key).status_code == 200  # joins
    replayable = {**key, "Idempotency-Key": "form-42"}
    assert client.post("/api/v1/leads", json=lead(2), headers=replayable).status_code == 201
    assert client.post("/api/v1/leads", json=lead(2), headers=replayable).status_code == 200
    assert client.post("/api/v1/leads", json=lead(3, email="nope"), headers=key).status_code == 422
    assert client.post("/api/v1/leads", json=lead(4)).status_code == 401
    after = scrape(client)

    outcomes = {
        outcome: moved(before, after, "salesrelay_intake_requests_total", outcome=outcome)
        for outcome in ("created", "joined", "replayed", "rejected")
    }
    assert outcomes == {"created": 2, "joined": 1, "replayed": 1, "rejected": 2}
    assert moved(before, after, "salesrelay_intake_seconds_count") == 6
    assert moved(before, after, "salesrelay_intake_seconds_bucket", le="+Inf") == 6
    assert moved(before, after, "salesrelay_intake_seconds_sum") > 0

    facts = database_facts(factory)
    assert facts["running"] >= 2  # a first-touch clock per journey
    assert value(after, "salesrelay_database_up") == 1
    assert value(after, "salesrelay_sla_open_clocks") == facts["running"]
    for channel in ("email", "slack", "webhook"):
        assert (
            value(after, "salesrelay_outbox_pending", channel=channel)
            == facts["outbox"][(channel, "pending")]
        )
    assert value(after, "salesrelay_outbox_dead") == 0


def test_a_sweep_and_a_delivery_move_the_counters_by_what_they_committed(
    database_url, client, factory
):
    key = {"Authorization": f"Bearer {api_key(factory, 'intake')}"}
    for number in range(3):
        response = client.post(
            "/api/v1/leads", json=lead(number, received_at=long_ago()), headers=key
        )
        assert response.status_code == 201, response.text
    before = scrape(client)
    assert value(before, "salesrelay_sla_oldest_due_seconds") > 7 * 86400
    with SmtpServer() as smtp:
        settings = Settings(database_url=database_url, environment="test", smtp_port=smtp.port)
        # What `salesrelay serve` does on SQLite: the worker in the API's own process.
        done = worker.run(settings, once=True)
        after = scrape(client)
        delivered = len(smtp.messages)

    facts = database_facts(factory)
    assert done["sweep"]["breaches"] == 3
    assert facts["breached"] == {"first_touch": 3}
    for action in ("remind_owner", "breach", "reassign", "notify_manager"):
        assert (
            moved(before, after, "salesrelay_sla_steps_total", action=action)
            == facts["steps"][action]
        ), action
    assert moved(before, after, "salesrelay_sla_breaches_total", kind="first_touch") == 3
    steps = sum(facts["steps"].values())
    assert moved(before, after, "salesrelay_sweep_lag_seconds_count") == steps
    assert moved(before, after, "salesrelay_sweep_lag_seconds_bucket", le="3600.0") == 0
    sent = facts["outbox"][("email", "sent")]
    assert sent == delivered > 0
    assert (
        moved(before, after, "salesrelay_outbox_deliveries_total", channel="email", result="sent")
        == sent
    )
    assert (
        moved(
            before, after, "salesrelay_outbox_deliveries_total", channel="email", result="retrying"
        )
        == 0
    )
    assert value(after, "salesrelay_outbox_pending", channel="email") == 0


def test_a_failing_receiver_shows_as_retrying_deliveries(database_url, client, factory):
    key = {"Authorization": f"Bearer {api_key(factory, 'intake')}"}
    client.post("/api/v1/leads", json=lead(1, received_at=long_ago()), headers=key)
    before = scrape(client)
    closed_port = free_port()  # nothing listens: every e-mail fails and is retried later
    settings = Settings(database_url=database_url, environment="test", smtp_port=closed_port)
    worker.run(settings, once=True)
    after = scrape(client)
    pending = database_facts(factory)["outbox"][("email", "pending")]
    assert pending > 0
    assert (
        moved(
            before, after, "salesrelay_outbox_deliveries_total", channel="email", result="retrying"
        )
        == pending
    )
    assert (
        moved(before, after, "salesrelay_outbox_deliveries_total", channel="email", result="sent")
        == 0
    )
    assert value(after, "salesrelay_outbox_pending", channel="email") == pending


def test_a_metrics_token_is_required_when_one_is_set(database_url, team):
    with app_client(database_url, metrics_token="scrape-secret") as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 401
        assert wrong.headers["www-authenticate"] == "Bearer"
        right = scrape(client, Authorization="Bearer scrape-secret")
        assert value(right, "salesrelay_database_up") == 1
        assert client.get("/healthz").status_code == 200  # probes never need it


def _worker_metrics(port: int, token: str) -> dict:
    response = httpx.get(
        f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    return samples(response.text)


def test_the_worker_process_serves_its_own_metrics(database_url, client, factory):
    key = {"Authorization": f"Bearer {api_key(factory, 'intake')}"}
    for number in range(4):
        client.post("/api/v1/leads", json=lead(number, received_at=long_ago()), headers=key)
    port = free_port()
    with SmtpServer() as smtp:
        env = {
            **ENV,
            "SALESRELAY_DATABASE_URL": database_url,
            "SALESRELAY_ENVIRONMENT": "test",
            "SALESRELAY_SMTP_PORT": str(smtp.port),
            "SALESRELAY_WORKER_TICK_SECONDS": "0.2",
            "SALESRELAY_METRICS_TOKEN": "worker-secret",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "salesrelay", "worker", "--metrics-port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            scraped = _wait_until_idle(process, port)
            refused = httpx.get(f"http://127.0.0.1:{port}/metrics")
        finally:
            process.send_signal(signal.SIGINT)
            _, errors = process.communicate(timeout=30)
        delivered = len(smtp.messages)
    assert process.returncode == 0, errors
    assert refused.status_code == 401

    facts = database_facts(factory)
    # A fresh process: its counters hold exactly what it did.
    for action in ("remind_owner", "breach", "reassign", "notify_manager"):
        assert (
            value(scraped, "salesrelay_sla_steps_total", action=action) == facts["steps"][action]
        ), action
    assert value(scraped, "salesrelay_sla_breaches_total", kind="first_touch") == 4
    assert value(scraped, "salesrelay_sweep_lag_seconds_count") == sum(facts["steps"].values())
    assert (
        value(scraped, "salesrelay_outbox_deliveries_total", channel="email", result="sent")
        == (facts["outbox"][("email", "sent")])
    )
    assert facts["outbox"][("email", "sent")] == delivered > 0
    assert value(scraped, "salesrelay_intake_requests_total", outcome="created") == 0
    assert ("salesrelay_worker_last_tick_age_seconds", (("loop", "sweep"),)) in scraped
    assert ("salesrelay_worker_last_tick_age_seconds", (("loop", "outbox"),)) in scraped
    assert value(scraped, "salesrelay_sla_oldest_due_seconds") == 0


def _wait_until_idle(process: subprocess.Popen, port: int) -> dict:
    """Scrape until the worker has breached every clock and the outbox is empty."""
    deadline = time.monotonic() + 60
    scraped: dict = {}
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the worker exited: {process.stderr.read()}")
        try:
            scraped = _worker_metrics(port, "worker-secret")
        except httpx.TransportError:
            time.sleep(0.1)  # not listening yet
            continue
        if (
            value(scraped, "salesrelay_sla_breaches_total", kind="first_touch") == 4
            and value(scraped, "salesrelay_sla_oldest_due_seconds") == 0
            and value(scraped, "salesrelay_outbox_pending", channel="email") == 0
        ):
            return scraped
        time.sleep(0.2)
    raise AssertionError(f"the worker did not finish: {scraped}")
