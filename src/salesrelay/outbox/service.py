"""Writing messages to the outbox, claiming due ones, and recording what delivery did."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from salesrelay.errors import ConflictError, NotFoundError
from salesrelay.outbox.models import OutboxMessage

CHANNELS = ("email", "slack", "webhook")
STATUSES = ("pending", "sent", "dead")


@dataclass(frozen=True, slots=True)
class Channels:
    """Where notifications go besides e-mail: decided by settings, passed in by the caller."""

    slack_url: str | None = None
    webhook_url: str | None = None

    @classmethod
    def from_settings(cls, settings) -> Channels:
        return cls(slack_url=settings.slack_webhook_url, webhook_url=settings.webhook_url)


EMAIL_ONLY = Channels()


@dataclass(frozen=True, slots=True)
class Person:
    """Who a message is for: a rep or a customer contact."""

    name: str
    email: str | None
    first_name: str | None = None


def message_row(
    *,
    channel: str,
    topic: str,
    recipient: str,
    key: str,
    now: datetime,
    subject: str = "",
    body: str = "",
    cc: Sequence[str] = (),
    reply_to: str | None = None,
    attachments: Sequence[dict[str, Any]] = (),
    journey_id: int | None = None,
) -> dict[str, Any]:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    return {
        "channel": channel,
        "topic": topic,
        "journey_id": journey_id,
        "recipient": recipient,
        "cc": list(cc),
        "reply_to": reply_to,
        "subject": subject[:500],
        "body": body,
        "attachments": list(attachments),
        "idempotency_key": key[:200],
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def enqueue_many(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add messages in one statement. A key already used is skipped, so a step that is
    redone writes nothing twice."""
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(OutboxMessage).on_conflict_do_nothing(
        index_elements=["idempotency_key"]
    )
    session.execute(statement, list(rows))


def enqueue(*, session: Session, **fields: Any) -> None:
    """Add one message; see `message_row` for the fields."""
    enqueue_many(session=session, rows=[message_row(**fields)])


def rep_messages(
    *,
    channels: Channels,
    rep: Person,
    topic: str,
    subject: str,
    body: str,
    key: str,
    now: datetime,
    journey_id: int | None = None,
) -> list[dict[str, Any]]:
    """A message for someone on the team: e-mail, and Slack when it is configured."""
    rows = []
    if rep.email:
        rows.append(
            message_row(
                channel="email",
                topic=topic,
                recipient=rep.email,
                subject=subject,
                body=body,
                key=f"{key}:email",
                now=now,
                journey_id=journey_id,
            )
        )
    if channels.slack_url:
        rows.append(
            message_row(
                channel="slack",
                topic=topic,
                recipient=channels.slack_url,
                subject=subject,
                body=f"*{subject}* (for {rep.name})\n{body}",
                key=f"{key}:slack",
                now=now,
                journey_id=journey_id,
            )
        )
    return rows


def notify_rep(*, session: Session, **fields: Any) -> None:
    enqueue_many(session=session, rows=rep_messages(**fields))


def publish(
    *,
    session: Session,
    channels: Channels,
    topic: str,
    data: dict[str, Any],
    key: str,
    now: datetime,
    journey_id: int | None = None,
) -> None:
    """An outgoing webhook for CRM sync, when one is configured; the body is signed at sending."""
    if not channels.webhook_url:
        return
    key = f"{key}:webhook"
    payload = {"id": key, "topic": topic, "occurred_at": now.isoformat(), "data": data}
    enqueue(
        session=session,
        channel="webhook",
        topic=topic,
        recipient=channels.webhook_url,
        body=json.dumps(payload, default=str, sort_keys=True),
        key=key,
        now=now,
        journey_id=journey_id,
    )


# -- delivery bookkeeping --------------------------------------------------------------


def claim_due(
    *, session: Session, now: datetime, limit: int, lease_seconds: float
) -> list[OutboxMessage]:
    """Reserve up to `limit` due messages for this worker until the lease ends.

    On PostgreSQL the rows are locked with SKIP LOCKED, so concurrent workers take different
    messages; on SQLite the write transaction (BEGIN IMMEDIATE) serializes claims. Each
    claim counts as an attempt, so a message that crashes its worker still reaches `dead`.
    """
    messages = list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    lease_end = now + timedelta(seconds=lease_seconds)
    for message in messages:
        message.attempts += 1
        message.next_attempt_at = lease_end
    session.flush()
    return messages


def retry_delay(
    attempt: int, *, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Seconds before attempt `attempt + 1`: exponential, capped, with jitter (0.5 to 1 times).

    Jitter spreads the retries of many messages that failed together (a receiver that was
    down), so they do not all hit it again in the same second.
    """
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    return delay * (0.5 + 0.5 * (rng or random).random())


def record_sent(*, session: Session, message_id: int, now: datetime) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
        .values(status="sent", sent_at=now, next_attempt_at=None, last_error=None)
    )


def record_failure(
    *,
    session: Session,
    message_id: int,
    attempts: int,
    error: str,
    now: datetime,
    max_attempts: int,
    retry_in: float,
    permanent: bool = False,
) -> str:
    """Schedule the next attempt, or give up ('dead') after the last; returns the status."""
    dead = permanent or attempts >= max_attempts
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
        .values(
            status="dead" if dead else "pending",
            next_attempt_at=None if dead else now + timedelta(seconds=retry_in),
            last_error=error[:2000],
        )
    )
    return "dead" if dead else "pending"


# -- reading ---------------------------------------------------------------------------


def get(*, session: Session, message_id: int) -> OutboxMessage | None:
    return session.get(OutboxMessage, message_id)


def require(*, session: Session, message_id: int) -> OutboxMessage:
    message = get(session=session, message_id=message_id)
    if message is None:
        raise NotFoundError(f"no outbox message with id {message_id}")
    return message


def listing(
    *,
    session: Session,
    status: str | None = None,
    channel: str | None = None,
    journey_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[OutboxMessage], int]:
    query = select(OutboxMessage)
    if status:
        query = query.where(OutboxMessage.status == status)
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    if journey_id is not None:
        query = query.where(OutboxMessage.journey_id == journey_id)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(OutboxMessage.id.desc()).offset(offset).limit(limit))
    return list(rows), count


def for_journey(*, session: Session, journey_id: int) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.journey_id == journey_id)
            .order_by(OutboxMessage.id)
        )
    )


def retry(*, session: Session, message: OutboxMessage, now: datetime) -> OutboxMessage:
    """Give a dead message a fresh set of attempts (after the receiver was fixed)."""
    if message.status != "dead":
        raise ConflictError(
            f"message {message.id} is {message.status}; only dead messages are retried"
        )
    message.status = "pending"
    message.attempts = 0
    message.next_attempt_at = now
    session.flush()
    return message


def counts(*, session: Session, statuses: Iterable[str] = STATUSES) -> dict[str, int]:
    rows = session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.status.in_(list(statuses)))
        .group_by(OutboxMessage.status)
    )
    return {status: 0 for status in statuses} | {status: n for status, n in rows}


def any_due(*, session: Session, now: datetime) -> bool:
    return (
        session.scalar(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .limit(1)
        )
        is not None
    )
