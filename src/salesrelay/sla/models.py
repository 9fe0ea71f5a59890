"""SLA clocks: a promise with a deadline, stored so a sweep finds due ones with one query."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from salesrelay.db import Base, UTCDateTime, utcnow


class SlaClock(Base):
    __tablename__ = "sla_clocks"
    __table_args__ = (
        Index("ix_sla_clocks_journey_id", "journey_id"),
        Index(
            "ix_sla_clocks_running_next_step_at",
            "next_step_at",
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    policy: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    stage: Mapped[str | None] = mapped_column(String(64))
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="running")
    """running → met (stopped in time) | breached-and-stopped ('missed') | cancelled."""
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the next escalation step is due; the sweep's only search key."""
    steps_done: Mapped[int] = mapped_column(Integer, default=0)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
