"""Playbook: the current design as a diagram, its YAML to edit (errors at their line, and
nothing changes until it is valid), the shipped templates, and every earlier version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from markupsafe import Markup
from sqlalchemy.orm import Session

from salesrelay.api.deps import SessionDep
from salesrelay.playbook import load_playbook_text, template_names, template_text
from salesrelay.playbook import service as playbook_service
from salesrelay.playbook.service import NoPlaybookError
from salesrelay.users.access import Principal
from salesrelay.web import diagram
from salesrelay.web.auth import Admin, PageForbidden, Viewer, csrf_protect
from salesrelay.web.pagination import PageNumber, Pager
from salesrelay.web.rendering import page, redirect

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

MAX_YAML = 1_000_000


def _context(session: Session, number: int, version: int | None = None) -> dict:
    pager = Pager.of(number, playbook_service.count_versions(session=session), size=10)
    versions = playbook_service.history(session=session, offset=pager.offset, limit=pager.size)
    try:
        active = playbook_service.active(session=session)
    except NoPlaybookError:
        active = None
    shown = active
    if version is not None and (active is None or version != active.version):
        row = playbook_service.get_version(session=session, version=version)
        if row is None:
            raise PageForbidden(f"There is no playbook version {version}.", 404)
        shown = playbook_service.ActivePlaybook(
            row.version, playbook_service.parse(row.source_text), row.source_text
        )
    return {
        "active": active,
        "shown": shown,
        # diagram.render escapes every text it draws.
        "svg": Markup(diagram.render(shown.playbook)) if shown else None,  # nosec B704
        "text": shown.source_text if shown else "",
        "versions": versions,
        "pager": pager,
        "templates": template_names(),
        "issues": [],
        "bad_lines": set(),
    }


@router.get("/playbook")
def playbook_page(
    request: Request,
    viewer: Viewer,
    session: SessionDep,
    number: PageNumber = 1,
    version: int | None = None,
):
    return page(request, "playbook.html", _context(session, number, version), viewer=viewer)


def _install(session: Session, viewer: Principal, text: str, what: str):
    playbook_service.install(session=session, text=text, created_by=viewer.actor)
    return redirect("/playbook", flash=f"Installed {what}. New leads follow it from now on.")


@router.post("/playbook")
def save(
    request: Request,
    viewer: Admin,
    session: SessionDep,
    yaml_text: Annotated[str, Form(alias="yaml", max_length=MAX_YAML)],
):
    text = yaml_text.replace("\r\n", "\n")
    result = load_playbook_text(text, source="the edited playbook")
    if result.ok:
        return _install(session, viewer, text, "the edited playbook")
    context = _context(session, 1)
    context.update(
        text=text,
        issues=result.issues,
        bad_lines={i.line for i in result.errors if i.line is not None},
    )
    return page(request, "playbook.html", context, viewer=viewer, status_code=422)


@router.post("/playbook/template")
def switch(viewer: Admin, session: SessionDep, template: Annotated[str, Form(max_length=64)]):
    if template not in template_names():
        return redirect("/playbook", flash=f"There is no template '{template}'.")
    return _install(session, viewer, template_text(template), f"the {template} template")


@router.post("/playbook/restore")
def restore(viewer: Admin, session: SessionDep, version: Annotated[int, Form(ge=1)]):
    row = playbook_service.get_version(session=session, version=version)
    if row is None:
        raise PageForbidden(f"There is no playbook version {version}.", 404)
    return _install(session, viewer, row.source_text, f"a copy of version {version}")
