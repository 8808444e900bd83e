"""One daemon thread that interrupts queries running past their deadline.

A timer thread per query costs a thread start (a few hundred microseconds, a tenth of a small query);
one long-lived thread keeps the deadlines in a heap instead. ``watch`` registers a deadline and returns
a ticket; ``done`` removes it; a query still running at its deadline gets ``interrupt()`` and its
ticket's ``fired`` is set, so the caller can tell a timeout from any other error.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol


class Interruptible(Protocol):
    def interrupt(self) -> None: ...


@dataclass
class Ticket:
    deadline: float
    target: Interruptible
    fired: threading.Event = field(default_factory=threading.Event)
    finished: bool = False


class Watchdog:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Ticket]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, target: Interruptible, timeout_s: float) -> Ticket:
        ticket = Ticket(time.monotonic() + timeout_s, target)
        with self._cond:
            heapq.heappush(self._heap, (ticket.deadline, next(self._order), ticket))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="metricqa-query-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()
        return ticket

    def done(self, ticket: Ticket) -> None:
        """The query ended: its deadline no longer applies (its heap entry is dropped when it comes up)."""
        with self._cond:
            ticket.finished = True

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].finished:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, _, ticket = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
                ticket.fired.set()
                ticket.target.interrupt()


WATCHDOG = Watchdog()
