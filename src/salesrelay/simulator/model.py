"""A simulation scenario: a team, its lead sources and its segments, as data (YAML).

Every number has a documented default (docs/planning.md); every one is editable. Errors name
the field: ``segments.smb.owners.closing: unknown role 'ae'``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from salesrelay.simulator import decay, hours

FUNCTIONS = ("inbound_qualification", "outbound_prospecting", "closing", "post_sales")
LEAD_FUNCTIONS = ("inbound_qualification", "outbound_prospecting")
GENERALIST_PENALTY = 0.30
"""Productivity lost by people who juggle every stage: Salesforce 2004, Predictable Revenue p.58."""

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]


class ScenarioError(ValueError):
    """A scenario file that cannot be simulated; the message names the field to fix."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hire(_Model):
    start_day: NonNegative
    count: Annotated[int, Field(ge=1)] = 1


class RoleSpec(_Model):
    reps: Annotated[int, Field(ge=0)] = 0
    unlimited: bool = False
    """Infinite capacity: every task starts at once (for what-if and model checks)."""
    hours: str | None = None
    """Working hours of this role; the scenario's hours when absent."""
    context_switch_penalty: Share | None = None
    """Share of productivity lost; 0.30 for a role owning several functions, else 0."""
    capacity: Annotated[int, Field(ge=1)] | None = None
    """Most open opportunities per rep; more wait in a backlog."""
    ramp_days: NonNegative = 0.0
    ramp_start_productivity: Annotated[float, Field(gt=0.0, le=1.0)] = 0.25
    new_hires: list[Hire] = Field(default_factory=list)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value is not None:
            hours.parse_weekly_hours(value)
        return value


class Segment(_Model):
    owners: dict[str, Identifier]
    """Which role performs each function for this segment's leads."""
    qualify_rate: Share = 0.25
    """Share of touched leads that qualify when answered at once (before response decay)."""
    touches: Annotated[int, Field(ge=1, le=12)] = 1
    touch_interval_hours: NonNegative = 24.0
    handoff_accept_rate: Share = 0.9
    win_rate: Share = 0.25
    deal_size: NonNegative = 10_000.0
    deal_size_cv: NonNegative = 0.5
    meetings: Annotated[int, Field(ge=1, le=12)] = 3
    cycle_days: NonNegative = 30.0
    annual_churn: Share = 0.1
    renewal_share: NonNegative = 1.0
    """Revenue at renewal as a share of the first year's deal."""

    @field_validator("owners")
    @classmethod
    def _functions(cls, owners: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(owners) - set(FUNCTIONS))
        if unknown:
            raise ValueError(f"unknown function {unknown[0]!r}; use one of {', '.join(FUNCTIONS)}")
        if "closing" not in owners:
            raise ValueError("a segment needs an owner for 'closing'")
        return owners


class Source(_Model):
    leads_per_month: NonNegative
    segment: Identifier
    function: Literal["inbound_qualification", "outbound_prospecting"] = "inbound_qualification"
    seasonality: list[NonNegative] | None = None
    """Twelve monthly multipliers (rescaled to average 1)."""
    business_hours_share: Share | None = None
    """Share of leads arriving while the team works; evenly spread over the week when absent."""

    @field_validator("seasonality")
    @classmethod
    def _twelve(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and (len(value) != 12 or sum(value) <= 0):
            raise ValueError("give twelve monthly multipliers, not all zero")
        return value


class Work(_Model):
    """Mean minutes of rep time per task (exponentially distributed)."""

    touch_minutes: Positive = 15.0
    meeting_minutes: Positive = 60.0
    onboarding_minutes: Positive = 240.0


class ResponseDecay(_Model):
    tau_minutes: Positive = decay.DEFAULT_TAU_MINUTES
    exponent: NonNegative = decay.DEFAULT_EXPONENT
    floor: Share = decay.DEFAULT_FLOOR
    enabled: bool = True

    def curve(self) -> decay.ResponseCurve:
        return decay.ResponseCurve(self.tau_minutes, self.exponent, self.floor, self.enabled)


class Scenario(_Model):
    name: str
    description: str | None = None
    horizon_days: Positive = 365.0
    hours: str = "mon-fri 09:00-17:00"
    sla_minutes: Positive = 5.0
    """First-touch promise, in business minutes."""
    patience_minutes: Positive | None = None
    """Mean time a waiting lead stays warm; leads then go cold and leave (Erlang A)."""
    handoff_delay_minutes: NonNegative = 60.0
    preempt: bool = True
    """Closing and onboarding work interrupt first touches and follow-ups of the same rep."""
    work: Work = Field(default_factory=Work)
    response_decay: ResponseDecay = Field(default_factory=ResponseDecay)
    roles: dict[Identifier, RoleSpec]
    segments: dict[Identifier, Segment]
    sources: dict[Identifier, Source]

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        hours.parse_weekly_hours(value)
        return value

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        for name, segment in self.segments.items():
            for function, role in segment.owners.items():
                if role not in self.roles:
                    raise ValueError(f"segments.{name}.owners.{function}: unknown role {role!r}")
        for name, source in self.sources.items():
            segment = self.segments.get(source.segment)
            if segment is None:
                raise ValueError(f"sources.{name}.segment: unknown segment {source.segment!r}")
            if source.function not in segment.owners:
                raise ValueError(
                    f"sources.{name}.function: segment {source.segment!r} has no owner "
                    f"for {source.function!r}"
                )
        return self

    def role_functions(self) -> dict[str, set[str]]:
        owned: dict[str, set[str]] = {role: set() for role in self.roles}
        for segment in self.segments.values():
            for function, role in segment.owners.items():
                owned[role].add(function)
        return owned

    def penalty(self, role: str) -> float:
        spec = self.roles[role]
        if spec.context_switch_penalty is not None:
            return spec.context_switch_penalty
        return GENERALIST_PENALTY if len(self.role_functions()[role]) > 1 else 0.0

    def with_reps(self, role: str, reps: int) -> Scenario:
        if role not in self.roles:
            raise ScenarioError(f"roles.{role}: no such role in scenario {self.name!r}")
        roles = dict(self.roles)
        roles[role] = roles[role].model_copy(update={"reps": reps})
        return self.model_copy(update={"roles": roles})


def _field_path(location: tuple) -> str:
    return ".".join(str(part) for part in location if part not in ("function-after",))


def scenario_from_mapping(data: object) -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError("a scenario is a mapping with name, roles, segments and sources")
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            where = _field_path(item["loc"])
            message = item["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        raise ScenarioError("; ".join(problems)) from None


def load_scenario_text(text: str) -> Scenario:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ScenarioError(f"not valid YAML{where}: {getattr(error, 'problem', error)}") from None
    return scenario_from_mapping(data)
