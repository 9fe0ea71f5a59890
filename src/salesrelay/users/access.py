"""Who may see and change what: one Principal per request, the same rules for pages and API.

admin sees everything; a manager sees their own rep and every rep they manage (and those
reps' reports); a rep sees their own journeys and the handoffs offered to or sent by them.
API keys are for integrations: their scope decides what they may do, over all data.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from salesrelay.handoffs.models import Handoff
from salesrelay.intake.models import Account
from salesrelay.journeys.models import Journey
from salesrelay.team.models import Rep
from salesrelay.users.models import User

ROLE_SCOPES = {
    "admin": frozenset({"intake", "read", "write", "admin"}),
    "manager": frozenset({"intake", "read", "write"}),
    "rep": frozenset({"read", "write"}),
}
MAX_TEAM_DEPTH = 5
"""Managers of managers: how many levels of reports a manager's team takes in."""


@dataclass(frozen=True)
class Principal:
    actor: str
    """Written on every event: 'user:ana@example.com' or 'api-key:sr_AbCdEf'."""
    scopes: frozenset[str]
    role: str | None = None
    """admin, manager or rep for a signed-in user; None for an API key."""
    user_id: int | None = None
    rep_id: int | None = None
    team: frozenset[int] | None = None
    """The reps whose data this principal may see; None means everyone's."""
    csrf: str | None = None
    name: str = ""

    @property
    def is_user(self) -> bool:
        return self.user_id is not None

    def allows(self, scope: str) -> bool:
        return scope in self.scopes

    def sees_rep(self, rep_id: int | None) -> bool:
        return self.team is None or (rep_id is not None and rep_id in self.team)

    def manages(self, rep_id: int) -> bool:
        """May change this rep's settings: an admin, or the manager of the rep's team."""
        if self.role == "admin" or (self.role is None and "admin" in self.scopes):
            return True
        return self.role == "manager" and self.sees_rep(rep_id)


def team_of(*, session: Session, user: User) -> frozenset[int] | None:
    if user.role == "admin":
        return None
    if user.rep_id is None:
        return frozenset()
    team = {user.rep_id}
    if user.role == "manager":
        frontier = {user.rep_id}
        for _ in range(MAX_TEAM_DEPTH):
            reports = set(session.scalars(select(Rep.id).where(Rep.manager_id.in_(frontier))))
            frontier = reports - team
            if not frontier:
                break
            team |= frontier
    return frozenset(team)


def for_user(*, session: Session, user: User, csrf: str | None = None) -> Principal:
    return Principal(
        actor=f"user:{user.email}",
        scopes=ROLE_SCOPES.get(user.role, frozenset()),
        role=user.role,
        user_id=user.id,
        rep_id=user.rep_id,
        team=team_of(session=session, user=user),
        csrf=csrf,
        name=user.name,
    )


def for_key(*, prefix: str, scopes: frozenset[str]) -> Principal:
    return Principal(actor=f"api-key:{prefix}", scopes=scopes)


def journey_visible(*, session: Session, principal: Principal, journey: Journey) -> bool:
    """Its owner is on the principal's team, or it is being offered to someone who is."""
    if principal.sees_rep(journey.owner_rep_id):
        return True
    if not principal.team:
        return False
    offered = select(Handoff.id).where(
        Handoff.journey_id == journey.id,
        Handoff.status == "proposed",
        Handoff.to_rep_id.in_(principal.team),
    )
    return bool(session.scalar(select(exists(offered))))


def handoff_visible(*, principal: Principal, handoff: Handoff) -> bool:
    return principal.sees_rep(handoff.to_rep_id) or principal.sees_rep(handoff.from_rep_id)


def account_visible(*, principal: Principal, account: Account) -> bool:
    return principal.sees_rep(account.owner_rep_id)


def scoped_report_filters(
    *,
    session: Session,
    principal: Principal,
    team: list[str] | None,
    rep: list[str] | None,
) -> tuple[list[str] | None, list[str] | None]:
    """The team and rep filters a report may run with. Admins and API keys ask for any;
    a manager gets their own team unless they name teams or reps within it; a rep none
    (reports are for managers). Raises PermissionError naming what is out of reach."""
    if principal.team is None:
        return team, rep
    if principal.role != "manager":
        raise PermissionError("reports are for managers and admins")
    for values, what in ((team, "team"), (rep, "rep")):
        for value in values or []:
            for part in value.split(","):
                found = _rep_id_of(session, part.strip())
                if part.strip() and (found is None or found not in principal.team):
                    raise PermissionError(f"{what} {part.strip()!r} is not within your team")
    if not team and not rep:
        team = [str(principal.rep_id)]
    return team, rep


def _rep_id_of(session: Session, value: str) -> int | None:
    if value.isdigit():
        return int(value)
    return session.scalar(select(Rep.id).where(Rep.email == value.lower()))
