"""Keep one catalog live; a reload that fails keeps the old one and reports why."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from metricqa.catalog.loader import load_catalog
from metricqa.catalog.models import Catalog
from metricqa.core.errors import CatalogError, CatalogIssue


class CatalogStore:
    def __init__(self, root: Path, schema: dict[str, dict[str, str]] | None = None) -> None:
        self.root = Path(root)
        self.schema = schema
        self._lock = threading.Lock()
        self._current = load_catalog(self.root, schema)
        self.last_issues: list[CatalogIssue] = []
        self._listeners: list[Callable[[Catalog], None]] = []

    @property
    def current(self) -> Catalog:
        return self._current

    def on_change(self, listener: Callable[[Catalog], None]) -> None:
        self._listeners.append(listener)

    def reload(self) -> list[CatalogIssue]:
        """Load again. On error the previous catalog stays live and the issues are returned."""
        try:
            fresh = load_catalog(self.root, self.schema)
        except CatalogError as exc:
            self.last_issues = exc.issues
            return exc.issues
        with self._lock:
            changed = fresh.content_hash != self._current.content_hash
            self._current = fresh
        self.last_issues = []
        if changed:
            for listener in self._listeners:
                listener(fresh)
        return []
