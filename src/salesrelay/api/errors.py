"""Every error a client can cause becomes a JSON 4xx that names the field; never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from salesrelay.errors import SalesRelayError
from salesrelay.playbook import PlaybookError
from salesrelay.playbook.service import NoPlaybookError

log = logging.getLogger("salesrelay.api")


# FastAPI answers a body it cannot decode (e.g. bytes that are not UTF-8) with this 400.
_UNREADABLE_BODY = "There was an error parsing the body"


class ErrorItem(BaseModel):
    """One problem: the field (or playbook path) it is in and what to fix. Some carry more,
    e.g. the playbook `line`, or the stages a refused move `allowed`."""

    model_config = ConfigDict(extra="allow")

    field: str
    message: str


class ErrorBody(BaseModel):
    """Every error answer of the API."""

    detail: str
    errors: list[ErrorItem]


def responses(described: dict[int, str]) -> dict[int | str, dict]:
    """OpenAPI `responses=` for error codes, each answered with an ErrorBody."""
    return {code: {"model": ErrorBody, "description": text} for code, text in described.items()}


COMMON = responses(
    {
        401: "Missing, unknown or revoked API key (or not signed in)",
        403: "The key's scope or the user's role does not allow this call",
        413: "The request body is larger than the limit (SALESRELAY_MAX_REQUEST_BYTES)",
        422: "Invalid input; `errors` names each field",
        429: "Too many requests with this key; retry after the Retry-After seconds",
    }
)
"""What any operation of the API may answer; each router declares these."""


def error_body(message: str, errors: list[dict] | None = None) -> dict:
    return {"detail": message, "errors": errors or []}


def _field_of(location: tuple) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _validation(_: Request, error: RequestValidationError) -> JSONResponse:
    errors = []
    for problem in error.errors():
        if problem.get("type") == "json_invalid":
            # The location is a character offset, not a field.
            errors.append({"field": "body", "message": "the body is not valid JSON"})
            continue
        message = problem.get("msg", "invalid value").removeprefix("Value error, ")
        errors.append({"field": _field_of(tuple(problem.get("loc", ()))), "message": message})
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return JSONResponse(status_code=422, content=error_body(f"invalid request: {summary}", errors))


def _domain(_: Request, error: SalesRelayError) -> JSONResponse:
    errors = [{"field": error.field, "message": error.message}] if error.field else []
    if isinstance(error.details, list):
        errors.extend(error.details)
    return JSONResponse(
        status_code=error.status_code,
        content=error_body(error.message, errors),
        headers=getattr(error, "headers", None),
    )


def _playbook(_: Request, error: PlaybookError) -> JSONResponse:
    errors = [
        {
            "field": issue.path,
            "line": issue.line,
            "message": issue.message,
            "severity": issue.severity,
        }
        for issue in error.issues
    ]
    return JSONResponse(status_code=422, content=error_body("the playbook has errors", errors))


def _no_playbook(_: Request, error: NoPlaybookError) -> JSONResponse:
    return JSONResponse(status_code=409, content=error_body(str(error)))


def _http(_: Request, error: StarletteHTTPException) -> JSONResponse:
    if error.status_code == 400 and error.detail == _UNREADABLE_BODY:
        return JSONResponse(
            status_code=422,
            content=error_body(
                "invalid request: the body could not be decoded; send UTF-8 JSON",
                [{"field": "body", "message": "the body could not be decoded; send UTF-8 JSON"}],
            ),
        )
    return JSONResponse(
        status_code=error.status_code,
        content=error_body(str(error.detail)),
        headers=getattr(error, "headers", None),
    )


def _database_unavailable(_: Request, error: Exception) -> JSONResponse:
    log.warning("database unavailable: %s", type(error).__name__)
    return JSONResponse(
        status_code=503,
        content=error_body("the database is unavailable; retry shortly"),
        headers={"Retry-After": "5"},
    )


def _unexpected(_: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=error)
    return JSONResponse(status_code=500, content=error_body("internal error; it has been logged"))


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(SalesRelayError, _domain)
    app.add_exception_handler(PlaybookError, _playbook)
    app.add_exception_handler(NoPlaybookError, _no_playbook)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(PoolTimeoutError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
