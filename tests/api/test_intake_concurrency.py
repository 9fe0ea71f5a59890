"""Intake under concurrent load, over real HTTP: one journey per person, fair rotation.

The same lead 100 times at once makes one journey; 10,000 distinct leads from 16 clients
are all routed, each rep of equal weight ending at most one lead ahead of another."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from factories import add_rep, api_key, install_template
from salesrelay.app import create_app
from salesrelay.config import Settings
from salesrelay.journeys.models import Journey
from salesrelay.routing.models import RoutingRecord


@pytest.fixture
def server(database_url, factory):
    """The real app under Uvicorn on a free loopback port, stopped after the test."""
    install_template(factory)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(Settings(database_url=database_url, environment="test"))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    runner = uvicorn.Server(config)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not runner.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    runner.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()


def post_all(base_url: str, key: str, bodies: list[dict], clients: int) -> list[httpx.Response]:
    headers = {"Authorization": f"Bearer {key}"}
    local = threading.local()

    def send(body: dict) -> httpx.Response:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=base_url, timeout=60)
        return local.client.post("/api/v1/leads", json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(send, bodies))


def test_the_same_lead_sent_100_times_at_once_makes_one_journey(server, factory):
    add_rep(factory, capacity=10_000)
    add_rep(factory, capacity=10_000)
    key = api_key(factory, "intake")
    body = {"email": "jo@acme.example", "first_name": "Jo", "company": "Acme"}
    responses = post_all(server, key, [body] * 100, clients=16)
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 200: 99}
    assert len({response.json()["journey_id"] for response in responses}) == 1
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Journey)) == 1


@pytest.mark.slow
def test_10000_distinct_leads_from_16_clients_are_all_routed_and_rotation_stays_fair(
    server, factory
):
    reps = [add_rep(factory, capacity=100_000) for _ in range(4)]
    key = api_key(factory, "intake")
    bodies = [
        {"email": f"lead{n}@company{n}.example", "company": f"Company{n} Ltd"}
        for n in range(10_000)
    ]
    responses = post_all(server, key, bodies, clients=16)
    assert Counter(response.status_code for response in responses) == {201: 10_000}
    journeys = {response.json()["journey_id"] for response in responses}
    assert len(journeys) == 10_000
    owners = Counter(response.json()["owner"]["id"] for response in responses)
    assert set(owners) == set(reps)
    assert max(owners.values()) - min(owners.values()) <= 1, owners
    with factory() as session:
        stored = Counter(session.scalars(select(Journey.owner_rep_id)))
        decisions = session.scalar(select(func.count()).select_from(RoutingRecord))
    assert stored == owners and decisions == 10_000
