"""Audit log durability and session memory."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from metricqa.assistant.audit import AuditLog
from metricqa.assistant.semantic.plan import QueryPlan, TimeRange
from metricqa.assistant.sessions import SessionStore


def test_audit_entries_survive_a_killed_writer(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    AuditLog(log).append({"question": "first", "status": "answered"})
    # A process that writes one entry and is killed while writing a second, torn line.
    code = (
        "import os,sys; from assistant.audit import AuditLog; AuditLog(sys.argv[1]).append({'question': 'second'}); "
        'fd=os.open(sys.argv[1], os.O_WRONLY|os.O_APPEND); os.write(fd, b\'{"question": "torn\'); os.kill(os.getpid(), 9)'
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(log)], cwd=Path(__file__).parent.parent, check=False
    )
    assert proc.returncode != 0
    entries = AuditLog(log).tail(10)
    assert [e["question"] for e in entries] == ["first", "second"]
    AuditLog(log).append({"question": "third"})
    assert [e["question"] for e in AuditLog(log).tail(10)][-1] == "third"


def test_session_store_round_trips_a_plan(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    plan = QueryPlan(metrics=("revenue",), time=TimeRange(start=date(2026, 11, 1), end=date(2026, 11, 20)))
    assert store.previous("s1") is None
    store.remember("s1", plan)
    assert store.previous("s1") == plan
    assert store.previous("s2") is None
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
    assert os.listdir(tmp_path)
