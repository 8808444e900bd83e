"""The shared query watchdog interrupts what outlives its deadline, and nothing that finished in time."""

from __future__ import annotations

import time

from metricqa.assistant.semantic.watchdog import Watchdog


class Target:
    def __init__(self) -> None:
        self.interrupted = 0

    def interrupt(self) -> None:
        self.interrupted += 1


def test_a_query_past_its_deadline_is_interrupted_once() -> None:
    dog, slow = Watchdog(), Target()
    ticket = dog.watch(slow, 0.05)
    assert ticket.fired.wait(2)
    time.sleep(0.05)
    assert slow.interrupted == 1
    dog.done(ticket)


def test_a_query_that_finished_in_time_is_left_alone_among_others() -> None:
    dog, quick, slow = Watchdog(), Target(), Target()
    early = dog.watch(quick, 0.05)
    late = dog.watch(slow, 0.1)
    dog.done(early)
    assert late.fired.wait(2)
    time.sleep(0.1)
    assert (quick.interrupted, slow.interrupted) == (0, 1)
    assert not early.fired.is_set()
