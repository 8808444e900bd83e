"""Conversation context: the last plan per session id, kept on disk so CLI calls can follow up.

A session expires ``ttl`` after its last question (setting ``session_ttl_hours``): an expired one is
a new conversation, and its file is removed when next read or by ``prune``."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path

from metricqa.assistant.semantic.plan import QueryPlan


class SessionStore:
    def __init__(self, directory: Path, ttl_s: float = 24 * 3600) -> None:
        self.directory = Path(directory)
        self.ttl_s = ttl_s

    def _expired(self, path: Path, now: float) -> bool:
        try:
            return now - path.stat().st_mtime > self.ttl_s
        except FileNotFoundError:
            return True

    def prune(self, now: float | None = None) -> int:
        """Remove every expired session file; returns how many."""
        now = time.time() if now is None else now
        gone = 0
        for path in self.directory.glob("*.json") if self.directory.is_dir() else []:
            if self._expired(path, now):
                path.unlink(missing_ok=True)
                gone += 1
        return gone

    def _path(self, session_id: str) -> Path:
        digest = hashlib.sha256(session_id.encode("utf-8")).hexdigest()[:24]
        return self.directory / f"{digest}.json"

    def previous(self, session_id: str | None) -> QueryPlan | None:
        if not session_id:
            return None
        path = self._path(session_id)
        if not path.exists():
            return None
        if self._expired(path, time.time()):
            path.unlink(missing_ok=True)
            return None
        try:
            return QueryPlan.model_validate(json.loads(path.read_text(encoding="utf-8"))["plan"])
        except (ValueError, KeyError):
            return None

    def remember(self, session_id: str | None, plan: QueryPlan) -> None:
        if not session_id:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(session_id)
        tmp = path.with_suffix(
            f".{os.getpid()}.{threading.get_ident()}.tmp"
        )  # concurrent writers never share it
        tmp.write_text(
            json.dumps({"session": session_id, "plan": plan.model_dump(mode="json")}), encoding="utf-8"
        )
        os.replace(tmp, path)
