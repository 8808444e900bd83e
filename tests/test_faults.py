"""Fault injection against a real ``metricqa serve`` subprocess (loopback port, temp METRICQA_HOME) on the
support-desk warehouse and catalog (not the demo): a catalog broken under the running server, keys
rotated, the warehouse replaced and removed, kill -9 in the middle of a load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest
from desk_fixture import build_desk
from serve_process import ADMIN, BOSS, KEYS, TEMP, ServerProcess, wait_for

QUESTION = "how many tickets"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    catalog, warehouse = build_desk(tmp_path)
    keys = tmp_path / "api_keys.yaml"
    keys.write_text(KEYS, encoding="utf-8")
    proc = ServerProcess(tmp_path, catalog, warehouse, keys).start()
    yield proc
    proc.stop()


def tickets(answer: dict[str, object]) -> object:
    assert answer["status"] == "answered", answer
    rows, columns = answer["rows"], answer["columns"]
    assert isinstance(rows, list) and isinstance(columns, list)
    return rows[0][columns.index("tickets_opened")]


def count_in(warehouse: Path, where: str = "TRUE") -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = con.execute(f"SELECT count(*) FROM tickets WHERE {where}").fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0])


def catalog_file(server: ServerProcess) -> Path:
    return server.root / "catalog" / "catalog.yaml"


def test_a_broken_catalog_keeps_old_answers_and_a_fixed_one_answers_anew(server: ServerProcess) -> None:
    warehouse = server.root / "desk.duckdb"
    before = tickets(server.answer(QUESTION))
    assert before == count_in(warehouse)
    path = catalog_file(server)
    good = path.read_text(encoding="utf-8")
    path.write_text(
        good.replace("agg: count, expr: t.ticket_id}", "agg: countt, expr: t.ticket_id}"), "utf-8"
    )
    logged = server.hup("reload failed")
    assert f"in file `{path}` on line #" in logged and "field `agg`" in logged, logged
    assert tickets(server.answer(QUESTION)) == before  # the old catalog goes on serving
    high_only = "{id: opened, model: tickets, agg: count, expr: t.ticket_id, where: \"t.priority = 'high'\"}"
    path.write_text(
        good.replace("{id: opened, model: tickets, agg: count, expr: t.ticket_id}", high_only), "utf-8"
    )
    server.hup("reloaded: generation 2")
    after = tickets(server.answer(QUESTION))
    assert after == count_in(warehouse, "priority = 'high'") and after != before


def test_a_removed_key_is_refused_after_a_reload(server: ServerProcess) -> None:
    assert server.ask(QUESTION, TEMP).status_code == 200
    keys = server.root / "api_keys.yaml"
    keys.write_text("\n".join(line for line in KEYS.splitlines() if "temp" not in line) + "\n", "utf-8")
    assert server.ask(QUESTION, TEMP).status_code == 200  # nothing reloads by itself
    assert server.reload(BOSS).status_code == 403  # not an admin key
    resp = server.reload(ADMIN)
    assert resp.status_code == 200 and resp.json()["generation"] == 2, resp.text
    refused = server.ask(QUESTION, TEMP)
    assert refused.status_code == 401 and refused.json()["kind"] == "unauthorized"
    assert server.ask(QUESTION, BOSS).status_code == 200


def test_a_broken_keys_file_fails_the_reload_and_the_old_keys_stay(server: ServerProcess) -> None:
    keys = server.root / "api_keys.yaml"
    keys.write_text(KEYS.replace("role: exec}", "role: nobody}", 1), "utf-8")
    resp = server.reload()
    assert resp.status_code == 422 and resp.json()["kind"] == "reload_failed"
    assert "boss: nobody" in " ".join(resp.json()["errors"])
    assert server.ask(QUESTION, TEMP).status_code == 200


def test_a_replaced_warehouse_answers_new_numbers_after_a_reload(server: ServerProcess) -> None:
    warehouse = server.root / "desk.duckdb"
    old = tickets(server.answer(QUESTION))
    fresh_root = server.root / "fresh"
    fresh_root.mkdir()
    _, fresh = build_desk(fresh_root)
    con = duckdb.connect(str(fresh))
    con.execute("INSERT INTO tickets SELECT ticket_id + 10000, opened_at, closed_at, priority FROM tickets")
    con.close()
    os.replace(fresh, warehouse)
    assert tickets(server.answer(QUESTION)) == old  # still the file it opened, until a reload
    assert server.reload().status_code == 200
    new = tickets(server.answer(QUESTION))
    assert new == count_in(warehouse) == 2 * old


def test_a_removed_warehouse_is_not_ready_and_asks_fail_clearly(server: ServerProcess) -> None:
    warehouse = server.root / "desk.duckdb"
    kept = warehouse.with_suffix(".kept")
    os.replace(warehouse, kept)
    ready = httpx.get(server.url + "/readyz", timeout=10)
    assert ready.status_code == 503 and str(warehouse) in " ".join(ready.json()["warnings"])
    answer = server.answer(QUESTION)
    assert answer["status"] == "refused" and answer["reason_code"] == "warehouse_unavailable"
    assert str(warehouse) in str(answer["answer"]) and "Traceback" not in json.dumps(answer)
    failed = server.reload()
    assert failed.status_code == 422 and str(warehouse) in failed.json()["error"]
    os.replace(kept, warehouse)
    assert server.reload().status_code == 200
    assert httpx.get(server.url + "/readyz", timeout=10).status_code == 200
    assert tickets(server.answer(QUESTION)) == count_in(warehouse)


def audit_verify(audit: Path) -> subprocess.CompletedProcess[str]:
    """``metricqa audit verify`` on the server's log, as an operator runs it after a crash."""
    cmd = [sys.executable, "-m", "metricqa", "audit", "verify", "--path", str(audit)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


def asked_entries(audit: Path) -> list[dict[str, object]]:
    """The complete entries of asks answered by the pipeline (a torn last line is skipped)."""
    out = []
    for line in audit.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("question") == QUESTION:
            out.append(entry)
    return out


def test_kill_9_mid_load_leaves_a_readable_audit_log(server: ServerProcess) -> None:
    stop = threading.Event()
    answered: list[int] = []

    def load() -> None:
        with httpx.Client(base_url=server.url, headers={"X-API-Key": BOSS}, timeout=10) as client:
            while not stop.is_set():
                try:
                    answered.append(client.post("/api/ask", json={"question": QUESTION}).status_code)
                except httpx.HTTPError:
                    return  # the server is gone

    threads = [threading.Thread(target=load) for _ in range(6)]
    for thread in threads:
        thread.start()
    audit = server.root / "home" / "audit.jsonl"
    wait_for(lambda: len(answered) >= 12, 60, "a dozen answers under load")
    server.kill9()
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    after_kill = audit_verify(audit)
    torn_at_end = after_kill.returncode == 1 and "torn" in after_kill.stdout + after_kill.stderr
    assert after_kill.returncode == 0 or torn_at_end, after_kill.stdout + after_kill.stderr
    assert len(asked_entries(audit)) >= 12
    server.start()  # the same home: the restart appends after whatever the kill left
    assert tickets(server.answer(QUESTION)) == count_in(server.root / "desk.duckdb")
    verified = audit_verify(audit)
    assert verified.returncode == 0, (
        verified.stdout + verified.stderr
    )  # a torn write is repaired, the chain whole
    assert asked_entries(audit)[-1]["status"] == "answered"


def test_reloads_under_load_drop_no_request(server: ServerProcess) -> None:
    stop = threading.Event()
    seen: list[tuple[int, str]] = []

    def load() -> None:
        with httpx.Client(base_url=server.url, headers={"X-API-Key": BOSS}, timeout=30) as client:
            while not stop.is_set():
                resp = client.post("/api/ask", json={"question": QUESTION})
                seen.append((resp.status_code, resp.json().get("status", resp.json().get("kind"))))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        generations = [server.reload().json()["generation"] for _ in range(3)]
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert generations == [2, 3, 4]
    assert seen and set(seen) <= {(200, "answered"), (503, "overloaded")}, set(seen)
    assert (200, "answered") in seen
