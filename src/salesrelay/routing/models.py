"""Stored routing decisions (with their reasons) and the state that keeps rotation fair."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from salesrelay.db import Base, JSONType, UTCDateTime, utcnow


class RoutingRecord(Base):
    __tablename__ = "routing_decisions"
    __table_args__ = (
        Index("ix_routing_decisions_journey_id", "journey_id"),
        Index("ix_routing_decisions_decided_at", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="SET NULL"))
    rule: Mapped[str | None] = mapped_column(String(200))
    method: Mapped[str | None] = mapped_column(String(32))
    fallback: Mapped[str | None] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(JSONType, default=list)
    candidates: Mapped[list[int]] = mapped_column(JSONType, default=list)
    skipped: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoutingState(Base):
    """One row holds the rotation cursors and weights, so round robin is fair across restarts."""

    __tablename__ = "routing_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
