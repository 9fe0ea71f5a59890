"""The database goes away for 30 s under load, then comes back.

A PostgreSQL cluster of this test's own (never the shared test server) is stopped while a
real `salesrelay serve` takes leads from eight clients and a real `salesrelay worker` runs
beside it, and started again 30 s later. The API must answer 503 with Retry-After during
the outage (never 500, never hang), serve again without a restart, and keep every lead it
accepted; the worker must back off, survive, and escalate again once the database is back.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from factories import add_rep, api_key
from faults.cluster import PrivateCluster, postgres_bin
from outbox.servers import SmtpServer, free_port
from salesrelay import migrate
from salesrelay.db import make_engine, make_sessionmaker, transaction, utcnow
from salesrelay.events.models import Event
from salesrelay.journeys.models import Journey
from salesrelay.playbook import service as playbook_service
from salesrelay.playbook import template_text

OUTAGE_SECONDS = 30
CLIENTS = 8


@pytest.fixture
def cluster():
    if postgres_bin() is None:
        pytest.skip("PostgreSQL server binaries are not installed")
    cluster = PrivateCluster()
    try:
        cluster.start()
        cluster.create_database()
        yield cluster
    finally:
        cluster.destroy()


@dataclass
class Answer:
    key: str
    phase: str
    status: int | None  # None: no answer within the client's timeout, or connection failed
    retry_after: str | None = None
    journey_id: int | None = None
    error: str | None = None


class Load:
    """Clients posting distinct leads, each with its own Idempotency-Key, until stopped."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {key}"}
        self.phase = "before"
        self.answers: list[Answer] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.numbers = itertools.count()
        self.threads = [threading.Thread(target=self._client, daemon=True) for _ in range(CLIENTS)]

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def _client(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=20) as client:
            while not self.stop.is_set():
                number = next(self.numbers)
                answer = post(client, self.headers, number, self.phase)
                with self.lock:
                    self.answers.append(answer)
                if answer.status != 201:
                    time.sleep(0.2)  # a polite client waits a little before the next lead

    def of(self, phase: str) -> list[Answer]:
        with self.lock:
            return [a for a in self.answers if a.phase == phase]


def lead(number: int) -> dict:
    return {"email": f"lead{number}@outage{number}.example", "first_name": f"Lead{number}"}


def post(client: httpx.Client, headers: dict, number: int, phase: str) -> Answer:
    key = f"outage-{number}"
    try:
        response = client.post(
            "/api/v1/leads", json=lead(number), headers={**headers, "Idempotency-Key": key}
        )
    except httpx.HTTPError as error:
        return Answer(key, phase, None, error=f"{type(error).__name__}: {error}")
    body = response.json() if response.headers.get("content-type") == "application/json" else {}
    return Answer(
        key,
        phase,
        response.status_code,
        response.headers.get("retry-after"),
        body.get("journey_id"),
        None if response.is_success else str(body.get("detail", response.text[:200])),
    )


def wait_for(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"gave up waiting for {what} after {seconds:g} s")


def serving(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def escalated(factory, journey_id: int) -> bool:
    with transaction(factory) as session:
        return (
            session.scalar(
                select(Event.id).where(Event.journey_id == journey_id, Event.kind == "sla.breached")
            )
            is not None
        )


@pytest.mark.slow
def test_a_30_second_database_outage_under_load_loses_nothing_accepted(cluster, tmp_path):
    migrate.upgrade(cluster.url)
    engine = make_engine(cluster.url)
    factory = make_sessionmaker(engine)
    # Open around the clock, so a lead received an hour ago has its whole ladder due now.
    text = template_text("four-role").replace("hours: mon-fri 09:00-17:00", "hours: 24/7")
    with transaction(factory) as session:
        playbook_service.install(
            session=session, text=text.replace("holidays: US", "holidays: null"), created_by="t"
        )
    for _ in range(4):
        add_rep(factory, capacity=1_000_000)
    key = api_key(factory, "intake")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    children: list[subprocess.Popen] = []
    with SmtpServer() as smtp:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(sys.path),
            "SALESRELAY_DATABASE_URL": cluster.url,
            "SALESRELAY_ENVIRONMENT": "test",
            "SALESRELAY_SMTP_PORT": str(smtp.port),
            "SALESRELAY_WORKER_TICK_SECONDS": "0.5",
        }
        try:
            for name, command in (
                ("serve", ["serve", "--host", "127.0.0.1", "--port", str(port)]),
                ("worker", ["worker"]),
            ):
                children.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "salesrelay", *command],
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=open(tmp_path / f"{name}.log", "wb"),  # noqa: SIM115
                    )
                )
            server, worker = children
            wait_for(lambda: serving(base_url), 30, "the server to start")

            with Load(base_url, key) as load:
                wait_for(lambda: len(load.of("before")) >= 50, 30, "load before the outage")
                load.phase = "outage"
                cluster.stop("fast")
                stopped = time.monotonic()
                during = []
                while time.monotonic() - stopped < OUTAGE_SECONDS:
                    with httpx.Client(base_url=base_url, timeout=10) as probe:
                        during.append(probe.get("/readyz").status_code)
                    time.sleep(1)
                assert server.poll() is None and worker.poll() is None
                cluster.start()
                load.phase = "after"
                wait_for(
                    lambda: sum(a.status == 201 for a in load.of("after")) >= 50,
                    60,
                    "the API to accept leads again without a restart",
                )
            with httpx.Client(base_url=base_url, timeout=10) as client:
                ready_after = client.get("/readyz").status_code
                # The worker is back too: a lead received an hour ago breaches and escalates.
                late = client.post(
                    "/api/v1/leads",
                    json={
                        "email": "late@late.example",
                        "received_at": (utcnow() - timedelta(hours=1)).isoformat(),
                    },
                    headers=load.headers,
                )
                assert late.status_code == 201, late.text
                late_journey = late.json()["journey_id"]
                wait_for(lambda: escalated(factory, late_journey), 60, "the worker to escalate")
                # Every lead refused during the outage goes in when its client retries.
                refused = [a for a in load.answers if not 200 <= (a.status or 0) < 300]
                retried = [
                    post(client, load.headers, int(a.key.removeprefix("outage-")), "retry")
                    for a in refused
                ]
            assert server.poll() is None and worker.poll() is None
        finally:
            for child in children:
                child.terminate()
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()

    answers = load.answers
    statuses = {phase: Counter(a.status for a in load.of(phase)) for phase in ("before", "outage")}
    print(f"statuses: {statuses}, after: {Counter(a.status for a in load.of('after'))}")
    unanswered = [a for a in answers if a.status is None]
    assert not unanswered, unanswered[:5]
    assert not [a for a in answers if a.status >= 500 and a.status != 503], [
        (a.status, a.error) for a in answers if a.status >= 500
    ][:5]
    assert {a.status for a in answers} <= {201, 503}, Counter(a.status for a in answers)
    unavailable = [a for a in answers if a.status == 503]
    assert len([a for a in load.of("outage") if a.status == 503]) >= CLIENTS
    assert all(a.retry_after and int(a.retry_after) > 0 for a in unavailable)
    assert 503 in during and ready_after == 200

    accepted = {a.journey_id for a in answers if a.status == 201}
    assert all(a.status in (200, 201) for a in retried), Counter(a.status for a in retried)
    with transaction(factory) as session:
        stored = set(session.scalars(select(Journey.id)))
    assert accepted <= stored, f"{len(accepted - stored)} accepted journeys were lost"
    assert len(stored) == len({a.key for a in answers}) + 1  # and each lead once, plus 'late'
    worker_log = (tmp_path / "worker.log").read_text()
    assert "retrying in" in worker_log and "database reachable again" in worker_log
    engine.dispose()
