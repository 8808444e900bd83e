"""Conversation context: the last plan per session id, kept on disk so CLI calls can follow up."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

from metricqa.assistant.semantic.plan import QueryPlan


class SessionStore:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _path(self, session_id: str) -> Path:
        digest = hashlib.sha256(session_id.encode("utf-8")).hexdigest()[:24]
        return self.directory / f"{digest}.json"

    def previous(self, session_id: str | None) -> QueryPlan | None:
        if not session_id:
            return None
        path = self._path(session_id)
        if not path.exists():
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
