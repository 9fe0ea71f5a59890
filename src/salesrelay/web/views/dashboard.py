"""Dashboard (managers and admins): speed to lead, SLA compliance, funnel, handoffs,
workload and focus, for a period and a team; every chart links to its journeys. The
figures come from salesrelay.metrics; this page only draws them."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from markupsafe import Markup

from salesrelay.api.deps import SessionDep
from salesrelay.db import transaction
from salesrelay.journeys import service as journey_service
from salesrelay.metrics import queries as metrics
from salesrelay.metrics import store as metrics_store
from salesrelay.metrics.schemas import FOCUS_THRESHOLD, build_query
from salesrelay.playbook.service import NoPlaybookError
from salesrelay.team import service as team_service
from salesrelay.team.models import Rep
from salesrelay.users.access import Principal
from salesrelay.web import charts
from salesrelay.web.auth import Manager, PageForbidden, csrf_protect, now
from salesrelay.web.rendering import page

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

PERIODS = (7, 30, 90)
FRESH_SECONDS = 30
"""How long drawn charts are reused: a dashboard does not need figures newer than this, and
managers reloading it should not recompute six reports each time."""

_drawn: dict[tuple, tuple[float, list[dict]]] = {}
_drawn_lock = threading.Lock()


def _teams(session, viewer: Principal) -> list[Rep]:
    """Managers whose team the viewer may pick: anyone's for an admin, else their own and
    those of managers below them."""
    return [m for m in team_service.managers(session=session) if viewer.sees_rep(m.id)]


@router.get("/dashboard")
def dashboard(
    request: Request,
    viewer: Manager,
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=3660)] = 30,
    team: Annotated[int | None, Query(ge=1)] = None,
):
    teams = _teams(session, viewer)
    if viewer.team is not None and team is None:
        team = viewer.rep_id  # a manager sees their own team unless they pick a sub-team
    if team is not None and team not in {t.id for t in teams}:
        raise PageForbidden("That team is not one you manage.", 404)
    try:
        rules = journey_service.rules(session=session)
    except NoPlaybookError:
        return page(
            request,
            "dashboard.html",
            {
                "charts": [],
                "empty": True,
                "days": days,
                "teams": teams,
                "team": team,
                "periods": PERIODS,
            },
            viewer=viewer,
        )
    moment = now()
    since = moment - timedelta(days=days)
    period = {
        "since": since.date().isoformat(),
        "until": (moment + timedelta(days=1)).date().isoformat(),
        "team": team,
    }
    key = (request.app.state.settings.database_url, id(request.app), team, days)
    with _drawn_lock:
        cached = _drawn.get(key)
    if cached is not None and cached[0] > time.monotonic():
        drawn = cached[1]
    else:
        drawn = _draw(request, session, rules.playbook, moment, since, period, team)
        with _drawn_lock:
            if len(_drawn) > 256:
                _drawn.clear()
            _drawn[key] = (time.monotonic() + FRESH_SECONDS, drawn)
    # JSON inside <script type="application/json">: with <, > and & escaped no name in the
    # data (a rep's, a team's) can close the element or open a comment, so Markup is safe.
    data = (
        json.dumps({c["id"]: c["figure"] for c in drawn})
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    return page(
        request,
        "dashboard.html",
        {
            "charts": drawn,
            "data": Markup(data),  # nosec B704
            "days": days,
            "periods": PERIODS,
            "teams": teams,
            "team": team,
        },
        viewer=viewer,
    )


def _draw(request: Request, session, playbook, moment, since, period: dict, team: int | None):
    """Fold new events into the metric summaries if needed, then run the six reports in one
    read transaction over one context (the playbook, calendar and team, read once)."""
    state = request.app.state
    filters = {"team": [str(team)]} if team is not None else None
    with transaction(state.read_sessionmaker) as reading:
        behind = metrics_store.behind(session=reading)
    if behind:
        with transaction(state.sessionmaker) as writing:
            metrics_store.refresh(session=writing)
    by_email = team_service.ids_by_email(session=session)
    policy_labels = {pid: p.label or pid.replace("_", " ") for pid, p in playbook.sla.items()}
    stage_labels = {s.id: s.label or s.id.replace("_", " ") for s in playbook.stages}
    with transaction(state.read_sessionmaker) as reading:
        context = metrics.context(session=reading, now=moment)

        def report(name: str, group_by: str | None = None):
            query = build_query(
                start=since.isoformat(),
                end=None,
                timezone=context.calendar.timezone,
                now=moment,
                filters=filters,
                group_by=group_by,
                allowed_groups=metrics.SPECS[name].groups,
            )
            return metrics.run(session=reading, name=name, query=query, context_=context)

        handoff_outcome, rejections = charts.handoffs(report("handoffs", "pair"), period)
        return [
            charts.speed_to_lead(report("speed-to-lead"), period),
            charts.sla(report("sla"), period, policy_labels),
            charts.funnel(report("funnel"), period, stage_labels),
            handoff_outcome,
            rejections,
            charts.workload(report("workload"), by_email, team),
            charts.focus(report("focus"), by_email, FOCUS_THRESHOLD, team),
        ]
