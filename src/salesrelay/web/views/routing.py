"""Routing log: recent decisions, newest first, each with the rule, the method and why."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from salesrelay.api.deps import SessionDep
from salesrelay.web import queries
from salesrelay.web.auth import Manager, csrf_protect
from salesrelay.web.pagination import PageNumber
from salesrelay.web.rendering import page

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


@router.get("/routing")
def routing_log(request: Request, viewer: Manager, session: SessionDep, number: PageNumber = 1):
    rows, pager = queries.routing_log(session=session, team=viewer.team, page=number)
    names = queries.rep_names(
        session,
        [
            rep
            for record, _ in rows
            for rep in (record.rep_id, *record.candidates, *(s[0] for s in record.skipped if s))
            if isinstance(rep, int)
        ],
    )
    return page(
        request, "routing.html", {"rows": rows, "pager": pager, "names": names}, viewer=viewer
    )
