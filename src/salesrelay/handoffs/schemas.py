"""How handoffs look in the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from salesrelay.intake.schemas import Owner

_EMAIL = Field(default=None, max_length=320)


class HandoffPropose(BaseModel):
    to_stage: str | None = Field(
        default=None,
        max_length=64,
        description="The stage to hand to; may be left out when only one handoff leaves the stage.",
    )
    to_rep_email: str | None = Field(
        default=None,
        max_length=320,
        description="A named receiver; otherwise routing picks one (account owner first).",
    )
    fields: dict[str, Any] = Field(
        default_factory=dict, description="The protocol's fields, e.g. budget, need, meeting_at."
    )
    note: str | None = Field(default=None, max_length=10_000)


class HandoffAccept(BaseModel):
    rep_email: str | None = _EMAIL
    """If given, must be the receiver: refuses an accept on someone else's behalf."""
    note: str | None = Field(default=None, max_length=10_000)


class HandoffReject(BaseModel):
    reason: str = Field(max_length=64, description="One of the protocol's rejection_reasons.")
    note: str | None = Field(default=None, max_length=10_000)
    rep_email: str | None = _EMAIL


class HandoffRate(BaseModel):
    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=10_000)
    rep_email: str | None = _EMAIL


class HandoffPublic(BaseModel):
    id: int
    journey_id: int
    protocol: str
    status: str
    from_stage: str
    to_stage: str
    from_rep: Owner | None
    to_rep: Owner | None
    fields: dict[str, Any]
    note: str | None
    reasons: list[str]
    proposed_at: datetime
    accept_by: datetime
    decided_at: datetime | None
    rejection_reason: str | None
    rejection_note: str | None
    rating: int | None
    rating_comment: str | None
    rated_at: datetime | None
    replaces_id: int | None


class HandoffList(BaseModel):
    data: list[HandoffPublic]
    count: int
