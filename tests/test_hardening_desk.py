"""The hardening on a warehouse and catalog that are not the demo (tests/desk_fixture.py): the real
assistant behind the API, its chart links bound to the asker, every request and answer in one
rotating, verifiable audit chain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from desk_fixture import build_desk
from fastapi.testclient import TestClient

from metricqa.assistant.audit import rotated_files, verify_chain
from metricqa.assistant.pipeline import Assistant
from metricqa.core.settings import Settings
from metricqa.integrations.api.app import create_app

AGENT = "desk-agent-key-000001"
LEAD = "desk-lead-key-0000002"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path]]:
    root = tmp_path_factory.mktemp("desk_hardening")
    catalog, warehouse = build_desk(root)
    home = root / "home"
    home.mkdir()
    (home / "keys.yaml").write_text(
        f"keys:\n  - {{key: {AGENT}, user: agent, role: exec}}\n  - {{key: {LEAD}, user: lead, role: exec}}\n"
    )
    settings = Settings(
        home=home,
        warehouse=warehouse,
        catalog=catalog,
        api_keys_file=home / "keys.yaml",
        audit_max_bytes=4000,
    )
    assistant = Assistant.from_settings(settings)
    with TestClient(create_app(assistant, settings)) as client:
        yield client, settings.resolved_audit_log()
    assistant.close()


def test_desk_chart_links_work_for_their_asker_only(desk: tuple[TestClient, Path]) -> None:
    client, _ = desk
    resp = client.post(
        "/api/ask", json={"question": "how many tickets by priority"}, headers={"X-API-Key": AGENT}
    )
    body = resp.json()
    assert body["status"] == "answered", body["answer"]
    url = body["chart"]["url"]
    assert client.get(url, headers={"X-API-Key": AGENT}).status_code == 200
    other = client.get(url, headers={"X-API-Key": LEAD})  # same role, another person
    assert other.status_code == 403 and other.json()["kind"] == "chart_link"


def test_desk_answers_and_requests_share_one_rotating_chain(desk: tuple[TestClient, Path]) -> None:
    client, log = desk
    for question in ("how many tickets by priority", "各优先级工单数", "tickets opened"):
        client.post("/api/ask", json={"question": question}, headers={"X-API-Key": AGENT})
    client.post("/api/ask", json={"question": "tickets"})  # unauthenticated
    report = verify_chain(log)
    assert report.ok, report
    assert rotated_files(log), "4000 bytes hold a few entries: the log rotated"
    events = [
        json.loads(line).get("event")
        for path in report.files
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert events.count("ask") >= 3 and events.count("http") >= 5
    assert AGENT not in "".join(p.read_text(encoding="utf-8") for p in report.files)
