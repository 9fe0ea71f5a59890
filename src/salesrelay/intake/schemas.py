"""What a lead looks like on the way in, and what intake answers."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

KNOWN_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "phone",
    "source",
    "country",
    "employees",
    "industry",
    "website",
    "title",
)


# Plain ASCII addresses (nearly all of them) are checked by this pattern; anything else
# (quoted parts, international domains…) goes through email-validator's full rules.
_PLAIN_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def check_email(value: str) -> str:
    """The address as given, trimmed; raises ValueError saying what is wrong with it."""
    value = value.strip()
    if len(value) <= 254 and _PLAIN_EMAIL.match(value):
        local, domain = value.rsplit("@", 1)
        if len(local) <= 64:
            return f"{local}@{domain.lower()}"
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"'{value}' is not a valid e-mail address: {error}") from None


class LeadIn(BaseModel):
    """A new lead. Fields we do not know are kept as attributes."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    email: str | None = Field(default=None, max_length=320)
    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    company: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=64)
    source: str | None = Field(default=None, max_length=64)
    country: str | None = Field(default=None, max_length=64)
    employees: int | None = Field(default=None, ge=0, le=10_000_000)
    industry: str | None = Field(default=None, max_length=200)
    website: str | None = Field(default=None, max_length=500)
    title: str | None = Field(default=None, max_length=200)
    attributes: dict[str, Any] = Field(default_factory=dict)
    received_at: datetime | None = Field(
        default=None,
        description="When the lead arrived, if earlier than now (ISO 8601 with offset).",
    )

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return check_email(value) if value else None

    @field_validator("received_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("received_at needs a time zone offset, e.g. 2026-11-27T09:30:00Z")
        return value

    @model_validator(mode="after")
    def _reachable(self) -> LeadIn:
        if not self.email and not self.phone:
            raise ValueError("a lead needs an email or a phone number")
        extra = self.model_extra or {}
        for key, value in extra.items():
            if isinstance(value, dict | list) and len(str(value)) > 10_000:
                raise ValueError(f"attribute '{key}' is too large (at most 10,000 characters)")
        return self

    def all_attributes(self) -> dict[str, Any]:
        return {**(self.model_extra or {}), **self.attributes}


class Owner(BaseModel):
    id: int
    name: str
    email: str


class LeadAccepted(BaseModel):
    journey_id: int
    account_id: int
    contact_id: int | None
    stage: str
    owner: Owner | None
    reasons: list[str]
    first_touch_due_at: datetime | None
    duplicate: bool = False
    """True when the lead joined a journey that was already open."""
