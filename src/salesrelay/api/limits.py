"""Refuse oversized request bodies before they are read into memory, bound the requests
inside the app at once, and hold each API key to its request rate."""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time


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

    Probes (/healthz, /readyz, /metrics) never wait: they only read, so they cannot hold up
    a writer, and a saturated server must still say how it is.
    """

    UNLIMITED = frozenset({"/healthz", "/readyz", "/metrics"})

    def __init__(self, app, *, limit: int):
        self.app = app
        self.limit = limit
        self._semaphore: asyncio.Semaphore | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] in self.UNLIMITED:
            await self.app(scope, receive, send)
            return
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.limit)
        async with self._semaphore:
            await self.app(scope, receive, send)


class TokenBuckets:
    """Per-process request rates: one bucket per name (an API key's id), refilled at `rate`
    tokens a second up to `burst`; each request takes one. O(1) per request, no database.

    Several server processes each keep their own buckets, so a key may reach N times the
    rate across N processes; the limit is there to stop a runaway integration, not to bill.
    """

    def __init__(self, *, rate: float, burst: int, clock=time.monotonic):
        self.rate = rate
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[object, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, name: object) -> int:
        """0 when a request may go now; otherwise the whole seconds until one may."""
        if self.rate <= 0:
            return 0
        now = self.clock()
        with self._lock:
            tokens, since = self._buckets.get(name, (self.burst, now))
            tokens = min(self.burst, tokens + (now - since) * self.rate)
            if tokens >= 1:
                self._buckets[name] = (tokens - 1, now)
                return 0
            self._buckets[name] = (tokens, now)
        return max(1, math.ceil((1 - tokens) / self.rate))


class KeyRateLimits:
    """The buckets for intake keys and for every other key (read, write, admin)."""

    def __init__(self, settings):
        self.intake = TokenBuckets(
            rate=settings.intake_key_rate_per_second, burst=settings.intake_key_burst
        )
        self.other = TokenBuckets(
            rate=settings.api_key_rate_per_second, burst=settings.api_key_burst
        )

    def wait_for(self, *, key_id: int, scope: str) -> int:
        return (self.intake if scope == "intake" else self.other).take(key_id)
