"""How journeys look in the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from salesrelay.intake.schemas import Owner


class EventPublic(BaseModel):
    id: int
    kind: str
    at: datetime
    rep_id: int | None
    actor: str | None
    data: dict[str, Any]


class RoutingPublic(BaseModel):
    id: int
    rep_id: int | None
    rule: str | None
    method: str | None
    fallback: str | None
    reasons: list[str]
    candidates: list[int]
    skipped: list[Any]
    decided_at: datetime


class ClockPublic(BaseModel):
    id: int
    policy: str
    kind: str
    stage: str | None
    status: str
    started_at: datetime
    due_at: datetime
    next_step_at: datetime | None
    stopped_at: datetime | None
    breached_at: datetime | None


class AccountRef(BaseModel):
    id: int
    name: str
    domain: str | None
    is_customer: bool


class ContactPublic(BaseModel):
    id: int
    email: str | None
    first_name: str | None
    last_name: str | None
    phone: str | None
    country: str | None
    title: str | None
    attributes: dict[str, Any]


class JourneySummary(BaseModel):
    id: int
    account_id: int
    kind: str
    stage: str
    status: str
    outcome: str | None
    owner: Owner | None
    source: str | None
    created_at: datetime
    updated_at: datetime
    first_touch_due_at: datetime | None
    first_touched_at: datetime | None


class JourneyDetail(JourneySummary):
    account: AccountRef
    contact: ContactPublic | None
    fields: dict[str, Any]
    routing: list[RoutingPublic]
    clocks: list[ClockPublic]
    timeline: list[EventPublic]


class JourneyList(BaseModel):
    data: list[JourneySummary]
    count: int


class TouchIn(BaseModel):
    channel: str = Field(default="call", pattern="^(call|email|meeting|sms|chat|linkedin|other)$")
    note: str | None = Field(default=None, max_length=10_000)
    at: datetime | None = Field(default=None, description="When it happened; default now.")
    rep_email: str | None = Field(default=None, max_length=320)

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone offset, e.g. 2026-11-27T09:30:00Z")
        return value


class TouchRecorded(BaseModel):
    journey_id: int
    first_touch: bool
    clocks_stopped: list[str]
    first_touched_at: datetime | None


class TransitionIn(BaseModel):
    to: str = Field(max_length=64, description="The stage to move to, within the owner's role.")
    reason: str | None = Field(
        default=None,
        max_length=2000,
        description="Required when the move ends the journey as lost or disqualified.",
    )
    note: str | None = Field(default=None, max_length=10_000)
    rep_email: str | None = Field(default=None, max_length=320, description="Who made the move.")
    fields: dict[str, Any] = Field(
        default_factory=dict,
        description="Facts to record with the move, e.g. contract_value at won.",
    )
    recycle_at: datetime | None = Field(
        default=None, description="For nurture: when the lead comes back to routing."
    )

    @field_validator("recycle_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone offset, e.g. 2027-03-01T09:00:00Z")
        return value


class TransitionDone(BaseModel):
    journey_id: int
    from_stage: str
    to_stage: str
    status: str
    outcome: str | None
    owner: Owner | None
    clocks_started: list[str]
    clocks_stopped: list[str]
    reasons: list[str]


class FieldsIn(BaseModel):
    fields: dict[str, Any] = Field(
        description="e.g. {'health': 'yellow', 'renewal_date': '2027-11-30'}"
    )
    rep_email: str | None = Field(default=None, max_length=320)


class ResolveIn(BaseModel):
    note: str | None = Field(default=None, max_length=10_000)
    rep_email: str | None = Field(default=None, max_length=320)


class AccountJourneyIn(BaseModel):
    kind: str = Field(pattern="^(renewal|expansion)$")
    fields: dict[str, Any] = Field(default_factory=dict)
    note: str | None = Field(default=None, max_length=10_000)


class CustomerRequestIn(BaseModel):
    subject: str = Field(max_length=500)
    message: str | None = Field(default=None, max_length=100_000)
    contact_email: str | None = Field(
        default=None,
        max_length=320,
        description="Who asked, if they are a known contact of the account.",
    )


class ForwardedEmailIn(BaseModel):
    """A customer's e-mail forwarded to the intake address."""

    from_: str = Field(alias="from", max_length=320)
    subject: str = Field(default="(no subject)", max_length=500)
    text: str | None = Field(default=None, max_length=100_000)


class AccountJourneyOpened(BaseModel):
    journey_id: int
    account_id: int
    kind: str
    stage: str
    owner: Owner | None
    reasons: list[str]
    clocks_started: list[str]
