"""The concurrency limit: requests beyond it wait their turn; health probes never wait."""

from __future__ import annotations

import asyncio

from salesrelay.api.limits import ConcurrencyLimit


def test_probes_pass_a_full_server_while_other_requests_wait():
    async def scenario():
        inside = asyncio.Event()
        release = asyncio.Event()
        finished: list[str] = []

        async def app(scope, receive, send):
            if scope["path"] == "/api/v1/slow":
                inside.set()
                await release.wait()
            finished.append(scope["path"])

        limited = ConcurrencyLimit(app, limit=1)

        async def call(path: str):
            await limited({"type": "http", "path": path}, None, None)

        slow = asyncio.create_task(call("/api/v1/slow"))
        await inside.wait()
        waiting = asyncio.create_task(call("/api/v1/leads"))
        for probe in ("/healthz", "/readyz", "/metrics"):
            await asyncio.wait_for(call(probe), timeout=5)
        await asyncio.sleep(0.05)
        assert finished == ["/healthz", "/readyz", "/metrics"]  # the lead still waits
        release.set()
        await asyncio.wait_for(asyncio.gather(slow, waiting), timeout=5)
        return finished

    finished = asyncio.run(scenario())
    assert finished[-2:] == ["/api/v1/slow", "/api/v1/leads"]
