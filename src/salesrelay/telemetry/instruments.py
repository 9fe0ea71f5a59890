"""The Prometheus instruments every process updates as it works.

Each is created unregistered: a process builds the registry it serves from them (see
`exposition.py`), so several apps in one process (the tests) never collide. Updating one
costs a lock and an addition; the intake path uses children bound to their labels up front.
"""

from __future__ import annotations

import threading
import time

from prometheus_client import Counter, Histogram

INTAKE_OUTCOMES = ("created", "joined", "replayed", "rejected")
SWEEP_ACTIONS = ("remind_owner", "reassign", "notify_manager", "breach")
DELIVERY_RESULTS = ("sent", "retrying", "dead")
CHANNELS = ("email", "slack", "webhook")

intake_requests = Counter(
    "salesrelay_intake_requests",
    "Leads posted to POST /api/v1/leads, by outcome: created a journey, joined an open one, "
    "replayed an Idempotency-Key, or rejected (invalid, unauthorized, no playbook, failed).",
    ["outcome"],
    registry=None,
)
intake_seconds = Histogram(
    "salesrelay_intake_seconds",
    "Time spent answering POST /api/v1/leads inside the application, whatever the outcome.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=None,
)
INTAKE_BY_OUTCOME = {outcome: intake_requests.labels(outcome) for outcome in INTAKE_OUTCOMES}

sla_steps = Counter(
    "salesrelay_sla_steps",
    "Escalation steps the SLA sweep applied (committed), by action; action 'breach' counts "
    "clocks that passed their deadline.",
    ["action"],
    registry=None,
)
sla_breaches = Counter(
    "salesrelay_sla_breaches",
    "SLA clocks that breached, by clock kind (first_touch, handoff_acceptance, …).",
    ["kind"],
    registry=None,
)
sweep_lag_seconds = Histogram(
    "salesrelay_sweep_lag_seconds",
    "Seconds between the moment an escalation step fell due and the sweep applying it.",
    buckets=(0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0),
    registry=None,
)
outbox_deliveries = Counter(
    "salesrelay_outbox_deliveries",
    "Delivery attempts by channel and result: sent, retrying (failed, will be tried again) "
    "or dead (failed for good).",
    ["channel", "result"],
    registry=None,
)

for _action in SWEEP_ACTIONS:
    sla_steps.labels(_action)
for _channel in CHANNELS:
    for _result in DELIVERY_RESULTS:
        outbox_deliveries.labels(_channel, _result)

INSTRUMENTS = (
    intake_requests,
    intake_seconds,
    sla_steps,
    sla_breaches,
    sweep_lag_seconds,
    outbox_deliveries,
)

# The worker loops of this process: loop name -> time.time() of its last completed tick.
_last_ticks: dict[str, float] = {}
_ticks_lock = threading.Lock()


def tick_done(loop: str) -> None:
    with _ticks_lock:
        _last_ticks[loop] = time.time()


def last_ticks() -> dict[str, float]:
    with _ticks_lock:
        return dict(_last_ticks)
