"""My queue: the rep's open journeys, nearest SLA deadline first, one click to log a touch."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from salesrelay.api.deps import SessionDep
from salesrelay.team.models import Rep
from salesrelay.web import queries
from salesrelay.web.auth import PageForbidden, Viewer, csrf_protect
from salesrelay.web.pagination import PageNumber
from salesrelay.web.rendering import page

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


@router.get("/queue")
def my_queue(
    request: Request,
    viewer: Viewer,
    session: SessionDep,
    number: PageNumber = 1,
    rep: int | None = None,
):
    """Managers and admins may look at the queue of anyone on their team (`?rep=`)."""
    rep_id = rep if rep is not None else viewer.rep_id
    if rep_id is not None and not viewer.sees_rep(rep_id):
        raise PageForbidden("That rep is not on your team.", 404)
    owner = session.get(Rep, rep_id) if rep_id is not None else None
    rows, pager = (
        queries.queue(session=session, rep_id=rep_id, page=number) if owner else ([], None)
    )
    return page(
        request,
        "queue.html",
        {
            "rows": rows,
            "pager": pager,
            "owner": owner,
            "others": queries.team_reps(session, viewer.team) if viewer.role != "rep" else [],
            "pending": queries.pending_for(session, rep_id),
        },
        viewer=viewer,
    )
