"""How the delivery log looks in the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class OutboxPublic(BaseModel):
    id: int
    channel: str
    topic: str
    journey_id: int | None
    recipient: str
    cc: list[str]
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    idempotency_key: str
    created_at: datetime
    sent_at: datetime | None


class OutboxDetail(OutboxPublic):
    reply_to: str | None
    body: str
    attachments: list[str]
    """File names; the content is in the message that was sent."""


class OutboxList(BaseModel):
    data: list[OutboxPublic]
    count: int
    totals: dict[str, int]
