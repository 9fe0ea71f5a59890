"""What every lead of one intake run shares: the playbook, its calendar, the routing engine
and the rotation state, loaded once per run (a request, or an import batch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy.orm import Session

from salesrelay.calendar import BusinessCalendar
from salesrelay.intake.service import AccountLookup, DbAccountLookup
from salesrelay.playbook import service as playbook_service
from salesrelay.playbook.schema import Playbook
from salesrelay.routing import service as routing_service
from salesrelay.routing.engine import RepProfile, RoutingEngine, RoutingState
from salesrelay.sla.clocks import ClockPlan, plan_clock
from salesrelay.team import service as team_service


@dataclass
class IntakeContext:
    """What every lead in a run needs: the playbook, calendar, routing engine and state."""

    playbook_version: int
    playbook: Playbook
    calendar: BusinessCalendar
    engine: RoutingEngine
    state: RoutingState
    accounts: AccountLookup
    reps: dict[int, RepProfile]
    _plans: dict[tuple[str, datetime], ClockPlan] = field(default_factory=dict)
    _first_touch: dict[str, list[str]] = field(default_factory=dict)

    def first_touch_policies(self, stage_id: str) -> list[str]:
        """The first-touch SLA policies on a stage, looked up once per stage per run."""
        found = self._first_touch.get(stage_id)
        if found is None:
            found = [
                policy_id
                for policy_id, _ in self.playbook.policies_for_stage(stage_id, "first_touch")
            ]
            self._first_touch[stage_id] = found
        return found

    def clock_plan(self, policy_id: str, started_at: datetime) -> ClockPlan:
        # Leads of one import arrive at the same instant; the calendar walk is done once.
        key = (policy_id, started_at)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) > 10_000:
                self._plans.clear()
            plan = plan_clock(self.playbook.sla[policy_id], self.calendar, started_at)
            self._plans[key] = plan
        return plan


def open_context(
    *, session: Session, now: datetime, accounts: AccountLookup | None = None
) -> IntakeContext:
    active = playbook_service.active(session=session)
    roster = team_service.roster(session=session, now=now)
    engine = routing_service.engine_for(active.source_text, roster.profiles)
    return IntakeContext(
        playbook_version=active.version,
        playbook=active.playbook,
        calendar=_calendar(active.source_text),
        engine=engine,
        state=routing_service.load_state(session=session, open_counts=roster.open_counts),
        accounts=accounts or DbAccountLookup(session),
        reps={rep.id: rep for rep in roster.profiles},
    )


def warm(*, session: Session, now: datetime) -> None:
    """Build what the first lead would otherwise pay for: the parsed playbook, its calendar
    and the routing engine for today's team. Reads only."""
    active = playbook_service.active(session=session)
    roster = team_service.roster(session=session, now=now)
    routing_service.engine_for(active.source_text, roster.profiles)
    _calendar(active.source_text)


@lru_cache(maxsize=8)
def _calendar(playbook_text: str) -> BusinessCalendar:
    """One calendar per playbook version: its holiday tables are built once, not per lead."""
    return BusinessCalendar.from_playbook(playbook_service.parse(playbook_text).calendar)


def close_context(*, session: Session, context: IntakeContext) -> None:
    routing_service.save_state(session=session, state=context.state)
