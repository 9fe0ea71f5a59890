"""Choosing an owner after intake: a handoff's receiver, a reassignment, a post-sales owner.

The playbook's routing rules decide where a *new lead* goes. Later choices are narrower —
someone in a given role, the account's owner first, never the rep who is handing over or
who let a deadline pass — so they run the same engine over rules built for the occasion.
Rotation state is shared with intake, so round robin stays fair across both.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from salesrelay.playbook.schema import Pool, Routing, RoutingRule
from salesrelay.routing import service as routing_service
from salesrelay.routing.engine import RepProfile, RoutingDecision, RoutingEngine, RoutingState
from salesrelay.team import service as team_service


class Assigner:
    """Routing for one transaction: the team and the rotation state are loaded once, on
    first use, and the state is saved by `close()`."""

    def __init__(self, *, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self._profiles: list[RepProfile] | None = None
        self._state: RoutingState | None = None

    @property
    def profiles(self) -> list[RepProfile]:
        if self._profiles is None:
            self._profiles = team_service.profiles(session=self.session, now=self.now)
        return self._profiles

    def profile(self, rep_id: int | None) -> RepProfile | None:
        return next((rep for rep in self.profiles if rep.id == rep_id), None)

    @property
    def state(self) -> RoutingState:
        if self._state is None:
            self._state = routing_service.load_state(session=self.session)
        return self._state

    def choose(
        self,
        *,
        role: str,
        account_owner_id: int | None,
        owner_roles: Sequence[str] = (),
        exclude: Collection[int] = (),
        method: str = "round_robin",
        label: str = "",
    ) -> RoutingDecision:
        """Someone in `role`: the account's owner first when they hold one of `owner_roles`
        (default: `role`), then the role's pool; never a rep in `exclude`."""
        rules = [
            RoutingRule(
                name=f"account owner as {owner_role}",
                method="account_owner",
                pool=Pool(role=owner_role),
            )
            for owner_role in (owner_roles or (role,))
        ]
        rules.append(RoutingRule(name=label or f"{role} pool", pool=Pool(role=role), method=method))
        reps = [rep for rep in self.profiles if rep.id not in exclude]
        engine = RoutingEngine(Routing(rules=rules, fallback="queue"), reps)
        facts = {"account": {"owner_rep_id": account_owner_id}}
        decision = engine.decide(facts, now=self.now, state=self.state)
        excluded = [rep.name for rep in self.profiles if rep.id in exclude]
        if excluded:
            reasons = (f"left out {', '.join(excluded)}", *decision.reasons)
            decision = RoutingDecision(
                decision.rep_id,
                decision.rule,
                decision.method,
                reasons,
                decision.candidates,
                decision.skipped,
                decision.fallback,
            )
        return decision

    def released(self, rep_id: int | None) -> None:
        """A journey left `rep_id` in this run: their load drops (a pick already added one
        to the receiver's)."""
        counts = self.state.open_counts
        if rep_id is not None and counts.get(rep_id, 0) > 0:
            counts[rep_id] -= 1

    def record(self, *, journey_id: int, decision: RoutingDecision) -> None:
        routing_service.record_many(
            session=self.session,
            rows=[routing_service.decision_row(journey_id, decision, self.now)],
        )

    def close(self) -> None:
        if self._state is not None:
            routing_service.save_state(session=self.session, state=self._state)
