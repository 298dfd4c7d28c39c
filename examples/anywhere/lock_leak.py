"""A ledger that holds a lock while it moves money, and Ctrl-C.

Python's default SIGINT handler raises KeyboardInterrupt wherever the main
thread is. BuggyLedger.transfer takes its lock and debits before it enters the
``try`` whose ``finally`` lets the lock go: a Ctrl-C in between leaves the
lock held (the next transfer, a cleanup's, waits forever) and the money
debited but never credited.

Ledger's SIGINT handler only notes the Ctrl-C, and transfer() raises
KeyboardInterrupt itself, before it starts, where nothing is half done.
"""

from __future__ import annotations

import threading
from types import FrameType


class BuggyLedger:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.balances = {"alice": 100, "bob": 0}

    def transfer(self, source: str, target: str, amount: int) -> None:
        self.lock.acquire()
        self.balances[source] -= amount  # <- unsafe: a KeyboardInterrupt here leaves the lock held
        try:
            self.balances[target] += amount
        finally:
            self.lock.release()


class Ledger:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.balances = {"alice": 100, "bob": 0}
        self.interrupted = False

    def on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self.interrupted = True  # nothing else: transfer() stops where it is safe to

    def transfer(self, source: str, target: str, amount: int) -> None:
        if self.interrupted:
            raise KeyboardInterrupt
        with self.lock:
            self.balances[source] -= amount
            self.balances[target] += amount
