"""Journeys: one account's way through the playbook's stages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from salesrelay.db import Base, JSONType, UTCDateTime, utcnow


class Journey(Base):
    __tablename__ = "journeys"
    __table_args__ = (
        Index("ix_journeys_account_id_status", "account_id", "status"),
        Index("ix_journeys_owner_rep_id_status", "owner_rep_id", "status"),
        Index("ix_journeys_created_at", "created_at"),
        Index(
            "ix_journeys_unassigned",
            "created_at",
            sqlite_where=text("owner_rep_id IS NULL AND status = 'open'"),
            postgresql_where=text("owner_rep_id IS NULL AND status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32), default="new_business")
    stage: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    """'open' or 'closed'; a closed journey has an outcome."""
    outcome: Mapped[str | None] = mapped_column(String(32))
    owner_rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="SET NULL"))
    source: Mapped[str | None] = mapped_column(String(64))
    playbook_version: Mapped[int] = mapped_column(Integer)
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    """Everything learned along the way (budget, need, meeting time…), kept for every next owner."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_touch_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_touched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
