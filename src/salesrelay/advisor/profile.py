"""A company profile: what the advisor needs to know, as YAML. Errors name the field."""

from __future__ import annotations

from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from salesrelay.planner import defaults

FUNCTIONS = ("inbound_qualification", "outbound_prospecting", "closing", "post_sales")
Function = Literal["inbound_qualification", "outbound_prospecting", "closing", "post_sales"]
TeamModel = Literal["generalist", "specialized", "none"]
Performance = Literal["well", "poorly", "unknown"]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
# Bounds wide enough for any real company and narrow enough that the reverse funnel's exact
# arithmetic (revenue / deal size / four rates * minutes) always fits in a float.
MAX_MONEY = 1e13
MAX_VOLUME = 1e9
MAX_EFFORT = 10_000.0
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Money = Annotated[float, Field(ge=0.01, le=MAX_MONEY)]
Volume = Annotated[float, Field(ge=0.0, le=MAX_VOLUME)]
Effort = Annotated[float, Field(ge=0.0, le=MAX_EFFORT)]
"""Minutes or hours of work per lead, call or customer."""
Days = Annotated[float, Field(ge=0.0, le=3650.0)]
Rate = Annotated[float, Field(ge=1e-6, le=1.0)]
Headcount = Annotated[int, Field(ge=0, le=1_000_000)]
RateName = Literal["lead_to_mql", "mql_to_sql", "sql_to_opportunity", "opportunity_to_won"]


class ProfileError(ValueError):
    """A profile that cannot be advised on; the message names the field to fix."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CurrentTeam(_Model):
    model: TeamModel = "none"
    reps: Headcount = 0
    performing: Performance = "unknown"
    time_split: dict[Function, Share] | None = None
    """Share of the sales team's time spent on each function today (estimated when absent)."""


class Segment(_Model):
    name: Identifier
    deal_size: Money
    calls_to_close: Annotated[int, Field(ge=1, le=50)]
    sales_cycle_days: Days = float(defaults.SALES_CYCLE_DAYS.value)
    inbound_leads_per_month: Volume = 0.0
    human_attention_share: Share = 1.0
    """Share of inbound leads that need a person (not spam, students or self-serve)."""
    outbound_targets_per_month: Volume = 0.0
    current_model: TeamModel | None = None
    """How this segment is sold today; the company's current team model when absent."""
    performing: Performance | None = None
    revenue_share: Share | None = None
    """Share of the revenue target; from each segment's lead flow when absent."""


class PostSale(_Model):
    onboarding: bool = True
    account_management: bool = True
    customer_success: bool = False
    current_customers: Annotated[int, Field(ge=0, le=int(MAX_VOLUME))] = 0
    onboarding_hours_per_customer: Effort = 8.0
    account_hours_per_customer_month: Effort = 1.0

    @property
    def needed(self) -> bool:
        return self.onboarding or self.account_management or self.customer_success


class Workload(_Model):
    """Our assumptions for estimating time and headcount from volumes (no published figures)."""

    qualify_minutes_per_lead: Effort = 15.0
    prospect_minutes_per_target: Effort = 30.0
    """Research and a multi-touch cadence for one outbound target."""
    hours_per_call: Effort = 1.5
    """A sales call with its preparation and follow-up."""
    selling_hours_per_rep_month: Annotated[float, Field(ge=1.0, le=744.0)] = 120.0


class Profile(_Model):
    company: str
    annual_revenue: Annotated[float, Field(ge=0.0, le=MAX_MONEY)] | None = None
    target_revenue: Money | None = None
    """Revenue to close over the next twelve months."""
    quota_per_closer: Money = float(defaults.QUOTA_PER_CLOSER.value)
    closers_per_sdr: Annotated[float, Field(ge=0.01, le=1000.0)] | None = None
    segments: Annotated[list[Segment], Field(min_length=1)]
    current_team: CurrentTeam = Field(default_factory=CurrentTeam)
    post_sale: PostSale = Field(default_factory=PostSale)
    conversion: dict[RateName, Rate] | None = None
    """Your own funnel rates, when you know them; documented defaults otherwise."""
    workload: Workload = Field(default_factory=Workload)

    @model_validator(mode="after")
    def _segments(self) -> Profile:
        names = [segment.name for segment in self.segments]
        duplicate = next((name for name in names if names.count(name) > 1), None)
        if duplicate:
            raise ValueError(f"segments: {duplicate!r} appears twice")
        shares = [segment.revenue_share for segment in self.segments]
        if any(share is not None for share in shares):
            if any(share is None for share in shares):
                raise ValueError("segments: give revenue_share for every segment or for none")
            if abs(sum(shares) - 1.0) > 1e-9:
                raise ValueError("segments: the revenue shares must add up to 1")
        return self

    def model_of(self, segment: Segment) -> str:
        return segment.current_model or self.current_team.model

    def performance_of(self, segment: Segment) -> str:
        return segment.performing or self.current_team.performing


def _where(location: tuple, data: object) -> str:
    parts: list[str] = []
    node = data
    for part in location:
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            item = node[part]
            label = item.get("name") if isinstance(item, dict) else None
            parts.append(f"[{label or part}]")
            node = item
            continue
        parts.append(f".{part}" if parts else str(part))
        node = node.get(part) if isinstance(node, dict) else None
    return "".join(parts)


def profile_from_mapping(data: object) -> Profile:
    if not isinstance(data, dict):
        raise ProfileError("a profile is a mapping with company and segments (see examples/)")
    try:
        return Profile.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            where = _where(tuple(p for p in item["loc"] if "[" not in str(p)), data)
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = "unknown field; check its spelling"
            problems.append(f"{where}: {message}" if where else message)
        raise ProfileError("; ".join(problems)) from None


def load_profile_text(text: str) -> Profile:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ProfileError(f"not valid YAML{where}: {getattr(error, 'problem', error)}") from None
    return profile_from_mapping(data)
