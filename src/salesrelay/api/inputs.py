"""Input every API operation refuses before it reaches a service: ids beyond what the store
holds, NUL characters (PostgreSQL can store neither in its columns, so without this a
hostile value would be a 500 there and be accepted on SQLite), and whole numbers in JSON
beyond 64 bits (no JSON column can be written with one)."""

from __future__ import annotations

import json
import re

from fastapi import Request

from salesrelay.errors import InvalidInputError

MAX_ID = 2**31 - 1
"""The largest id a row can have: keys are 32-bit INTEGER columns on both stores."""

NUL = "\x00"
_MESSAGE = "NUL characters (\\u0000) are not allowed"
LARGEST_WHOLE_NUMBER = 2**63 - 1
"""JSON values are stored as JSON; whole numbers beyond 64 bits cannot be written."""
_TOO_LARGE = f"whole numbers must lie within ±{LARGEST_WHOLE_NUMBER:,}"
_LONG_NUMBER = re.compile(rb"\d{19,}")


async def refuse_unstorable(request: Request) -> None:
    """A router dependency: 422 naming the parameter or body field that holds a NUL, or a
    whole number beyond 64 bits; neither can be stored."""
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
    # Most bodies hold neither, and are not parsed here.
    if b"\\u0000" not in body and not _LONG_NUMBER.search(body):
        return
    try:
        found = _unstorable(json.loads(body), "")  # json, not orjson: it keeps big ints whole
    except (ValueError, RecursionError):
        return  # not JSON (e.g. a YAML playbook): the operation's own parsing answers
    if found is not None:
        field, problem = found
        raise InvalidInputError(f"{field}: {problem}", field=field)


def _unstorable(value, path: str) -> tuple[str, str] | None:
    if isinstance(value, str):
        return (path or "body", _MESSAGE) if NUL in value else None
    if isinstance(value, int) and not isinstance(value, bool):
        too_large = not -LARGEST_WHOLE_NUMBER - 1 <= value <= LARGEST_WHOLE_NUMBER
        return (path or "body", _TOO_LARGE) if too_large else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{_clean(key)}" if path else _clean(key)
            if NUL in key:
                return where, _MESSAGE
            found = _unstorable(item, where)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _unstorable(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def _clean(name: str) -> str:
    return name.replace(NUL, "\\u0000")
