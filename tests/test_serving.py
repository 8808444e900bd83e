"""The serving state: leases, atomic swaps, reloads that keep the old state on failure, the triggers
(admin endpoint, file watcher), on the support-desk warehouse and catalog (not the demo)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from desk_fixture import build_desk
from fastapi.testclient import TestClient

from metricqa.catalog.loader import load_catalog
from metricqa.core.errors import CatalogError
from metricqa.core.settings import Settings
from metricqa.integrations.api.app import create_app
from metricqa.integrations.auth import parse_api_keys
from metricqa.integrations.reload_triggers import FileWatcher, signature, watched_paths
from metricqa.integrations.serving import (
    LiveState,
    ServingState,
    build_state,
    problem_lines,
    reloader,
)

ADMIN, PLAIN = "admin-key-0123456789", "plain-key-0123456789"
KEYS = f"""keys:
  - {{key: "{ADMIN}", user: ops, role: exec, admin: true}}
  - {{key: "{PLAIN}", user: boss, role: exec}}
"""


class ClosingService:
    """Just enough service to see when a state is closed."""

    def __init__(self, name: str) -> None:
        self.name, self.closed = name, False

    def close(self) -> None:
        self.closed = True


def state(name: str, generation: int) -> ServingState:
    return ServingState(service=ClosingService(name), generation=generation)  # type: ignore[arg-type]


def test_a_request_finishes_on_the_state_it_started_on() -> None:
    old, new = state("old", 1), state("new", 2)
    live = LiveState(old)
    with live.lease() as taken:
        live.swap(new)
        assert live.current is new and taken is old
        assert not old.service.closed  # type: ignore[attr-defined]  # still in use
    assert old.service.closed  # type: ignore[attr-defined]  # closed with its last lease
    with live.lease() as taken:
        assert taken is new
    assert not new.service.closed  # type: ignore[attr-defined]


def test_an_idle_state_closes_at_the_swap() -> None:
    old = state("old", 1)
    live = LiveState(old)
    live.swap(state("new", 2))
    assert old.service.closed  # type: ignore[attr-defined]


def test_a_failed_rebuild_keeps_the_old_state_and_says_why() -> None:
    old = state("old", 1)

    def rebuild(generation: int, previous: ServingState) -> ServingState:
        raise ValueError("the catalog went missing")

    live = LiveState(old, rebuild=rebuild)
    outcome = live.reload()
    assert not outcome.ok and outcome.generation == 1 and live.current is old
    assert outcome.problems == ("ValueError: the catalog went missing",)
    assert not old.service.closed  # type: ignore[attr-defined]


def test_a_state_without_rebuild_does_not_reload() -> None:
    live = LiveState(state("only", 1))
    outcome = live.reload()
    assert not outcome.ok and not live.reloadable and outcome.problems


def test_catalog_problems_name_file_line_and_field(tmp_path: Path) -> None:
    catalog, _ = build_desk(tmp_path)
    path = catalog / "catalog.yaml"
    path.write_text(
        path.read_text().replace("agg: sum, expr: b.open_count", "agg: total, expr: b.open_count")
    )
    with pytest.raises(CatalogError) as caught:
        load_catalog(catalog)
    lines = problem_lines(caught.value)
    assert lines and all(line.startswith("ERROR: ") for line in lines)
    assert any(f"in file `{path}` on line #" in line and "field `agg`" in line for line in lines)


@pytest.fixture
def desk_settings(tmp_path: Path) -> Settings:
    catalog, warehouse = build_desk(tmp_path)
    keys = tmp_path / "keys.yaml"
    keys.write_text(KEYS, encoding="utf-8")
    return Settings(
        home=tmp_path / "home", catalog=catalog, warehouse=warehouse, api_keys_file=keys, embedder="hash"
    )


@pytest.fixture
def live(desk_settings: Settings) -> Iterator[LiveState]:
    live = LiveState(build_state(desk_settings), rebuild=reloader(desk_settings))
    yield live
    live.current.service.close()  # type: ignore[attr-defined]


def test_a_scope_value_that_is_no_member_fails_the_reload(live: LiveState, desk_settings: Settings) -> None:
    assert desk_settings.api_keys_file is not None
    bad = KEYS + '  - {key: "scoped-key-0123456789", user: lead, role: exec, scope: {priority: urgent}}\n'
    desk_settings.api_keys_file.write_text(bad, encoding="utf-8")
    outcome = live.reload()
    assert not outcome.ok and live.current.generation == 1
    assert any("the API keys file" in line for line in outcome.problems), outcome.problems


def test_the_new_state_keeps_the_audit_log_and_sessions(live: LiveState) -> None:
    before: Any = live.current.service
    assert live.reload().ok
    after: Any = live.current.service
    assert after is not before and after.audit is before.audit and after.sessions is before.sessions


def client_for(live: LiveState, settings: Settings) -> TestClient:
    return TestClient(create_app(live.current.service, settings, live=live))


def test_the_admin_endpoint_needs_an_admin_key(live: LiveState, desk_settings: Settings) -> None:
    client = client_for(live, desk_settings)
    assert client.post("/api/admin/reload").status_code == 401
    assert client.post("/api/admin/reload", headers={"X-API-Key": "wrong-key-0123456789"}).status_code == 401
    denied = client.post("/api/admin/reload", headers={"X-API-Key": PLAIN})
    assert denied.status_code == 403 and denied.json()["kind"] == "forbidden"
    ok = client.post("/api/admin/reload", headers={"X-API-Key": ADMIN})
    assert ok.status_code == 200 and ok.json()["generation"] == 2 and live.current.generation == 2


def test_the_admin_endpoint_reports_a_failed_reload_in_chinese(
    live: LiveState, desk_settings: Settings
) -> None:
    assert desk_settings.catalog is not None
    path = desk_settings.catalog / "catalog.yaml"
    path.write_text(path.read_text().replace("roles:", "rolez:"), encoding="utf-8")
    client = client_for(live, desk_settings)
    resp = client.post("/api/admin/reload?language=zh", headers={"X-API-Key": ADMIN})
    body = resp.json()
    assert (
        resp.status_code == 422
        and body["kind"] == "reload_failed"
        and body["error"].startswith("重新加载失败")
    )
    assert any(str(path) in line for line in body["errors"])
    asked = client.post("/api/ask", json={"question": "how many tickets"}, headers={"X-API-Key": PLAIN})
    assert asked.status_code == 200 and asked.json()["status"] == "answered"  # the old state serves


def test_admin_is_a_field_of_the_keys_file() -> None:
    store = parse_api_keys({"keys": [{"key": ADMIN, "user": "ops", "role": "exec", "admin": True}]})
    entry = store.entry_for(ADMIN)
    assert entry is not None and entry.admin
    assert store.entry_for(PLAIN) is None


def test_the_watcher_reloads_when_a_watched_file_changes(live: LiveState, desk_settings: Settings) -> None:
    paths = watched_paths(desk_settings)
    assert desk_settings.resolved_warehouse() in paths and desk_settings.api_keys_file in paths
    assert any(p.name == "catalog.yaml" for p in paths)
    watcher = FileWatcher(live, desk_settings, interval_s=0.05)
    watcher.start()
    try:
        assert desk_settings.api_keys_file is not None
        desk_settings.api_keys_file.write_text(KEYS.replace("user: boss", "user: chief"), encoding="utf-8")
        reloaded = threading.Event()
        for _ in range(200):
            if live.current.generation == 2:
                reloaded.set()
                break
            threading.Event().wait(0.05)
        assert reloaded.is_set(), "the watcher did not reload"
        assert live.current.keys.entry_for(PLAIN) is not None
        assert live.current.keys.entry_for(PLAIN).user == "chief"  # type: ignore[union-attr]
        assert watcher.seen == signature(desk_settings)
    finally:
        watcher.stop()
        watcher.join(timeout=5)


def test_slack_answers_from_the_reloaded_users_file() -> None:
    from api_fake_service import FakeAskService

    from metricqa.integrations.slack_app import SlackResponder
    from metricqa.integrations.slack_users import SlackAccessError, parse_slack_users

    service = FakeAskService()
    nobody = parse_slack_users({"users": {}})
    live = LiveState(ServingState(service=service, slack_users=nobody))  # type: ignore[arg-type]
    responder = SlackResponder(service, Settings(), nobody, live=live)  # type: ignore[arg-type]
    with pytest.raises(SlackAccessError):
        responder.ask("revenue by region", "U42", "slack:C1:1")
    mapped = parse_slack_users({"users": {"U42": {"role": "exec"}}})
    live.swap(ServingState(service=service, slack_users=mapped, generation=2))  # type: ignore[arg-type]
    assert responder.ask("revenue by region", "U42", "slack:C1:1").status == "answered"


def test_sighup_reloads_in_the_background(live: LiveState) -> None:
    import os
    import signal

    from metricqa.integrations.reload_triggers import install_sighup

    before = signal.getsignal(signal.SIGHUP)
    try:
        assert install_sighup(live)
        os.kill(os.getpid(), signal.SIGHUP)  # the handler only starts a thread: this process lives on
        for _ in range(200):
            if live.last is not None:  # the outcome is recorded once the reload is done
                break
            threading.Event().wait(0.05)
        assert live.last is not None and live.last.ok and live.current.generation == 2
    finally:
        signal.signal(signal.SIGHUP, before)
