"""The worker: the SLA sweep and outbox delivery, each in a loop of short ticks.

The two loops run in their own threads so a slow webhook receiver never delays an
escalation. Each loop sleeps out the rest of its tick (default 1 s, which keeps escalation
lag under 2 s), goes again at once while there is a backlog, and backs off when the
database is unreachable instead of failing. Any number of workers may run against one
PostgreSQL database; on SQLite run one (`salesrelay serve` runs it in-process).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from salesrelay.config import Settings
from salesrelay.db import make_engine, make_sessionmaker, read_only
from salesrelay.notify.base import Notifier
from salesrelay.notify.email import SmtpNotifier
from salesrelay.notify.slack import SlackNotifier
from salesrelay.notify.webhook import WebhookNotifier
from salesrelay.outbox.delivery import DeliveryPolicy, DeliveryResult, deliver_due
from salesrelay.outbox.service import Channels
from salesrelay.playbook.service import NoPlaybookError
from salesrelay.sla.sweep import SweepResult, sweep_due
from salesrelay.telemetry import exposition, instruments

log = logging.getLogger("salesrelay.worker")

MAX_BACKOFF_SECONDS = 30.0
_UNAVAILABLE = (OperationalError, DBAPIError, PoolTimeoutError, NoPlaybookError)


def build_notifiers(settings: Settings) -> dict[str, Notifier]:
    notifiers: dict[str, Notifier] = {
        "email": SmtpNotifier(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.mail_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        ),
        "slack": SlackNotifier(timeout=settings.webhook_timeout_seconds),
    }
    if settings.webhook_secret:
        notifiers["webhook"] = WebhookNotifier(
            secret=settings.webhook_secret, timeout=settings.webhook_timeout_seconds
        )
    return notifiers


class Worker:
    """The sweep and the outbox over one database; `tick_*` do one round each."""

    def __init__(self, settings: Settings, *, notifiers: Mapping[str, Notifier] | None = None):
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        self.factory = make_sessionmaker(self.engine)
        self.probe = make_sessionmaker(read_only(self.engine))
        self.notifiers = dict(notifiers) if notifiers is not None else build_notifiers(settings)
        self.channels = Channels.from_settings(settings)
        self.policy = DeliveryPolicy.from_settings(settings)
        self.executor = ThreadPoolExecutor(
            max_workers=self.policy.concurrency, thread_name_prefix="salesrelay-send"
        )

    def tick_sweep(self) -> SweepResult:
        return sweep_due(
            factory=self.factory,
            probe=self.probe,
            channels=self.channels,
            batch_size=self.settings.sweep_batch_size,
        )

    def tick_outbox(self) -> DeliveryResult:
        total = DeliveryResult()
        for _ in range(100):  # a backlog drains in one tick, a bounded one
            result = deliver_due(
                factory=self.factory,
                probe=self.probe,
                notifiers=self.notifiers,
                policy=self.policy,
                executor=self.executor,
            )
            total.sent += result.sent
            total.retrying += result.retrying
            total.dead += result.dead
            if result.attempted < self.policy.batch_size:
                break
        return total

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.engine.dispose()


def _loop(name: str, work: Callable[[], Any], tick: float, stop: threading.Event) -> None:
    failures = 0
    while not stop.is_set():
        started = time.monotonic()
        try:
            work()
            instruments.tick_done(name)
            if failures:
                log.info("%s: database reachable again", name)
            failures = 0
            wait = tick - (time.monotonic() - started)
        except _UNAVAILABLE as error:
            failures += 1
            wait = min(MAX_BACKOFF_SECONDS, tick * 2**failures)
            log.warning("%s: %s; retrying in %.0f s", name, _short(error), wait)
        except Exception:
            failures += 1
            wait = min(MAX_BACKOFF_SECONDS, tick * 2**failures)
            log.exception("%s failed; retrying in %.0f s", name, wait)
        if wait > 0:
            stop.wait(wait)


def _short(error: Exception) -> str:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def run(
    settings: Settings,
    *,
    once: bool = False,
    stop_event: threading.Event | None = None,
    notifiers: Mapping[str, Notifier] | None = None,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
) -> dict[str, Any] | None:
    """Run until `stop_event` is set (or one round with `once`, returning what it did).
    With `metrics_port`, serve this process's Prometheus metrics on it meanwhile."""
    worker = Worker(settings, notifiers=notifiers)
    metrics = None
    try:
        if once:
            swept = worker.tick_sweep()
            delivered = worker.tick_outbox()
            return {"sweep": swept.counts(), "outbox": asdict(delivered)}
        if metrics_port is not None:
            metrics = exposition.serve(
                exposition.build_registry(worker.engine),
                host=metrics_host,
                port=metrics_port,
                token=settings.metrics_token,
            )
            log.info("metrics on http://%s:%s/metrics", metrics_host, metrics.server_port)
        stop = stop_event or threading.Event()
        tick = settings.worker_tick_seconds
        threads = [
            threading.Thread(
                target=_loop,
                args=("sweep", worker.tick_sweep, tick, stop),
                name="salesrelay-sweep",
                daemon=True,
            ),
            threading.Thread(
                target=_loop,
                args=("outbox", worker.tick_outbox, tick, stop),
                name="salesrelay-outbox",
                daemon=True,
            ),
        ]
        for thread in threads:
            thread.start()
        try:
            while any(thread.is_alive() for thread in threads):
                for thread in threads:
                    thread.join(timeout=0.5)
        except KeyboardInterrupt:
            stop.set()
            for thread in threads:
                thread.join()
        return None
    finally:
        if metrics is not None:
            metrics.shutdown()
            metrics.server_close()
        worker.close()


def start_in_background(settings: Settings) -> tuple[threading.Thread, threading.Event]:
    """The worker in a daemon thread of this process (what `serve` does on SQLite)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run,
        args=(settings,),
        kwargs={"stop_event": stop},
        name="salesrelay-worker",
        daemon=True,
    )
    thread.start()
    return thread, stop
