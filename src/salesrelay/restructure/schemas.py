"""The plain values a restructure plan is made from and made of."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

MoveStatus = Literal["planned", "pending", "moved"]


@dataclass(frozen=True, slots=True)
class OpenJourney:
    id: int
    account_id: int
    account_name: str
    stage: str
    owner_id: int | None
    account_owner_id: int | None = None


@dataclass(frozen=True, slots=True)
class TeamMember:
    id: int
    name: str
    email: str
    roles: frozenset[str]
    capacity: int
    open_journeys: int
    paused: bool = False
    active: bool = True
    """False once removed from the team: they keep nothing and receive nothing."""

    def holds(self, role: str) -> bool:
        return self.active and role in self.roles


@dataclass(frozen=True, slots=True)
class Progress:
    """What an earlier run did to one journey: its latest restructure handoff."""

    journey_id: int
    handoff_id: int
    status: Literal["pending", "moved"]
    week: int
    """0-based."""
    from_rep_id: int | None
    to_rep_id: int | None
    role: str = ""
    """The role it moved to, and the stage it was in then: the journey may have moved on."""
    stage: str = ""


@dataclass(frozen=True, slots=True)
class Move:
    journey_id: int
    account_id: int
    account_name: str
    stage: str
    role: str
    from_rep_id: int | None
    to_rep_id: int
    week: int
    """0-based; shown to people as week + 1."""
    status: MoveStatus
    reasons: tuple[str, ...]
    handoff_id: int | None = None


@dataclass(frozen=True, slots=True)
class Kept:
    journey_id: int
    stage: str
    role: str
    rep_id: int


@dataclass(frozen=True, slots=True)
class Held:
    """A journey the plan cannot move (yet), and why; it stays where it is."""

    journey_id: int
    account_name: str
    stage: str
    rep_id: int | None
    kind: Literal["queued", "waiting", "unknown_stage", "no_receiver", "no_room"]
    reason: str


@dataclass(frozen=True, slots=True)
class Phase:
    week: int
    starts_on: date
    ends_on: date
    """The last day of the week (inclusive)."""
    moves: tuple[Move, ...]


@dataclass(frozen=True, slots=True)
class Load:
    rep_id: int
    before: int
    after: int
    capacity: int


@dataclass(frozen=True)
class RestructurePlan:
    playbook: str
    start: date
    weeks: int
    phases: tuple[Phase, ...]
    kept: tuple[Kept, ...]
    held: tuple[Held, ...]
    loads: tuple[Load, ...]
    team: Mapping[int, TeamMember] = field(repr=False)

    @property
    def moves(self) -> list[Move]:
        return [move for phase in self.phases for move in phase.moves]

    def week_on(self, today: date) -> int | None:
        """The phase running on `today` (0-based), the last one once the plan is over, or
        None before it starts."""
        if today < self.start:
            return None
        return min((today - self.start).days // 7, self.weeks - 1)

    def due(self, today: date) -> list[Move]:
        """Planned moves of the current week and of any earlier week not carried out."""
        week = self.week_on(today)
        if week is None:
            return []
        return [m for m in self.moves if m.status == "planned" and m.week <= week]


def restructure_key(playbook_name: str, start: date) -> str:
    """Names one restructure: earlier runs with the same key are its progress."""
    return f"{playbook_name}@{start.isoformat()}"


@dataclass
class Unit:
    """Journeys of one account that need the same role: they move together."""

    account_id: int
    account_name: str
    role: str
    journeys: list[OpenJourney]
    first_stage: int
    to_rep_id: int | None = None
    reasons: tuple[str, ...] = ()
