"""Mount the pages on the application: routers, static files, page errors, security headers."""

from __future__ import annotations

from pathlib import Path

import plotly
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from salesrelay.web.auth import PageForbidden, SignInRequired
from salesrelay.web.rendering import HERE, page, query
from salesrelay.web.views import (
    dashboard,
    handoffs,
    journeys,
    playbook,
    propose,
    queue,
    routing,
    session,
    settings,
    team,
)

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
"""Plotly's browser bundle ships inside the Python package: charts work offline, no CDN."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; img-src 'self' data:; "
    # Plotly sets style attributes on the SVG it draws.
    "style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
PAGE_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]
API_PREFIXES = ("/api/", "/docs", "/redoc", "/openapi.json")


class SecurityHeaders:
    """Pure ASGI: pages get a strict CSP (no inline script); the API and its docs do not."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith(API_PREFIXES):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + PAGE_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _sign_in_required(request: Request, error: SignInRequired):
    return RedirectResponse(query("/sign-in", next=error.next_path), status_code=303)


def _forbidden(request: Request, error: PageForbidden):
    return page(
        request,
        "error.html",
        {"message": error.message, "status": error.status_code},
        status_code=error.status_code,
    )


def plotly_js():
    return FileResponse(
        PLOTLY_JS,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(PageForbidden, _forbidden)
    app.add_api_route("/static/plotly.min.js", plotly_js, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (
        session,
        queue,
        journeys,
        propose,
        handoffs,
        dashboard,
        team,
        playbook,
        routing,
        settings,
    ):
        app.include_router(module.router)
    app.add_middleware(SecurityHeaders)
