"""SIGUSR1 at every line of record(): the handler never waits for a lock
its own thread holds, and every dump asked for is made.

A handler still running after ``timeout`` seconds is interrupted, and that
run fails: here, the buggy handler's wait for the lock.
"""

import signal

import pytest
from handler_deadlock import BuggyStats, Stats

from pytest_signals import SignalAnywhereFailure


def count_requests(stats):
    previous = signal.signal(signal.SIGUSR1, stats.on_sigusr1)
    try:
        for name in ("get", "put", "get"):
            stats.record(name)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert stats.counts == {"get": 2, "put": 1}
    assert len(stats.dumps) == stats.asked, f"{stats.asked} dump(s) asked for, {len(stats.dumps)} made"


@pytest.mark.xfail(raises=SignalAnywhereFailure, strict=True, reason="the bug signal_anywhere finds")
def test_buggy_stats(signal_anywhere):
    signal_anywhere(signal.SIGUSR1, lambda: count_requests(BuggyStats()), timeout=0.5)


def test_stats(signal_anywhere):
    exploration = signal_anywhere(signal.SIGUSR1, lambda: count_requests(Stats()), timeout=0.5)
    # Among the points: the one inside the lock, where the dump has to wait.
    assert any(point.source.startswith("self.counts[name]") for point in exploration.explored)
