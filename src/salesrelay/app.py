"""The FastAPI application, built by a factory so tests and servers choose the database."""

from __future__ import annotations

import gc
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

from salesrelay import __version__
from salesrelay.api import errors, handoffs, journeys, leads, ops, planning, playbook, team
from salesrelay.api.limits import BodySizeLimit, ConcurrencyLimit, KeyRateLimits
from salesrelay.api.metrics import router as metrics_router
from salesrelay.auth import redaction
from salesrelay.config import Settings, get_settings
from salesrelay.db import (
    background_checkpoints,
    make_engine,
    make_sessionmaker,
    read_only,
    utcnow,
)
from salesrelay.intake import context as intake_context
from salesrelay.web import routes as web_routes

log = logging.getLogger("salesrelay.app")
CHECKPOINT_SECONDS = 0.5


@asynccontextmanager
async def _lifespan(app: FastAPI):
    """Warm the intake caches, then freeze the heap built so far out of the garbage collector:
    a full collection over it would otherwise stall every request in flight for ~100 ms. On
    SQLite, checkpoints run in a thread of their own while serving, so no request pays for
    copying everyone's pages into the database file."""
    try:
        with app.state.read_sessionmaker() as session:
            intake_context.warm(session=session, now=utcnow())
    except Exception as error:
        log.info("intake caches not warmed: %s", error)
    gc.collect()
    gc.freeze()
    with background_checkpoints(app.state.engine, pause=CHECKPOINT_SECONDS):
        yield


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="SalesRelay",
        version=__version__,
        description="Route every lead to the right specialist at once, with the reasons.",
        openapi_url="/openapi.json",
        lifespan=_lifespan,
    )
    engine = make_engine(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.read_sessionmaker = make_sessionmaker(read_only(engine))
    app.state.key_limits = KeyRateLimits(settings)
    errors.install(app)
    redaction.install()
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(ConcurrencyLimit, limit=settings.concurrency_limit())
    for module in (leads, journeys, team, playbook, handoffs, planning):
        app.include_router(module.router)
    app.include_router(metrics_router)
    web_routes.install(app)
    ops.install(app)
    return app
