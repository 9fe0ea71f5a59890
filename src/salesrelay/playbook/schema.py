"""The playbook: a team design as data.

These models describe the *shape* of a playbook file. Cross-references between its parts
(a stage owned by an unknown role, a transition to nowhere…) are checked in `validate.py`,
so a user gets every problem at once, each with its line.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CORE_FUNCTIONS = ("inbound_qualification", "outbound_prospecting", "closing", "post_sales")
"""The four core functions of a specialized B2B team (Ross & Lemkin 2016, ch. 10)."""

BUILTIN_ROLES: dict[str, str | None] = {
    "inbound_qualification": "inbound_qualification",
    "outbound_prospecting": "outbound_prospecting",
    "closing": "closing",
    "account_management": "post_sales",
    "professional_services": "post_sales",
    "customer_success": "post_sales",
    "generalist": None,
}
"""Built-in role ids and the core function each one performs."""

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
TERMINAL_OUTCOMES = ("won", "lost", "disqualified", "nurture")
ROUTING_METHODS = ("round_robin", "weighted", "load_balanced", "account_owner", "named_rep")
ESCALATION_ACTIONS = ("remind_owner", "reassign", "notify_manager")
FIELD_TYPES = ("text", "number", "date", "datetime", "email", "choice", "boolean")
SLA_KINDS = ("first_touch", "handoff_acceptance", "follow_up", "time_in_stage", "response")

CONDITION_OPERATORS = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "exists", "contains")
"""Operators a routing condition may use; a plain value (not a mapping) means `eq`."""

INTRO_VARIABLES = (
    "contact",
    "company_name",
    "account",
    "previous_owner",
    "next_owner",
    "fields",
    "accept_by",
    "journey",
)
"""The variables a handoff intro (and its subject) is rendered with."""

OUTBOUND_SOURCES = frozenset({"outbound", "list", "prospecting", "cold_outreach"})
"""Lead sources that are prospected rather than answered, so speed-to-lead rules do not apply."""

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|minutes?|h|hours?|d|days?)\s*$")


def parse_duration_minutes(text: str | int | float) -> float:
    """'5m' → 5, '4h' → 240, '2d' → 2880 (business minutes when used on a business clock)."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        if text < 0:
            raise ValueError("a duration cannot be negative")
        return float(text)
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a duration; write e.g. '5m', '4h' or '2d'")
    value, unit = float(match.group(1)), match.group(2)[0]
    return value * {"m": 1, "h": 60, "d": 1440}[unit]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(_Model):
    label: str | None = None
    function: (
        Literal["inbound_qualification", "outbound_prospecting", "closing", "post_sales"] | None
    ) = None
    description: str | None = None


class Stage(_Model):
    id: Identifier
    role: Identifier
    label: str | None = None
    terminal: Literal["won", "lost", "disqualified", "nurture"] | None = None
    post_sale: bool = False


class Transition(_Model):
    from_: Identifier = Field(alias="from")
    to: Identifier
    handoff: Identifier | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class HandoffField(_Model):
    type: Literal["text", "number", "date", "datetime", "email", "choice", "boolean"] = "text"
    label: str | None = None
    required: bool = True
    choices: list[str] | None = None


class HandoffProtocol(_Model):
    label: str | None = None
    fields: dict[Identifier, HandoffField] = Field(default_factory=dict)
    accept_within: str = "4h"
    intro: str
    intro_subject: str = "Introducing your next contact at {{ company_name }}"
    warm_intro: bool = False
    meeting_field: Identifier | None = None
    rejection_reasons: list[Identifier] = Field(
        default_factory=lambda: [
            "not_qualified",
            "wrong_segment",
            "missing_information",
            "duplicate",
        ]
    )

    @field_validator("accept_within")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration_minutes(value)
        return value

    @property
    def accept_within_minutes(self) -> float:
        return parse_duration_minutes(self.accept_within)


class EscalationStep(_Model):
    at: str
    """'80%' of the allowed time, '100%' (the breach), or '100% + 30m' after it."""
    action: Literal["remind_owner", "reassign", "notify_manager"]

    @field_validator("at")
    @classmethod
    def _at(cls, value: str) -> str:
        parse_escalation_offset(value, allowed_minutes=1.0)
        return value


def parse_escalation_offset(text: str, *, allowed_minutes: float) -> float:
    """'80%' → 0.8 * allowed; '100% + 30m' → allowed + 30 (business minutes)."""
    total = 0.0
    for part in str(text).split("+"):
        part = part.strip()
        if part.endswith("%"):
            try:
                total += float(part[:-1]) / 100 * allowed_minutes
            except ValueError:
                raise ValueError(f"{part!r} is not a percentage such as '80%'") from None
        else:
            total += parse_duration_minutes(part)
    return total


class SlaPolicy(_Model):
    kind: Literal["first_touch", "handoff_acceptance", "follow_up", "time_in_stage", "response"]
    within: str
    stages: list[Identifier] = Field(default_factory=list)
    """Stages in which the clock runs; empty means the entry stages (first touch)."""
    pause_in: list[Identifier] = Field(default_factory=list)
    business_hours: bool = True
    escalation: list[EscalationStep] = Field(default_factory=list)
    label: str | None = None

    @field_validator("within")
    @classmethod
    def _within(cls, value: str) -> str:
        parse_duration_minutes(value)
        return value

    @property
    def within_minutes(self) -> float:
        return parse_duration_minutes(self.within)


Condition = Any
"""A routing condition: a plain value (equals) or a mapping of operators, see routing/engine."""


class Pool(_Model):
    role: Identifier
    tags: list[str] = Field(default_factory=list)
    reps: list[str] = Field(default_factory=list)
    """Rep e-mails; with method `named_rep` the first available one is chosen."""


class RoutingRule(_Model):
    name: str
    when: dict[str, Condition] = Field(default_factory=dict)
    pool: Pool | None = None
    method: Literal["round_robin", "weighted", "load_balanced", "account_owner", "named_rep"] = (
        "round_robin"
    )


class Routing(_Model):
    rules: list[RoutingRule] = Field(default_factory=list)
    fallback: Literal["queue", "manager"] = "queue"


class Calendar(_Model):
    timezone: str = "UTC"
    hours: dict[str, list[str]] | str = "mon-fri 09:00-17:00"
    holidays: str | None = None
    """Country code (ISO 3166), optionally with subdivision: 'US', 'DE-BY'."""
    closed_dates: list[str] = Field(default_factory=list)


class Entry(_Model):
    default: Identifier
    by_source: dict[str, Identifier] = Field(default_factory=dict)


class Playbook(_Model):
    name: str
    description: str | None = None
    roles: dict[Identifier, Role]
    stages: list[Stage]
    entry: Entry
    transitions: list[Transition] = Field(default_factory=list)
    handoffs: dict[Identifier, HandoffProtocol] = Field(default_factory=dict)
    sla: dict[Identifier, SlaPolicy] = Field(default_factory=dict)
    routing: Routing = Field(default_factory=Routing)
    calendar: Calendar = Field(default_factory=Calendar)

    # -- lookups the rest of the product uses -------------------------------------------
    def stage(self, stage_id: str) -> Stage:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        raise KeyError(stage_id)

    def entry_stage(self, source: str | None) -> Stage:
        stage_id = self.entry.by_source.get((source or "").strip().lower(), self.entry.default)
        return self.stage(stage_id)

    def role_function(self, role_id: str) -> str | None:
        role = self.roles.get(role_id)
        if role is not None and role.function is not None:
            return role.function
        return BUILTIN_ROLES.get(role_id)

    def transitions_from(self, stage_id: str) -> list[Transition]:
        return [t for t in self.transitions if t.from_ == stage_id]

    def policies_for_stage(
        self, stage_id: str, kind: str | None = None
    ) -> list[tuple[str, SlaPolicy]]:
        entry_ids = {self.entry.default, *self.entry.by_source.values()}
        found = []
        for policy_id, policy in self.sla.items():
            if kind is not None and policy.kind != kind:
                continue
            stages = policy.stages or (sorted(entry_ids) if policy.kind == "first_touch" else [])
            if stage_id in stages:
                found.append((policy_id, policy))
        return found

    @property
    def is_generalist(self) -> bool:
        owners = {stage.role for stage in self.stages if stage.terminal is None}
        return len(owners) <= 1
