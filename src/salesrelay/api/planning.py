"""Planning over HTTP: the advisor, the reverse-funnel plan, and a restructure dry run.

The advice and the plan are pure computations on what the request sends; the restructure
dry run reads today's journeys and team, and writes nothing.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from salesrelay.advisor.advise import advise
from salesrelay.advisor.playbooks import generate_playbooks
from salesrelay.advisor.present import advice_to_dict
from salesrelay.advisor.profile import Days, Headcount, Money, Profile, ProfileError
from salesrelay.advisor.profile import Rate as ProfileRate
from salesrelay.advisor.workload import plan_input as profile_plan_input
from salesrelay.api import errors, inputs
from salesrelay.api.deps import ForbiddenError, ReadKey, SessionDep
from salesrelay.db import utcnow
from salesrelay.errors import InvalidInputError
from salesrelay.planner import defaults
from salesrelay.planner.funnel import PlanningError, exact, resolve_rates
from salesrelay.planner.plan import build_plan, single_segment
from salesrelay.planner.present import ROLE_LABELS, plan_to_dict
from salesrelay.playbook import parse_playbook
from salesrelay.restructure import flows as restructure_flows
from salesrelay.restructure.flows import MAX_WEEKS
from salesrelay.restructure.present import plan_to_dict as restructure_to_dict
from salesrelay.team import service as team_service
from salesrelay.users.access import Principal

router = APIRouter(
    prefix="/api/v1",
    tags=["planning"],
    responses=errors.COMMON,
    dependencies=[Depends(inputs.refuse_unstorable)],
)

RESPONSES = errors.responses({422: "An invalid input; `errors` names each field (or line)"})


class PlanRequest(BaseModel):
    """The reverse funnel's inputs: a profile's segments and rates, or one segment's numbers."""

    model_config = ConfigDict(extra="forbid")

    target_revenue: Money
    start: Annotated[str | None, Field(pattern=r"^\d{4}-\d{2}$")] = None
    """First month, YYYY-MM; this month when absent."""
    months: Annotated[int, Field(ge=1, le=60)] = 12
    profile: Profile | None = None
    deal_size: Money | None = None
    cycle_days: Days | None = None
    quota_per_closer: Money | None = None
    lead_to_mql: ProfileRate | None = None
    mql_to_sql: ProfileRate | None = None
    sql_to_opportunity: ProfileRate | None = None
    win_rate: ProfileRate | None = None
    outbound_share: Annotated[float, Field(ge=0, le=1)] = 0.0
    attention_share: Annotated[float, Field(ge=0, le=1)] = 1.0
    current: dict[str, Headcount] = Field(default_factory=dict)
    """Today's team by planner role: closer, sdr, qualifier, sdr_manager."""


class RestructureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    playbook: Annotated[str, Field(min_length=1, max_length=1_000_000)]
    """The new playbook's YAML."""
    weeks: Annotated[int | None, Field(ge=1, le=MAX_WEEKS)] = None
    start: date | None = None
    team: Annotated[str | None, Field(max_length=1_000_000)] = None
    """A team CSV (as `salesrelay team import` reads) with the new roles, to plan ahead."""


@router.post("/advice", responses=RESPONSES)
def post_advice(profile: Profile, _: ReadKey) -> dict[str, Any]:
    """Specialize or not, which roles, how many people and why, with ready playbooks."""
    try:
        advice = advise(profile)
        return advice_to_dict(advice, generate_playbooks(advice))
    except (ProfileError, PlanningError) as error:
        raise InvalidInputError(str(error)) from None


@router.post("/plan", responses=RESPONSES)
def post_plan(data: PlanRequest, _: ReadKey) -> dict[str, Any]:
    """Revenue target → deals, opportunities and leads per month → people and hiring dates."""
    unknown = sorted(set(data.current) - set(ROLE_LABELS))
    if unknown:
        raise InvalidInputError(
            f"current: unknown role(s) {', '.join(unknown)}; use {', '.join(ROLE_LABELS)}",
            field="current",
        )
    today = utcnow().date()
    if data.start:
        year, month = (int(part) for part in data.start.split("-"))
    else:
        year, month = today.year, today.month
    if not 1 <= month <= 12:
        raise InvalidInputError("start: the month is 01 to 12", field="start")
    try:
        target = exact(data.target_revenue, "target_revenue")
        if data.profile is not None:
            base = profile_plan_input(
                data.profile, start_year=year, start_month=month, months=data.months,
                target_revenue=target,
            )  # fmt: skip
        else:
            rates = {
                "lead_to_mql": data.lead_to_mql,
                "mql_to_sql": data.mql_to_sql,
                "sql_to_opportunity": data.sql_to_opportunity,
                "opportunity_to_won": data.win_rate,
            }
            base = single_segment(
                target_revenue=target,
                start_year=year,
                start_month=month,
                months=data.months,
                rates=resolve_rates(given={k: v for k, v in rates.items() if v is not None}),
                deal_size=exact(data.deal_size or defaults.DEAL_SIZE.value, "deal_size"),
                cycle_days=exact(data.cycle_days or defaults.SALES_CYCLE_DAYS.value, "cycle_days"),
                outbound_share=exact(data.outbound_share, "outbound_share"),
                attention_share=exact(data.attention_share, "attention_share"),
            )
        quota = exact(data.quota_per_closer or base.quota_per_closer, "quota_per_closer")
        plan = build_plan(dataclasses.replace(base, current=data.current, quota_per_closer=quota))
    except (ProfileError, PlanningError) as error:
        raise InvalidInputError(str(error)) from None
    return plan_to_dict(plan)


def _planner(principal: ReadKey) -> Principal:
    # A dependency, so a rep is refused before the body is looked at, whatever it holds.
    if principal.role == "rep":
        raise ForbiddenError("restructure plans are for managers and admins")
    return principal


@router.post("/restructure/plan", responses=RESPONSES)
def post_restructure_plan(
    data: RestructureRequest, session: SessionDep, _: Annotated[Principal, Depends(_planner)]
) -> dict[str, Any]:
    """A dry run of `salesrelay restructure`: which open journeys move to whom, week by week,
    with the progress of a restructure already running. Writes nothing."""
    playbook = parse_playbook(data.playbook, source="playbook")
    team_rows = None
    if data.team is not None:
        team_rows, errors = team_service.parse_team_csv(data.team)
        if errors:
            raise InvalidInputError(
                "the team file has errors",
                details=[{"field": "team", "line": e.line, "message": e.message} for e in errors],
            )
    now = utcnow()
    plan = restructure_flows.plan(
        session=session,
        playbook=playbook,
        now=now,
        start=data.start,
        weeks=data.weeks,
        team_rows=team_rows,
    )
    return restructure_to_dict(plan, today=restructure_flows.today_in(playbook, now))
