"""Summary tables for metrics: per-journey facts stored as column blocks, and how far the
event log has been folded into them. See docs/metrics.md ("How the summaries stay right")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from salesrelay.db import Base, JSONType, UTCDateTime, utcnow


class MetricBlock(Base):
    """One column of one kind of fact for the journeys that arrived on one UTC day.

    `data` holds the column's values as a packed NumPy array (little-endian, the dtype the
    fact schema names); text columns hold int32 codes into the block's `_vocab` row.
    """

    __tablename__ = "metric_blocks"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    """Days since 1970-01-01 (UTC) of the arrival of every journey in the block."""
    field: Mapped[str] = mapped_column(String(32), primary_key=True)
    rows: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class MetricState(Base):
    """A single row: the events folded into the blocks so far."""

    __tablename__ = "metric_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schema_version: Mapped[int] = mapped_column(Integer)
    event_watermark: Mapped[int] = mapped_column(BigInteger, default=0)
    """Every event with an id up to this one is in the blocks, except the `gaps`."""
    gaps: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    """[event id, first seen (epoch s)] of ids at or below the watermark that were not yet
    visible: transactions still open when the blocks were refreshed (PostgreSQL hands out
    ids before commit). They are looked for again on every refresh."""
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
