"""A handler that takes a lock the code it interrupted holds.

SIGUSR1 asks for a dump of the counters. BuggyStats' handler takes the
counters' lock to copy them, but the handler runs in the main thread, between
two lines of whatever it was doing: when that was record(), inside its
``with self.lock``, the lock is held by the very thread now waiting for it,
and it waits forever.

Stats' handler only tries the lock. When the lock is busy it leaves the dump
to record(), which makes it once it has let the lock go.
"""

from __future__ import annotations

import threading
from types import FrameType


class BuggyStats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self.dumps: list[dict[str, int]] = []
        self.asked = 0

    def on_sigusr1(self, signum: int, frame: FrameType | None) -> None:
        self.asked += 1
        with self.lock:
            self.dumps.append(dict(self.counts))

    def record(self, name: str) -> None:
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1  # <- unsafe: the handler waits for this lock forever


class Stats(BuggyStats):
    def __init__(self) -> None:
        super().__init__()
        self.deferred = False

    def on_sigusr1(self, signum: int, frame: FrameType | None) -> None:
        self.asked += 1
        if not self.lock.acquire(blocking=False):
            self.deferred = True  # record() is inside the lock: it dumps once it lets go
            return
        try:
            self.dumps.append(dict(self.counts))
        finally:
            self.lock.release()

    def record(self, name: str) -> None:
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1
        if self.deferred:
            self.deferred = False
            with self.lock:
                self.dumps.append(dict(self.counts))
