"""Delivering the outbox: claim due messages, send them outside any transaction, record.

Sending happens between two short transactions — claim, then record — so a slow receiver
never holds a database lock (on SQLite it would stop every other writer). The price is
that a worker dying after a send and before the record sends that message again when its
lease runs out: delivery is at least once, and every message carries an idempotency key
so receivers drop the repeat.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from salesrelay.db import transaction, utcnow
from salesrelay.notify.base import DeliveryError, Notifier, Outgoing
from salesrelay.outbox import service as outbox_service
from salesrelay.telemetry import instruments

log = logging.getLogger("salesrelay.outbox")


@dataclass(frozen=True)
class DeliveryPolicy:
    batch_size: int = 50
    concurrency: int = 8
    max_attempts: int = 10
    backoff_seconds: float = 5.0
    backoff_max_seconds: float = 3600.0
    lease_seconds: float = 120.0

    @classmethod
    def from_settings(cls, settings) -> DeliveryPolicy:
        return cls(
            batch_size=settings.outbox_batch_size,
            concurrency=settings.outbox_concurrency,
            max_attempts=settings.outbox_max_attempts,
            backoff_seconds=settings.outbox_backoff_seconds,
            backoff_max_seconds=settings.outbox_backoff_max_seconds,
            lease_seconds=settings.outbox_lease_seconds,
        )


@dataclass
class DeliveryResult:
    sent: int = 0
    retrying: int = 0
    dead: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.dead


def _send(notifiers: Mapping[str, Notifier], message: Outgoing) -> tuple[str | None, bool]:
    notifier = notifiers.get(message.channel)
    if notifier is None:
        return f"no {message.channel} channel is configured on this worker", False
    try:
        notifier.send(message)
    except DeliveryError as error:
        return str(error), error.permanent
    except Exception as error:  # an adapter bug must cost one message an attempt, not the loop
        log.exception("unexpected error sending message %s", message.id)
        return f"{type(error).__name__}: {error}", False
    return None, False


def deliver_due(
    *,
    factory: sessionmaker[Session],
    notifiers: Mapping[str, Notifier],
    policy: DeliveryPolicy = DeliveryPolicy(),
    probe: sessionmaker[Session] | None = None,
    clock: Callable[[], datetime] = utcnow,
    rng: random.Random | None = None,
    executor: ThreadPoolExecutor | None = None,
) -> DeliveryResult:
    """One round: claim up to a batch of due messages, send them, record each outcome."""
    now = clock()
    with transaction(probe or factory) as session:
        if not outbox_service.any_due(session=session, now=now):
            return DeliveryResult()
    with transaction(factory) as session:
        claimed = outbox_service.claim_due(
            session=session, now=now, limit=policy.batch_size, lease_seconds=policy.lease_seconds
        )
        batch = [
            (
                Outgoing(
                    id=m.id,
                    channel=m.channel,
                    topic=m.topic,
                    recipient=m.recipient,
                    idempotency_key=m.idempotency_key,
                    subject=m.subject,
                    body=m.body,
                    cc=tuple(m.cc or ()),
                    reply_to=m.reply_to,
                    attachments=tuple(m.attachments or ()),
                ),
                m.attempts,
            )
            for m in claimed
        ]
    if not batch:
        return DeliveryResult()
    if executor is not None and len(batch) > 1:
        outcomes = list(executor.map(lambda item: _send(notifiers, item[0]), batch))
    else:
        outcomes = [_send(notifiers, message) for message, _ in batch]
    result = DeliveryResult()
    finished = clock()
    recorded: list[tuple[str, str]] = []
    with transaction(factory) as session:
        for (message, attempts), (error, permanent) in zip(batch, outcomes, strict=True):
            if error is None:
                outbox_service.record_sent(session=session, message_id=message.id, now=finished)
                result.sent += 1
                recorded.append((message.channel, "sent"))
                continue
            status = outbox_service.record_failure(
                session=session,
                message_id=message.id,
                attempts=attempts,
                error=error,
                now=finished,
                max_attempts=policy.max_attempts,
                permanent=permanent,
                retry_in=outbox_service.retry_delay(
                    attempts, base=policy.backoff_seconds, cap=policy.backoff_max_seconds, rng=rng
                ),
            )
            if status == "dead":
                result.dead += 1
                log.warning(
                    "message %s (%s to %s) is dead after %s attempt(s): %s",
                    message.id,
                    message.channel,
                    message.recipient,
                    attempts,
                    error,
                )
            else:
                result.retrying += 1
            recorded.append((message.channel, "dead" if status == "dead" else "retrying"))
    for channel, outcome in recorded:  # counted once the outcomes are committed
        instruments.outbox_deliveries.labels(channel, outcome).inc()
    return result
