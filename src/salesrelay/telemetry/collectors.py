"""Gauges read at scrape time: what the database holds (open clocks, the outbox queue) and how
long ago this process's worker loops last completed a round.

Nothing on the request path keeps these up to date; each scrape asks the database with a few
aggregate queries that the sweep's and the outbox's partial indexes answer.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from prometheus_client.metrics_core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from salesrelay.db import read_only, utcnow
from salesrelay.outbox.models import OutboxMessage
from salesrelay.sla.models import SlaClock
from salesrelay.telemetry import instruments

log = logging.getLogger("salesrelay.telemetry")

_running = SlaClock.status == "running"
_pending = OutboxMessage.status == "pending"
_OPEN_CLOCKS = select(func.count()).select_from(SlaClock).where(_running)
_OLDEST_CLOCK_STEP = select(func.min(SlaClock.next_step_at)).where(_running)
_PENDING_BY_CHANNEL = (
    select(OutboxMessage.channel, func.count()).where(_pending).group_by(OutboxMessage.channel)
)
_OLDEST_MESSAGE = select(func.min(OutboxMessage.next_attempt_at)).where(_pending)
_DEAD = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "dead")


def _waiting(since: datetime | None, now: datetime) -> float:
    """Seconds the oldest due item has waited; 0 when nothing is due yet."""
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0


class DatabaseCollector(Collector):
    def __init__(self, engine: Engine):
        self.engine = read_only(engine)

    def collect(self):
        up = GaugeMetricFamily(
            "salesrelay_database_up",
            "1 when this scrape could read the database, 0 when it could not.",
        )
        now = utcnow()
        try:
            with self.engine.connect() as connection:
                open_clocks = connection.execute(_OPEN_CLOCKS).scalar() or 0
                oldest_step = connection.execute(_OLDEST_CLOCK_STEP).scalar()
                pending = dict(connection.execute(_PENDING_BY_CHANNEL).all())
                oldest_message = connection.execute(_OLDEST_MESSAGE).scalar()
                dead = connection.execute(_DEAD).scalar() or 0
        except SQLAlchemyError as error:
            log.warning("metrics: database not readable: %s", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            "salesrelay_sla_open_clocks",
            "SLA clocks running (not yet met, missed or cancelled).",
            value=open_clocks,
        )
        yield GaugeMetricFamily(
            "salesrelay_sla_oldest_due_seconds",
            "How long the most overdue escalation step has waited for a sweep (0: none due).",
            value=_waiting(oldest_step, now),
        )
        depth = GaugeMetricFamily(
            "salesrelay_outbox_pending",
            "Messages waiting to be sent or retried, by channel.",
            labels=["channel"],
        )
        for channel in sorted(set(instruments.CHANNELS) | set(pending)):
            depth.add_metric([channel], pending.get(channel, 0))
        yield depth
        yield GaugeMetricFamily(
            "salesrelay_outbox_oldest_due_seconds",
            "How long the oldest message due for (re)sending has waited (0: none due).",
            value=_waiting(oldest_message, now),
        )
        yield GaugeMetricFamily(
            "salesrelay_outbox_dead",
            "Messages given up on; `salesrelay outbox retry` sends one again.",
            value=dead,
        )


class WorkerTicks(Collector):
    """Seconds since each worker loop of this process last finished a round."""

    def collect(self):
        ticks = instruments.last_ticks()
        if not ticks:
            return
        age = GaugeMetricFamily(
            "salesrelay_worker_last_tick_age_seconds",
            "Seconds since this process's worker loop (sweep or outbox) last completed a round.",
            labels=["loop"],
        )
        now = time.time()
        for loop, at in sorted(ticks.items()):
            age.add_metric([loop], max(0.0, now - at))
        yield age
