"""A store that writes each record in two parts, and a SIGTERM that exits.

The classic SIGTERM handler calls ``sys.exit()``: SystemExit is raised
wherever the main thread is, and ``finally`` blocks and ``with`` statements
run on the way out. BuggyStore.put appends the key, then the value: a SIGTERM
between the two leaves a key without its value, and the store is torn for
whoever reads it next (an ``atexit`` hook that saves it, the next run).

Store.put blocks SIGTERM for the two appends. A SIGTERM that comes meanwhile
waits, pending, and the handler runs the moment the old mask is back: after
the record is whole.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType


def exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    sys.exit(128 + signum)


class BuggyStore:
    def __init__(self) -> None:
        self.keys: list[str] = []
        self.values: list[int] = []

    def put(self, key: str, value: int) -> None:
        self.keys.append(key)
        self.values.append(value)  # <- unsafe: a SIGTERM here leaves a key without its value


class Store:
    def __init__(self) -> None:
        self.keys: list[str] = []
        self.values: list[int] = []

    def put(self, key: str, value: int) -> None:
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        try:
            self.keys.append(key)
            self.values.append(value)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a pending SIGTERM is handled here
