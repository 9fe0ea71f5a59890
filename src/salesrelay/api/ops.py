"""For the platform around the process: /healthz (alive), /readyz (able to serve) and
/metrics (Prometheus). None of them needs an API key; /metrics takes SALESRELAY_METRICS_TOKEN
as a bearer token when one is set."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from salesrelay.telemetry import exposition, readiness

router = APIRouter(include_in_schema=False)

RETRY_AFTER_SECONDS = 5


@router.get("/healthz")
async def healthz():
    """The process answers; nothing else is checked (no database), so a busy or cut-off
    database never gets a live process restarted."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
def readyz(request: Request):
    """200 when the database answers, is migrated to head and has a playbook; else 503 with
    what is missing, so a load balancer sends no traffic here yet."""
    result = readiness.check(request.app.state.engine)
    if result.ready:
        return JSONResponse(result.body())
    return JSONResponse(
        result.body(), status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )


@router.get("/metrics")
def metrics(request: Request):
    state = request.app.state
    if not exposition.authorized(
        request.headers.get("authorization"), state.settings.metrics_token
    ):
        return JSONResponse(
            {"detail": "a bearer token is required for /metrics", "errors": []},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    body, content_type = exposition.render(state.metrics_registry, request.headers.get("accept"))
    return Response(body, media_type=content_type)


def install(app: FastAPI) -> None:
    app.state.metrics_registry = exposition.build_registry(app.state.engine)
    app.include_router(router)
