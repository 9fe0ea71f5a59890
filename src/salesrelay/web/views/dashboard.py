"""Dashboard (managers and admins): its charts are drawn from salesrelay.metrics."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from salesrelay.api.deps import SessionDep
from salesrelay.web.auth import Manager, csrf_protect
from salesrelay.web.rendering import page

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


@router.get("/dashboard")
def dashboard(request: Request, viewer: Manager, session: SessionDep):
    return page(request, "dashboard.html", {}, viewer=viewer)
