"""What a restructure plan is made from, read from the database: open journeys, the team,
and the restructure handoffs of earlier runs.

A restructure keeps no table of its own. Its handoffs carry its key (playbook name and start
date) in their fields, so every run can tell what was already proposed, accepted, rejected
or left to expire — and re-running the same phase proposes nothing twice.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from salesrelay.handoffs.models import Handoff
from salesrelay.intake.models import Account
from salesrelay.journeys.models import Journey
from salesrelay.playbook.schema import Playbook
from salesrelay.restructure.plan import plan_restructure
from salesrelay.restructure.protocol import PROTOCOL_ID
from salesrelay.restructure.schemas import (
    OpenJourney,
    Progress,
    RestructurePlan,
    TeamMember,
    restructure_key,
)
from salesrelay.team.models import Rep
from salesrelay.team.schemas import RepCreate


@dataclass(frozen=True)
class Snapshot:
    journeys: list[OpenJourney]
    team: list[TeamMember]
    progress: dict[int, Progress]
    refused: dict[int, set[int]]
    waiting: dict[int, int]


@dataclass(frozen=True)
class Started:
    start: date
    weeks: int


def handoff_fields(
    *, playbook: str, start: date, weeks: int, week: int, role: str
) -> dict[str, Any]:
    """What a restructure handoff records about its restructure (`week` is 0-based)."""
    return {
        "restructure": restructure_key(playbook, start),
        "playbook": playbook,
        "start": start.isoformat(),
        "weeks": weeks,
        "week": week + 1,
        "role": role,
    }


def restructure_handoffs(*, session: Session) -> list[Handoff]:
    return list(
        session.scalars(select(Handoff).where(Handoff.protocol == PROTOCOL_ID).order_by(Handoff.id))
    )


def started(*, session: Session, playbook: str) -> Started | None:
    """The restructure to `playbook` that earlier runs began (the latest start), if any."""
    found: Started | None = None
    for handoff in restructure_handoffs(session=session):
        fields = handoff.fields or {}
        if fields.get("playbook") != playbook:
            continue
        try:
            candidate = Started(date.fromisoformat(fields["start"]), int(fields["weeks"]))
        except (KeyError, TypeError, ValueError):
            continue
        if found is None or candidate.start > found.start:
            found = candidate
    return found


def _team(session: Session) -> list[TeamMember]:
    return [
        TeamMember(
            id=rep.id,
            name=rep.name,
            email=rep.email,
            roles=frozenset(rep.roles or ()),
            capacity=rep.capacity,
            open_journeys=rep.open_journeys,
            paused=rep.paused,
            active=rep.deleted_at is None,
        )
        for rep in session.scalars(select(Rep).order_by(Rep.id))
    ]


def _open_journeys(session: Session) -> list[OpenJourney]:
    rows = session.execute(
        select(
            Journey.id,
            Journey.account_id,
            Journey.stage,
            Journey.owner_rep_id,
            Account.name,
            Account.owner_rep_id,
        )
        .join(Account, Account.id == Journey.account_id)
        .where(Journey.status == "open")
        .order_by(Journey.id)
    )
    return [
        OpenJourney(
            id=row[0],
            account_id=row[1],
            stage=row[2],
            owner_id=row[3],
            account_name=row[4],
            account_owner_id=row[5],
        )
        for row in rows
    ]


def snapshot(*, session: Session, key: str) -> Snapshot:
    journeys = _open_journeys(session)
    open_ids = {journey.id for journey in journeys}
    progress: dict[int, Progress] = {}
    refused: dict[int, set[int]] = {}
    latest: dict[int, Handoff] = {}
    for handoff in restructure_handoffs(session=session):
        if (handoff.fields or {}).get("restructure") != key or handoff.journey_id not in open_ids:
            continue
        latest[handoff.journey_id] = handoff
        if handoff.status in ("rejected", "expired") and handoff.to_rep_id is not None:
            refused.setdefault(handoff.journey_id, set()).add(handoff.to_rep_id)
    for journey_id, handoff in latest.items():
        if handoff.status in ("proposed", "accepted"):
            progress[journey_id] = Progress(
                journey_id=journey_id,
                handoff_id=handoff.id,
                status="pending" if handoff.status == "proposed" else "moved",
                week=int(handoff.fields.get("week", 1)) - 1,
                from_rep_id=handoff.from_rep_id,
                to_rep_id=handoff.to_rep_id,
                role=handoff.fields.get("role", ""),
                stage=handoff.from_stage,
            )
    waiting = {
        journey_id: handoff_id
        for journey_id, handoff_id in session.execute(
            select(Handoff.journey_id, Handoff.id).where(Handoff.status == "proposed")
        )
        if journey_id in open_ids
    }
    return Snapshot(journeys, _team(session), progress, refused, waiting)


def with_new_roles(team: list[TeamMember], rows: list[tuple[int, RepCreate]]) -> list[TeamMember]:
    """The team as a team file would make it: listed reps get the file's roles and capacity,
    new people join with nothing open (and a temporary negative id)."""
    by_email = {member.email: member for member in team}
    changed: dict[int, TeamMember] = {}
    joining: list[TeamMember] = []
    for _, data in rows:
        member = by_email.get(data.email)
        if member is None:
            joining.append(
                TeamMember(-len(joining) - 1, data.name, data.email, frozenset(data.roles),
                           data.capacity, 0)
            )  # fmt: skip
        else:
            changed[member.id] = dataclasses.replace(
                member, name=data.name, roles=frozenset(data.roles), capacity=data.capacity
            )
    return [changed.get(member.id, member) for member in team] + joining


def build(
    *,
    session: Session,
    playbook: Playbook,
    start: date,
    weeks: int,
    team_rows: list[tuple[int, RepCreate]] | None = None,
) -> RestructurePlan:
    """The plan for today's database, with the roles of `team_rows` when given: see
    `plan.plan_restructure`."""
    data = snapshot(session=session, key=restructure_key(playbook.name, start))
    return plan_restructure(
        playbook,
        journeys=data.journeys,
        team=with_new_roles(data.team, team_rows) if team_rows else data.team,
        start=start,
        weeks=weeks,
        progress=data.progress,
        refused=data.refused,
        waiting=data.waiting,
    )
