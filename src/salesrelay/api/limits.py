"""Refuse oversized request bodies before they are read into memory."""

from __future__ import annotations

import asyncio
import json


class BodySizeLimit:
    """Pure ASGI middleware: 413 when Content-Length, or the streamed body, passes the limit."""

    def __init__(self, app, *, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    await self._refuse(send)
                    return
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send) -> None:
        body = json.dumps(
            {"detail": f"request body too large; the limit is {self.max_bytes} bytes", "errors": []}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class ConcurrencyLimit:
    """At most `limit` requests inside the application at once; the rest wait, without a thread.

    Handlers run in a thread pool, and a request's session is committed by its dependency's
    teardown, which needs a thread of its own. If every thread were waiting for SQLite's write
    lock, the request holding it could never commit; waiting here, asynchronously, keeps
    threads free for the requests already inside.
    """

    def __init__(self, app, *, limit: int):
        self.app = app
        self.limit = limit
        self._semaphore: asyncio.Semaphore | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.limit)
        async with self._semaphore:
            await self.app(scope, receive, send)
