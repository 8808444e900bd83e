"""Backpressure: at most max_in_flight asks run, max_queue wait (each at most queue_timeout_s), any other
ask gets 503 with Retry-After; other paths are never queued."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from api_fake_service import FakeAskService
from starlette.types import Receive, Scope, Send

from metricqa.core.settings import Settings
from metricqa.integrations.api.admission import AdmissionMiddleware, Limits
from metricqa.integrations.api.app import create_app


class GatedApp:
    """An ASGI app whose /api/ask answers only once ``gate`` opens; counts how many ran at once."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.running = 0
        self.most = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        if scope["path"] == "/api/ask":
            await self.gate.wait()
        self.running -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def burst(limits: Limits, asks: int, *, open_after_s: float) -> tuple[list[httpx.Response], GatedApp]:
    inner = GatedApp()
    app = AdmissionMiddleware(inner, limits)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        tasks = [asyncio.create_task(client.post("/api/ask")) for _ in range(asks)]
        await asyncio.sleep(0.05)
        health = await client.get("/healthz")  # never queued, even when full
        assert health.status_code == 200
        await asyncio.sleep(open_after_s)
        inner.gate.set()
        return list(await asyncio.gather(*tasks)), inner


def statuses(responses: list[httpx.Response]) -> dict[int, int]:
    out: dict[int, int] = {}
    for r in responses:
        out[r.status_code] = out.get(r.status_code, 0) + 1
    return out


def test_a_full_queue_answers_503_with_retry_after_at_once() -> None:
    limits = Limits(max_in_flight=2, max_queue=3, queue_timeout_s=5.0, retry_after_s=7)
    responses, inner = asyncio.run(burst(limits, 9, open_after_s=0.1))
    assert statuses(responses) == {200: 5, 503: 4}
    assert inner.most <= 2 + 1  # two asks and the health check
    busy = [r for r in responses if r.status_code == 503]
    assert all(r.headers["retry-after"] == "7" for r in busy)
    body: dict[str, Any] = busy[0].json()
    assert body["kind"] == "overloaded" and "max_in_flight" in body["error"]


def test_an_ask_that_waits_too_long_gets_503() -> None:
    limits = Limits(max_in_flight=1, max_queue=5, queue_timeout_s=0.2, retry_after_s=1)
    responses, _ = asyncio.run(burst(limits, 3, open_after_s=0.6))
    assert statuses(responses) == {200: 1, 503: 2}


def test_no_limit_when_max_in_flight_is_0() -> None:
    limits = Limits(max_in_flight=0, max_queue=0, queue_timeout_s=0.1, retry_after_s=1)
    responses, inner = asyncio.run(burst(limits, 12, open_after_s=0.1))
    assert statuses(responses) == {200: 12} and inner.most >= 12


def test_the_app_admits_asks_by_the_settings() -> None:
    settings = Settings(demo_mode=True, max_in_flight=3, max_queue=4, queue_timeout_s=1.5, retry_after_s=2)
    app = create_app(FakeAskService(), settings)
    found = [m for m in app.user_middleware if m.cls is AdmissionMiddleware]
    assert len(found) == 1
    assert found[0].kwargs["limits"] == Limits(3, 4, 1.5, 2)
