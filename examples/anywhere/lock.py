"""A worker that takes a lock around its job, and Ctrl-C.

Python's default SIGINT handler raises KeyboardInterrupt wherever the main
thread is. BuggyWorker.run_job acquires the lock on one line and enters the
``try`` whose ``finally`` releases it on the next: a Ctrl-C in between leaves
the lock held for good, and the next job (a cleanup's) waits forever.

Worker.run_job takes the lock in a ``with`` block: the interpreter enters it
with no line in between where a handler's exception could leave it held.
"""

from __future__ import annotations

import threading


class BuggyWorker:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done = 0

    def run_job(self) -> None:
        self.lock.acquire()
        self.done += 1  # <- unsafe: a KeyboardInterrupt here leaves the lock held
        try:
            self.done += 1
        finally:
            self.lock.release()


class Worker:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done = 0

    def run_job(self) -> None:
        with self.lock:
            self.done += 1
            self.done += 1
