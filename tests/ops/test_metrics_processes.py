"""`salesrelay serve --workers 2`: whichever process a scrape reaches answers for both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from factories import api_key
from ops.support import lead, samples, value
from outbox.servers import free_port

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
ENV.pop("PROMETHEUS_MULTIPROC_DIR", None)


def test_two_server_processes_report_the_sum_of_their_intake(database_url, team, factory):
    if not database_url.startswith("postgresql"):
        pytest.skip("several server processes need PostgreSQL")
    key = {"Authorization": f"Bearer {api_key(factory, 'intake')}"}
    port = free_port()
    env = {**ENV, "SALESRELAY_DATABASE_URL": database_url, "SALESRELAY_ENVIRONMENT": "test"}
    server = subprocess.Popen(
        [sys.executable, "-m", "salesrelay", "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "serve did not start"
            time.sleep(0.2)
        for number in range(40):  # a new connection each: the kernel spreads them
            response = httpx.post(f"{base}/api/v1/leads", json=lead(number), headers=key)
            assert response.status_code == 201, response.text
        scrapes = [samples(httpx.get(f"{base}/metrics").text) for _ in range(8)]
    finally:
        server.send_signal(signal.SIGINT)
        _, errors = server.communicate(timeout=30)
    for scraped in scrapes:
        assert value(scraped, "salesrelay_intake_requests_total", outcome="created") == 40
        assert value(scraped, "salesrelay_intake_seconds_count") == 40
        assert value(scraped, "salesrelay_sla_open_clocks") == 40
    assert "Traceback" not in errors
