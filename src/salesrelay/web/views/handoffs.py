"""The handoff inbox: offers waiting for me (accept, reject with a reason), answered ones
to rate, and the ones I sent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlalchemy.orm import Session

from salesrelay.api.deps import SessionDep
from salesrelay.errors import SalesRelayError
from salesrelay.handoffs import flows as handoff_flows
from salesrelay.handoffs import service as handoff_service
from salesrelay.handoffs.models import Handoff
from salesrelay.journeys import service as journey_service
from salesrelay.users import access
from salesrelay.users.access import Principal
from salesrelay.web import queries
from salesrelay.web.auth import PageForbidden, Viewer, csrf_protect, now
from salesrelay.web.pagination import PageNumber
from salesrelay.web.rendering import page, redirect

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

TABS = {
    "waiting": ("Waiting for me", ("proposed",)),
    "answered": ("Answered by me", ("accepted", "rejected")),
    "sent": ("Sent by me", None),
}


def _mine(viewer: Principal) -> list[int] | None:
    """Whose inbox: the rep's own; a manager's team; everyone for an admin without a rep."""
    if viewer.role == "rep" or (viewer.team is None and viewer.rep_id is not None):
        return [viewer.rep_id] if viewer.rep_id is not None else []
    return None if viewer.team is None else sorted(viewer.team)


@router.get("/handoffs")
def inbox(
    request: Request,
    viewer: Viewer,
    session: SessionDep,
    number: PageNumber = 1,
    tab: Annotated[str, Query(pattern="^(waiting|answered|sent)$")] = "waiting",
):
    mine = _mine(viewer)
    statuses = TABS[tab][1]
    if tab == "sent":
        rows, pager = queries.handoffs(session=session, page=number, from_reps=mine)
    else:
        rows, pager = queries.handoffs(
            session=session, page=number, to_reps=mine, statuses=statuses
        )
    reasons = {}
    if rows:
        playbook = journey_service.rules(session=session).playbook
        reasons = {
            h.protocol: playbook.handoffs[h.protocol].rejection_reasons
            for h, _ in rows
            if h.protocol in playbook.handoffs
        }
    names = queries.rep_names(session, [r for h, _ in rows for r in (h.from_rep_id, h.to_rep_id)])
    return page(
        request,
        "handoffs.html",
        {
            "rows": rows,
            "pager": pager,
            "tab": tab,
            "tabs": TABS,
            "names": names,
            "reasons": reasons,
        },
        viewer=viewer,
    )


def _visible(session: Session, viewer: Principal, handoff_id: int) -> Handoff:
    handoff = handoff_service.get(session=session, handoff_id=handoff_id)
    if handoff is None or not access.handoff_visible(principal=viewer, handoff=handoff):
        raise PageForbidden(f"There is no handoff {handoff_id} that you can see.", 404)
    return handoff


def _acting_rep(viewer: Principal, handoff: Handoff) -> int | None:
    # A rep answers only their own offers; a manager or admin may answer for the receiver.
    if viewer.role == "rep":
        return viewer.rep_id
    if not viewer.sees_rep(handoff.to_rep_id):
        raise PageForbidden("This handoff was offered to someone outside your team.")
    return None


def _answer(action, handoff: Handoff, back: str, done: str, session: Session):
    try:
        action()
    except SalesRelayError as error:
        session.rollback()
        return redirect(back, flash=f"Nothing changed: {error.message}")
    return redirect(back, flash=done.format(id=handoff.id))


@router.post("/handoffs/{handoff_id}/accept")
def accept(
    handoff_id: int,
    viewer: Viewer,
    session: SessionDep,
    note: Annotated[str, Form(max_length=10_000)] = "",
):
    handoff = _visible(session, viewer, handoff_id)
    rep_id = _acting_rep(viewer, handoff)
    return _answer(
        lambda: handoff_flows.accept(
            session=session,
            handoff=handoff,
            now=now(),
            actor=viewer.actor,
            rep_id=rep_id,
            note=note or None,
        ),
        handoff,
        f"/journeys/{handoff.journey_id}",
        "Accepted handoff {id}: the journey is yours and its clocks are running.",
        session,
    )


@router.post("/handoffs/{handoff_id}/reject")
def reject(
    handoff_id: int,
    viewer: Viewer,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=64)],
    note: Annotated[str, Form(max_length=10_000)] = "",
):
    handoff = _visible(session, viewer, handoff_id)
    rep_id = _acting_rep(viewer, handoff)
    return _answer(
        lambda: handoff_flows.reject(
            session=session,
            handoff=handoff,
            now=now(),
            actor=viewer.actor,
            reason=reason,
            note=note or None,
            rep_id=rep_id,
        ),
        handoff,
        "/handoffs",
        "Rejected handoff {id}; it went back to its sender.",
        session,
    )


@router.post("/handoffs/{handoff_id}/rate")
def rate(
    handoff_id: int,
    viewer: Viewer,
    session: SessionDep,
    rating: Annotated[int, Form(ge=1, le=5)],
    comment: Annotated[str, Form(max_length=10_000)] = "",
):
    handoff = _visible(session, viewer, handoff_id)
    rep_id = _acting_rep(viewer, handoff)
    return _answer(
        lambda: handoff_flows.rate(
            session=session,
            handoff=handoff,
            now=now(),
            actor=viewer.actor,
            rating=rating,
            comment=comment or None,
            rep_id=rep_id,
        ),
        handoff,
        "/handoffs?tab=answered",
        "Rated handoff {id}. Thank you.",
        session,
    )
