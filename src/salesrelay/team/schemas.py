"""The rep family: Base → Create / Update (all optional) / Public."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from salesrelay.calendar import parse_hours
from salesrelay.intake.schemas import check_email


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone '{value}'; use an IANA name such as 'Europe/Berlin'"
        ) from None
    return value


def _check_hours(value: str) -> str:
    parse_hours(value)
    return value


class RepBase(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=320)
    roles: list[str] = Field(min_length=1, max_length=10)
    capacity: int = Field(default=50, ge=0, le=1_000_000)
    weight: int = Field(default=1, ge=1, le=1000)
    territories: list[str] = Field(default_factory=list, max_length=50)
    timezone: str = "UTC"
    hours: str = "mon-fri 09:00-17:00"
    paused: bool = False
    manager_email: str | None = None

    _email = field_validator("email", "manager_email")(
        lambda value: check_email(value).lower() if value else value
    )
    _timezone = field_validator("timezone")(_check_timezone)
    _hours = field_validator("hours")(_check_hours)


class RepCreate(RepBase):
    pass


class RepUpdate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    roles: list[str] | None = Field(default=None, min_length=1, max_length=10)
    capacity: int | None = Field(default=None, ge=0, le=1_000_000)
    weight: int | None = Field(default=None, ge=1, le=1000)
    territories: list[str] | None = Field(default=None, max_length=50)
    timezone: str | None = None
    hours: str | None = None
    paused: bool | None = None
    manager_email: str | None = None

    _email = field_validator("manager_email")(
        lambda value: check_email(value).lower() if value else value
    )
    _timezone = field_validator("timezone")(lambda v: _check_timezone(v) if v else v)
    _hours = field_validator("hours")(lambda v: _check_hours(v) if v else v)


class AbsenceIn(BaseModel):
    starts_at: datetime
    ends_at: datetime
    note: str | None = Field(default=None, max_length=500)

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give a time zone offset, e.g. 2026-12-01T00:00:00Z")
        return value


class AbsencePublic(AbsenceIn):
    id: int


class RepPublic(BaseModel):
    id: int
    name: str
    email: str
    roles: list[str]
    capacity: int
    weight: int
    territories: list[str]
    timezone: str
    hours: str
    paused: bool
    manager_id: int | None
    open_journeys: int
    absences: list[AbsencePublic] = Field(default_factory=list)


class RepList(BaseModel):
    data: list[RepPublic]
    count: int
