"""The outbox: every message to send, written in the same transaction as its cause."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from salesrelay.db import Base, JSONType, UTCDateTime, utcnow


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_idempotency_key", "idempotency_key", unique=True),
        Index("ix_outbox_messages_status_id", "status", "id"),
        Index("ix_outbox_messages_journey_id", "journey_id"),
        Index(
            "ix_outbox_messages_pending_next_attempt_at",
            "next_attempt_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    """'email', 'slack' or 'webhook'."""
    topic: Mapped[str] = mapped_column(String(64))
    """What it is about: 'handoff.intro', 'sla.remind_owner', 'journey.stage_changed'…"""
    journey_id: Mapped[int | None] = mapped_column(ForeignKey("journeys.id", ondelete="SET NULL"))
    recipient: Mapped[str] = mapped_column(String(1000))
    """An e-mail address, or the URL a Slack or webhook message is posted to."""
    cc: Mapped[list[str]] = mapped_column(JSONType, default=list)
    reply_to: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    """[{filename, content_type, content}] with text content (an .ics invite)."""
    idempotency_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending → sent | dead (gave up after the last attempt)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the worker may (re)try; while one is sending, the end of its lease."""
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
