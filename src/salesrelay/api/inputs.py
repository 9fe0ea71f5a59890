"""Input every API operation refuses before it reaches a service: ids beyond what the store
holds, and NUL characters (PostgreSQL can store neither in its columns, so without this a
hostile value would be a 500 there and be accepted on SQLite)."""

from __future__ import annotations

import orjson
from fastapi import Request

from salesrelay.errors import InvalidInputError

MAX_ID = 2**31 - 1
"""The largest id a row can have: keys are 32-bit INTEGER columns on both stores."""

NUL = "\x00"
_MESSAGE = "NUL characters (\\u0000) are not allowed"


async def refuse_nul(request: Request) -> None:
    """A router dependency: 422 naming the parameter or body field that holds a NUL."""
    for name, value in request.query_params.multi_items():
        if NUL in name or NUL in value:
            raise InvalidInputError(f"{name.replace(NUL, '')}: {_MESSAGE}", field=_clean(name))
    for name, value in request.headers.items():
        if NUL in value:
            raise InvalidInputError(f"{name}: {_MESSAGE}", field=name)
    if request.method in ("GET", "HEAD", "DELETE"):
        return
    body = await request.body()
    # JSON can only carry a NUL escaped; a raw one makes the body invalid JSON, already a 422.
    if b"\\u0000" not in body:
        return
    try:
        field = _nul_path(orjson.loads(body), "")
    except orjson.JSONDecodeError:
        return  # not JSON (e.g. a YAML playbook): the operation's own parsing answers
    if field is not None:
        raise InvalidInputError(f"{field}: {_MESSAGE}", field=field)


def _nul_path(value, path: str) -> str | None:
    if isinstance(value, str):
        return (path or "body") if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{_clean(key)}" if path else _clean(key)
            if NUL in key:
                return where
            found = _nul_path(item, where)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_path(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def _clean(name: str) -> str:
    return name.replace(NUL, "\\u0000")
