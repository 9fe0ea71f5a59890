"""Handoffs: a cross-role move of a journey, run as a protocol with a deadline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from salesrelay.db import Base, JSONType, UTCDateTime, utcnow


class Handoff(Base):
    __tablename__ = "handoffs"
    __table_args__ = (
        Index("ix_handoffs_journey_id_id", "journey_id", "id"),
        Index("ix_handoffs_to_rep_id_status", "to_rep_id", "status"),
        Index("ix_handoffs_from_rep_id_status", "from_rep_id", "status"),
        Index("ix_handoffs_clock_id", "clock_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    protocol: Mapped[str] = mapped_column(String(64))
    from_rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="SET NULL"))
    to_rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="SET NULL"))
    from_stage: Mapped[str] = mapped_column(String(64))
    to_stage: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    """proposed → accepted | rejected | expired."""
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    """The protocol's fields as the sender filled them in, checked and normalised."""
    note: Mapped[str | None] = mapped_column(Text)
    reasons: Mapped[list[str]] = mapped_column(JSONType, default=list)
    """Why this receiver: named by the sender, or routing's reasons."""
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accept_by: Mapped[datetime] = mapped_column(UTCDateTime)
    """The acceptance deadline, in business time from the protocol's accept_within."""
    clock_id: Mapped[int | None] = mapped_column(ForeignKey("sla_clocks.id", ondelete="SET NULL"))
    """The acceptance clock the sweep escalates and expires this handoff by."""
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id", ondelete="SET NULL"))
    """The expired handoff this one re-offers to another receiver."""
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejection_reason: Mapped[str | None] = mapped_column(String(64))
    rejection_note: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
