"""Templates, filters and the page response: every page goes through `page()`."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from salesrelay.users.access import Principal

HERE = Path(__file__).parent
FLASH_COOKIE = "salesrelay_flash"

environment = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html", "svg"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def duration(seconds: float) -> str:
    """'3 d 4 h', '2 h 5 min', '45 s': the two largest units a person cares about."""
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def until(due: datetime | None, now: datetime) -> str:
    if due is None:
        return "no deadline"
    left = (due - now).total_seconds()
    return f"in {duration(left)}" if left >= 0 else f"overdue by {duration(left)}"


def moment(value: datetime | None, timezone: str = "UTC") -> str:
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(timezone)).strftime("%a %d %b %Y, %H:%M %Z")


def iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat() if value else ""


def label(value: Any) -> str:
    return str(value or "").replace("_", " ")


ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
REP_KEYS = ("rep_id", "to_rep_id", "from_rep_id", "back_to", "owner", "from", "to")


def event_value(key: str, value: Any, names: dict[int, str], timezone: str = "UTC") -> str:
    """One value of an event's data as a person reads it: times in the team's zone, reps
    by name, lists and mappings spelled out."""
    if isinstance(value, str) and ISO_MOMENT.match(value):
        try:
            return moment(datetime.fromisoformat(value), timezone)
        except ValueError:
            return value
    if isinstance(value, int) and not isinstance(value, bool) and key in REP_KEYS:
        return names.get(value, f"rep {value}")
    if isinstance(value, dict):
        return "; ".join(
            f"{label(k)}: {event_value(k if key != 'owner' else 'owner', v, names, timezone)}"
            for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return ", ".join(event_value(key, v, names, timezone) for v in value)
    return str(value)


environment.filters.update(duration=duration, moment=moment, iso=iso, label=label)
environment.globals.update(event_value=event_value)


def query(base: str, **params: Any) -> str:
    """A link to `base` with the non-empty parameters: paging keeps every filter."""
    kept = {k: v for k, v in params.items() if v not in (None, "", [])}
    return f"{base}?{urlencode(kept, doseq=True)}" if kept else base


environment.globals.update(query=query)


def page(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    viewer: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    flash = unquote(request.cookies.get(FLASH_COOKIE) or "")
    values = {
        "request": request,
        "viewer": viewer,
        "csrf": getattr(request.state, "csrf", ""),
        "now": datetime.now(UTC),
        "flash": flash,
        "path": request.url.path,
        **(context or {}),
    }
    body = environment.get_template(template).render(values)
    response = HTMLResponse(body, status_code=status_code)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: a form's "back to" or a sign-in's
    "next" never sends anyone to another host (`//host`, `/\\host`, `https://…`)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target) or urlsplit(target).netloc:
        return None
    return target


def redirect(url: str, *, flash: str | None = None) -> RedirectResponse:
    """After a form: back to a page (303, so a reload does not resend), with a message."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie(
            FLASH_COOKIE, quote(flash[:300]), max_age=60, httponly=True, samesite="lax", path="/"
        )
    return response
