"""Backpressure: at most ``max_in_flight`` asks run at once, at most ``max_queue`` wait for a slot (each
no longer than ``queue_timeout_s``); any other ask gets 503 with ``Retry-After`` at once, so a burst
is answered or turned away in bounded time instead of piling up behind the proxy's timeout.

Pure ASGI, on the event loop: a waiting request holds no worker thread. ``max_in_flight`` 0 turns it off.
An admitted response says how long it queued and ran: ``Server-Timing: queue;dur=12.5, app;dur=80.1`` (ms).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as ASGIMessage

from metricqa.core.messages import render
from metricqa.core.settings import Settings
from metricqa.integrations.api.errors import accepted_language, error_body

ADMITTED_PATHS = frozenset({"/api/ask"})


@dataclass(frozen=True)
class Limits:
    max_in_flight: int
    max_queue: int
    queue_timeout_s: float
    retry_after_s: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            settings.max_in_flight, settings.max_queue, settings.queue_timeout_s, settings.retry_after_s
        )


class AdmissionMiddleware:
    """Admit, queue or refuse (503 + Retry-After) each request to one of ``paths``."""

    def __init__(self, app: ASGIApp, limits: Limits, paths: frozenset[str] = ADMITTED_PATHS) -> None:
        self.app, self.limits, self.paths = app, limits, paths
        self.running = 0
        self.waiting = 0
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths or self.limits.max_in_flight <= 0:
            await self.app(scope, receive, send)
            return
        arrived = time.perf_counter()
        if not await self._admit():
            await self._refuse(scope, receive, send)
            return
        waited_ms = (time.perf_counter() - arrived) * 1000
        self.running += 1

        async def timed_send(message: ASGIMessage) -> None:
            if message["type"] == "http.response.start":  # how long it queued, and how long it ran
                ran_ms = (time.perf_counter() - arrived) * 1000 - waited_ms
                timing = f"queue;dur={waited_ms:.1f}, app;dur={ran_ms:.1f}".encode()
                message = {**message, "headers": [*message.get("headers", []), (b"server-timing", timing)]}
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            self.running -= 1
            self.slots.release()

    @property
    def slots(self) -> asyncio.Semaphore:
        if self._slots is None:  # made on the serving loop
            self._slots = asyncio.Semaphore(self.limits.max_in_flight)
        return self._slots

    async def _admit(self) -> bool:
        """True once a slot is taken; False when the queue is full or the wait timed out."""
        if not self.slots.locked() and self.waiting == 0:
            await self.slots.acquire()
            return True
        if self.waiting >= self.limits.max_queue:
            return False
        self.waiting += 1
        try:
            await asyncio.wait_for(self.slots.acquire(), timeout=self.limits.queue_timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            self.waiting -= 1

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        retry = self.limits.retry_after_s
        message = render(
            "error.overloaded",
            accepted_language(scope),
            in_flight=self.running,
            queued=self.waiting,
            retry_after_s=retry,
        )
        body = error_body(message, 503, [message], "overloaded")
        response = JSONResponse(body, status_code=503, headers={"Retry-After": str(retry)})
        await response(scope, receive, send)
