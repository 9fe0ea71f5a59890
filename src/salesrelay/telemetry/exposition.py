"""Serving the metrics: the registry a process scrapes, the bearer-token check, and the small
HTTP server `salesrelay worker --metrics-port` listens on.

Each process exposes its own counters. When PROMETHEUS_MULTIPROC_DIR is set (as
`salesrelay serve --workers N` does for its processes) the counters live in files in that
directory and every process answers with the sum over all of them.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import Engine

from salesrelay.telemetry import instruments
from salesrelay.telemetry.collectors import DatabaseCollector, WorkerTicks

log = logging.getLogger("salesrelay.telemetry")

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def build_registry(engine: Engine | None = None) -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROCESS_ENV):
        MultiProcessCollector(registry)
    else:
        for instrument in instruments.INSTRUMENTS:
            registry.register(instrument)
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            registry.register(collector)
    registry.register(WorkerTicks())
    if engine is not None:
        registry.register(DatabaseCollector(engine))
    return registry


def authorized(header: str | None, token: str | None) -> bool:
    """No token configured: open. Otherwise `Authorization: Bearer <token>`, compared in
    constant time."""
    if not token:
        return True
    return hmac.compare_digest((header or "").encode(), f"Bearer {token}".encode())


def render(registry: CollectorRegistry, accept: str | None) -> tuple[bytes, str]:
    """The exposition in the format the scraper asked for (Prometheus text by default)."""
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type


class _Handler(BaseHTTPRequestHandler):
    registry: CollectorRegistry
    token: str | None

    def do_GET(self) -> None:
        if self.path.split("?")[0] != "/metrics":
            self._answer(404, b"not found; metrics are at /metrics\n", "text/plain")
        elif not authorized(self.headers.get("Authorization"), self.token):
            self._answer(401, b"a bearer token is required\n", "text/plain")
        else:
            body, content_type = render(self.registry, self.headers.get("Accept"))
            self._answer(200, body, content_type)

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if status == 401:
            self.send_header("WWW-Authenticate", "Bearer")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        log.debug("metrics %s", format % args)


def serve(
    registry: CollectorRegistry, *, host: str, port: int, token: str | None
) -> ThreadingHTTPServer:
    """Serve /metrics on host:port from a daemon thread; `shutdown()` the result to stop."""
    handler = type("MetricsHandler", (_Handler,), {"registry": registry, "token": token})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="salesrelay-metrics", daemon=True).start()
    return server
