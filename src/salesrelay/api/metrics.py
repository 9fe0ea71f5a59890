"""Metrics reports: GET /api/v1/metrics/{report}, as JSON or CSV (scope read)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from salesrelay.api import errors, inputs
from salesrelay.api.deps import ForbiddenError, ReadKey, SessionDep
from salesrelay.db import utcnow
from salesrelay.metrics import queries
from salesrelay.metrics.schemas import REPORTS, Report, to_csv
from salesrelay.users import access

router = APIRouter(
    prefix="/api/v1",
    tags=["metrics"],
    responses=errors.COMMON,
    dependencies=[Depends(inputs.refuse_unstorable)],
)

Values = Annotated[list[str] | None, Query(max_length=500)]


@router.get(
    "/metrics/{report}",
    response_model=Report,
    response_model_by_alias=True,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The report (CSV with format=csv)"},
        **errors.responses(
            {
                409: "No playbook installed",
                422: "A parameter is invalid; `errors` names it",
            }
        ),
    },
)
def get_report(
    request: Request,
    principal: ReadKey,
    session: SessionDep,
    report: Annotated[Literal[REPORTS], Path(description="Which report")],  # type: ignore[valid-type]
    start: Annotated[
        str | None,
        Query(alias="from", max_length=40, description="Start (inclusive): a date or date-time"),
    ] = None,
    end: Annotated[
        str | None, Query(alias="to", max_length=40, description="End (exclusive); default now")
    ] = None,
    group_by: Values = None,
    role: Values = None,
    rep: Values = None,
    team: Values = None,
    source: Values = None,
    segment: Values = None,
    stage: Values = None,
    basis: Annotated[Literal["cohort", "activity"] | None, Query()] = None,
    threshold: Annotated[float | None, Query(gt=0, lt=1)] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    section: Annotated[str | None, Query(max_length=40)] = None,
):
    """One report over a period (default: the last 30 days). Filters take several values
    (repeated or comma-separated); `group_by` one or more dimensions. With `format=csv`
    one section is returned (`section`, default the first), cells safe to open in a
    spreadsheet. Definitions of every figure: docs/metrics.md."""
    try:
        # A manager's reports cover their own team; reps have none.
        team, rep = access.scoped_report_filters(
            session=session, principal=principal, team=team, rep=rep
        )
    except PermissionError as error:
        raise ForbiddenError(str(error)) from None
    state = request.app.state
    answer = queries.current_report(
        write=state.sessionmaker,
        read=state.read_sessionmaker,
        name=report,
        now=utcnow(),
        start=start,
        end=end,
        filters={
            "role": role,
            "rep": rep,
            "team": team,
            "source": source,
            "segment": segment,
            "stage": stage,
        },
        group_by=group_by,
        basis=basis,
        threshold=threshold,
    )
    if format == "csv":
        chosen = answer.section(section)
        return Response(
            content=to_csv(chosen),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{report}-{chosen.name}.csv"'},
        )
    return answer
