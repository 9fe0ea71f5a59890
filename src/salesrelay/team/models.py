"""Reps: the people on the team, with what routing needs to know about them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from salesrelay.db import Base, JSONType, UTCDateTime, utcnow


class Rep(Base):
    __tablename__ = "reps"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    capacity: Mapped[int] = mapped_column(Integer, default=50)
    weight: Mapped[int] = mapped_column(Integer, default=1)
    territories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    hours: Mapped[str] = mapped_column(String(200), default="mon-fri 09:00-17:00")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="SET NULL"))
    open_journeys: Mapped[int] = mapped_column(Integer, default=0)
    """Kept in step with journeys in the same transaction, so routing reads one row per rep."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    absences: Mapped[list[Absence]] = relationship(
        back_populates="rep", cascade="all, delete-orphan", order_by="Absence.starts_at"
    )

    @property
    def primary_role(self) -> str | None:
        return self.roles[0] if self.roles else None


class Absence(Base):
    """An out-of-office period: the rep gets no new leads in [starts_at, ends_at)."""

    __tablename__ = "rep_absences"
    __table_args__ = (Index("ix_rep_absences_rep_id_ends_at", "rep_id", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(500))

    rep: Mapped[Rep] = relationship(back_populates="absences")
