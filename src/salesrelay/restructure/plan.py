"""The restructure plan: which open journeys move to whom under a new playbook, week by week.

Pure: it takes today's journeys, the team and what earlier runs already did, and returns
the plan. Each journey belongs to the rep who holds the role that owns its stage in the new
playbook. A current owner who holds that role keeps it. Journeys move in units of one account
and one role, so an account's journeys of a role end up with one rep (account continuity).
A unit goes to the rep who already works the account in that role when they have room, else
to the rep with the lowest share of their capacity filled once the whole plan has run.

The weeks are planned in `phases.py`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import date

from salesrelay.playbook.schema import Playbook
from salesrelay.restructure import phases as phasing
from salesrelay.restructure.schemas import (
    Held,
    Kept,
    Load,
    OpenJourney,
    Progress,
    RestructurePlan,
    TeamMember,
    Unit,
)


def plan_restructure(
    playbook: Playbook,
    *,
    journeys: Iterable[OpenJourney],
    team: Iterable[TeamMember],
    start: date,
    weeks: int,
    progress: Mapping[int, Progress] | None = None,
    refused: Mapping[int, Iterable[int]] | None = None,
    waiting: Mapping[int, int] | None = None,
) -> RestructurePlan:
    """The plan for every open journey. `progress` is what earlier runs of this restructure
    did (by journey), `refused` the receivers who rejected or let lapse a journey's offer,
    `waiting` the journeys with another handoff pending (journey → handoff id)."""
    if weeks < 1:
        raise ValueError("a restructure takes at least one week")
    progress, waiting = progress or {}, waiting or {}
    refused_by = {journey: set(reps) for journey, reps in (refused or {}).items()}
    members = {member.id: member for member in team}
    stage_roles = {stage.id: stage.role for stage in playbook.stages}
    stage_order = {stage.id: index for index, stage in enumerate(playbook.stages)}

    kept: list[Kept] = []
    held: list[Held] = []
    done: dict[int, Progress] = {}
    moving: list[OpenJourney] = []  # journeys to move, and those earlier runs moved
    ties: dict[int, Counter] = defaultdict(Counter)  # account → reps already working it
    for journey in sorted(journeys, key=lambda j: j.id):
        role = stage_roles.get(journey.stage)
        owner = members.get(journey.owner_id) if journey.owner_id is not None else None
        earlier = progress.get(journey.id)
        if earlier is not None and earlier.to_rep_id is not None:
            done[journey.id] = earlier
            moving.append(journey)
        elif journey.owner_id is None:
            held.append(_held(journey, "queued", "no owner yet: routing places it"))
        elif role is None:
            why = f"stage '{journey.stage}' is not in {playbook.name}: add it to the playbook"
            held.append(_held(journey, "unknown_stage", f"{why}, or move the journey first"))
        elif owner is not None and owner.holds(role):
            kept.append(Kept(journey.id, journey.stage, role, owner.id))
            ties[journey.account_id][owner.id] += 1
        elif journey.id in waiting:
            why = f"waits for handoff {waiting[journey.id]}; planned once it is answered"
            held.append(_held(journey, "waiting", why))
        else:
            moving.append(journey)

    # Earlier runs are replayed: their moves take the places they took then, so with nothing
    # else changed every later week gets the receivers the first run gave it.
    units = _units(moving, done, stage_roles, stage_order)
    projected = _loads_before_moves(members, moving)
    placed: list[Unit] = []
    for unit in sorted(units, key=lambda u: (-len(u.journeys), u.account_id, u.role)):
        earlier_receivers = Counter(
            done[j.id].to_rep_id for j in unit.journeys if j.id in done
        ).most_common(1)
        if earlier_receivers:
            (receiver, _), size = earlier_receivers[0], len(unit.journeys)
            name = members[receiver].name if receiver in members else f"rep {receiver}"
            unit.to_rep_id = receiver
            unit.reasons = (f"keeps {unit.account_name} with {name}, who already works it",)
            projected[receiver] = projected.get(receiver, 0) + size
            ties[unit.account_id][receiver] += size
            placed.append(unit)
            continue
        excluded = set().union(*(refused_by.get(j.id, set()) for j in unit.journeys))
        problem = _place(unit, members, projected, ties[unit.account_id], excluded, playbook.name)
        if problem is None:
            placed.append(unit)
            ties[unit.account_id][unit.to_rep_id] += len(unit.journeys)
        else:
            kind, reason = problem
            held.extend(_held(journey, kind, reason) for journey in unit.journeys)

    weekly = phasing.phases(playbook, placed, done, start=start, weeks=weeks)
    roles = set(playbook.roles)
    loads = tuple(
        Load(m.id, m.open_journeys, projected[m.id], m.capacity)
        for m in sorted(members.values(), key=lambda m: (m.id < 0, abs(m.id)))  # joiners last
        if m.active and (m.open_journeys or projected[m.id] or m.roles & roles)
    )
    return RestructurePlan(
        playbook=playbook.name,
        start=start,
        weeks=weeks,
        phases=weekly,
        kept=tuple(kept),
        held=tuple(sorted(held, key=lambda h: h.journey_id)),
        loads=loads,
        team=members,
    )


def _held(journey: OpenJourney, kind: str, reason: str) -> Held:
    return Held(journey.id, journey.account_name, journey.stage, journey.owner_id, kind, reason)


def _units(
    journeys: list[OpenJourney],
    done: Mapping[int, Progress],
    stage_roles: Mapping[str, str],
    stage_order: Mapping[str, int],
) -> list[Unit]:
    """Group by account and role; a journey moved earlier counts with the role and stage it
    had when it moved."""
    units: dict[tuple[int, str], Unit] = {}
    for journey in journeys:
        earlier = done.get(journey.id)
        stage = earlier.stage if earlier and earlier.stage else journey.stage
        role = earlier.role if earlier and earlier.role else stage_roles.get(stage, "")
        order = stage_order.get(stage, 0)
        unit = units.get((journey.account_id, role))
        if unit is None:
            unit = units[(journey.account_id, role)] = Unit(
                journey.account_id, journey.account_name, role, [], order
            )
        unit.journeys.append(journey)
        unit.first_stage = min(unit.first_stage, order)
    return list(units.values())


def _loads_before_moves(
    members: Mapping[int, TeamMember], moving: list[OpenJourney]
) -> dict[int, int]:
    """Open journeys per rep without any journey the restructure moves (or moved): what the
    first run started placing from."""
    loads = {member.id: member.open_journeys for member in members.values()}
    for journey in moving:
        if journey.owner_id in loads:
            loads[journey.owner_id] -= 1
    return loads


def _place(
    unit: Unit,
    members: Mapping[int, TeamMember],
    projected: dict[int, int],
    ties: Counter,
    excluded: set[int],
    playbook_name: str,
) -> tuple[str, str] | None:
    """Choose the unit's receiver and book it on `projected`; or say why nobody can take it."""
    size, role = len(unit.journeys), unit.role
    holders = [m for m in members.values() if m.holds(role)]
    if not holders:
        return (
            "no_receiver",
            f"nobody holds the role '{role}' that owns '{unit.journeys[0].stage}' in "
            f"{playbook_name}: give it to someone on the team (salesrelay team import)",
        )
    candidates = [m for m in holders if not m.paused and m.capacity > 0 and m.id not in excluded]
    if not candidates:
        why = (
            "is paused, has capacity 0 or refused it" if excluded else "is paused or has capacity 0"
        )
        return "no_receiver", f"every rep in '{role}' {why}"
    fitting = [m for m in candidates if projected[m.id] + size <= m.capacity]
    why = f"'{unit.journeys[0].stage}' is {role} work in {playbook_name}"
    tied = [m for m in candidates if ties[m.id]]
    known = sorted((m for m in tied if m in fitting), key=lambda m: (-ties[m.id], m.email))
    account_owner = unit.journeys[0].account_owner_id
    if known:
        chosen = known[0]
        reason = f"keeps {unit.account_name} with {chosen.name}, who already works it"
    elif account_owner is not None and any(m.id == account_owner for m in fitting):
        chosen = members[account_owner]
        reason = f"{chosen.name} owns the account {unit.account_name}"
    elif fitting:
        chosen = min(
            fitting,
            key=lambda m: ((projected[m.id] + size) / m.capacity, projected[m.id], m.email),
        )
        reason = (
            f"most room among {role} reps: {projected[chosen.id] + size} of "
            f"{chosen.capacity} open journeys after the move"
        )
    else:
        full = ", ".join(
            f"{m.name} {projected[m.id]}/{m.capacity}"
            for m in sorted(candidates, key=lambda m: m.id)
        )
        return (
            "no_room",
            f"no {role} has room for {size} more ({full}): raise a capacity or add people",
        )
    if tied and not known:
        reason += f" ({tied[0].name}, who works {unit.account_name}, has no room)"
    projected[chosen.id] += size
    unit.to_rep_id, unit.reasons = chosen.id, (why, reason)
    return None
