"""A small pool of DuckDB cursors on one read-only warehouse, so queries of several threads run at once.

    pool = CursorPool(open_warehouse(path), size=settings.warehouse_cursors, path=path)
    with pool.borrow() as con:   # waits for a free cursor; WarehouseError when the file is gone
        execute(compiled, con, row_cap=..., timeout_s=...)

One DuckDB connection serialises every query behind a lock; ``size`` cursors (connections to the
same database) let DuckDB run up to ``size`` queries in parallel. ``size=1`` is the old behaviour.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from metricqa.assistant.semantic.warehouse import warehouse_cursor
from metricqa.core.errors import WarehouseError
from metricqa.core.messages import Message


class CursorPool:
    """``size`` cursors on ``con``'s database; a thread borrows one for one query and gives it back."""

    def __init__(self, con: duckdb.DuckDBPyConnection, size: int, path: Path) -> None:
        if size < 1:
            raise ValueError(f"a cursor pool needs at least one cursor, not {size}")
        self.path = Path(path)
        self.size = size
        self._free: queue.LifoQueue[duckdb.DuckDBPyConnection] = queue.LifoQueue()
        for _ in range(size):
            self._free.put(warehouse_cursor(con))

    def check_present(self) -> None:
        """WarehouseError when the file was removed under a running server (an open connection would
        otherwise go on answering from the deleted file)."""
        if not self.path.is_file():
            raise WarehouseError(Message("error.warehouse_gone", {"path": str(self.path)}))

    @contextmanager
    def borrow(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.check_present()
        cursor = self._free.get()
        try:
            yield cursor
        finally:
            self._free.put(cursor)

    def close(self) -> None:
        """Close the idle cursors (a borrowed one is closed with its connection)."""
        while True:
            try:
                self._free.get_nowait().close()
            except queue.Empty:
                return
