"""The worker loop end to end: a clock comes due, the reminder is recorded and e-mailed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from factories import four_role_team
from handoffs.support import new_lead
from outbox.servers import SmtpServer, free_port
from salesrelay import worker
from salesrelay.config import Settings
from salesrelay.db import transaction, utcnow
from salesrelay.events.models import Event
from salesrelay.playbook import service as playbook_service
from salesrelay.playbook import template_text


def always_open_playbook(factory) -> None:
    text = template_text("four-role").replace("hours: mon-fri 09:00-17:00", "hours: 24/7")
    text = text.replace("holidays: US", "holidays: null")
    with transaction(factory) as session:
        playbook_service.install(session=session, text=text, created_by="test")


def test_the_worker_reminds_on_time_and_sends_the_mail(database_url, factory):
    always_open_playbook(factory)
    four_role_team(factory)
    # Received 239.5 s ago: the 80% reminder of the 5-minute first touch is due in 0.5 s.
    journey_id = new_lead(factory, utcnow() - timedelta(seconds=239.5))
    with SmtpServer() as smtp:
        settings = Settings(database_url=database_url, environment="test", smtp_port=smtp.port)
        thread, stop = worker.start_in_background(settings)
        try:
            deadline = time.monotonic() + 10
            found = None
            while time.monotonic() < deadline and not (found and smtp.messages):
                with transaction(factory) as session:
                    found = session.scalar(
                        select(Event).where(
                            Event.journey_id == journey_id, Event.kind == "sla.escalated"
                        )
                    )
                time.sleep(0.05)
        finally:
            stop.set()
            thread.join(timeout=10)
        assert found is not None and found.data["action"] == "remind_owner"
        ((_, mail),) = smtp.messages
        assert mail["Subject"] == "Due soon: First touch on inbound leads for Acme Inc"
    assert not thread.is_alive()


def _reminded(factory, journey_id) -> bool:
    with transaction(factory) as session:
        return (
            session.scalar(
                select(Event.id).where(
                    Event.journey_id == journey_id, Event.kind == "sla.escalated"
                )
            )
            is not None
        )


def test_serve_runs_the_worker_in_process_on_sqlite(database_url, factory):
    if not database_url.startswith("sqlite"):
        pytest.skip("serve runs the worker in-process only on SQLite")
    always_open_playbook(factory)
    four_role_team(factory)
    journey_id = new_lead(factory, utcnow() - timedelta(seconds=239.5))
    port = free_port()
    env = {
        **os.environ,
        "SALESRELAY_DATABASE_URL": database_url,
        "SALESRELAY_SMTP_PORT": "9",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from salesrelay.cli import main; main()",
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not _reminded(factory, journey_id):
            time.sleep(0.1)
        assert _reminded(factory, journey_id)
        while time.monotonic() < deadline:  # and it serves the API meanwhile
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"status": "ok"}
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        else:
            pytest.fail("serve did not answer")
    finally:
        server.terminate()
        server.wait(timeout=15)


def test_the_worker_waits_out_a_database_it_cannot_reach(tmp_path, caplog):
    missing = f"sqlite:///{tmp_path / 'no-such-dir' / 'salesrelay.db'}"
    settings = Settings(database_url=missing, environment="test", worker_tick_seconds=0.05)
    with caplog.at_level("WARNING", logger="salesrelay.worker"):
        thread, stop = worker.start_in_background(settings)
        time.sleep(0.5)
        assert thread.is_alive()  # still there, backing off
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    warnings = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert any(w.startswith("sweep: OperationalError") for w in warnings)
    assert any(w.startswith("outbox: OperationalError") for w in warnings)
    assert len(warnings) < 20  # it backs off instead of spinning every tick
