"""Every HTTP request is audited: answered, refused, failed and unauthenticated, never with secrets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_fake_service import FakeAskService
from fastapi.testclient import TestClient

from metricqa.assistant.audit import verify_chain
from metricqa.core.settings import Settings
from metricqa.integrations.api.app import create_app
from metricqa.integrations.api.request_audit import error_kind

KEY = "audit-api-key-0000001"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "keys.yaml").write_text(
        f"keys:\n  - {{key: {KEY}, user: wang, role: regional_manager, scope: {{region: EAST}}}}\n"
    )
    return tmp_path


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    settings = Settings(home=home, api_keys_file=home / "keys.yaml", max_question_chars=100)
    with TestClient(create_app(FakeAskService(), settings), raise_server_exceptions=False) as c:
        yield c


def http_entries(home: Path) -> list[dict[str, Any]]:
    lines = (home / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    return [e for e in map(json.loads, lines) if e.get("event") == "http"]


def test_each_request_is_one_entry_with_status_user_and_error(client: TestClient, home: Path) -> None:
    key = {"X-API-Key": KEY}
    answered = client.post("/api/ask", json={"question": "revenue by region"}, headers=key)
    chart = answered.json()["chart"]["url"]
    client.get(chart, headers=key)
    client.post("/api/ask", json={"question": "revenue"})  # no key
    client.post(
        "/api/ask", json={"question": "revenue"}, headers={"Authorization": "Bearer wrong-key-123456"}
    )
    client.post("/api/ask", content=b"x" * 70_000, headers=key)  # over the body limit
    client.post("/api/ask", json={"question": "boom"}, headers=key)  # the service fails
    client.get(chart.split("?")[0], headers=key)  # unsigned chart link
    client.get("/api/metrics/nope", headers=key)
    client.get("/no/such/route")
    got = [
        (e["method"], e["path"].split("/api/charts/")[0], e["status"], e["user"], e["error"])
        for e in http_entries(home)
    ]
    assert got == [
        ("POST", "/api/ask", 200, "api:wang", None),
        ("GET", "", 200, "api:wang", None),
        ("POST", "/api/ask", 401, "anonymous", "unauthorized"),
        ("POST", "/api/ask", 401, "anonymous", "unauthorized"),
        ("POST", "/api/ask", 413, "api:wang", "body_too_large"),
        ("POST", "/api/ask", 500, "api:wang", "internal_error"),
        ("GET", "", 403, "api:wang", "chart_link"),
        ("GET", "/api/metrics/nope", 404, "api:wang", "unknown_metric"),
        ("GET", "/no/such/route", 404, "anonymous", "http_error"),
    ]
    assert all(e["duration_ms"] >= 0 and e["client"] for e in http_entries(home))
    text = (home / "audit.jsonl").read_text(encoding="utf-8")
    assert KEY not in text and "wrong-key" not in text and "Bearer" not in text and "sig=" not in text
    assert verify_chain(home / "audit.jsonl").ok


def test_api_and_answer_entries_share_one_chain(client: TestClient, home: Path) -> None:
    for _ in range(3):
        client.get("/healthz")
    report = verify_chain(home / "audit.jsonl")
    assert report.ok and report.entries == 3


def test_demo_requests_are_audited_as_the_demo_asker(home: Path) -> None:
    settings = Settings(home=home, demo_mode=True)
    with TestClient(create_app(FakeAskService(), settings)) as c:
        c.post("/api/ask", json={"question": "revenue by region"})
    assert [e["user"] for e in http_entries(home)] == ["api:demo"]


@pytest.mark.parametrize(
    "status,body,kind",
    [(200, b"", None), (404, b'{"kind": "not_found"}', "not_found"), (502, b"<html>", "http_502")],
)
def test_error_kind(status: int, body: bytes, kind: str | None) -> None:
    assert error_kind(status, body) == kind
