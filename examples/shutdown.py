"""A worker that finishes its current job and stops when it gets SIGTERM."""

from __future__ import annotations

import signal
from types import FrameType


class Worker:
    def __init__(self) -> None:
        self.stopping = False
        self.done: list[str] = []

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self.on_sigterm)

    def uninstall(self) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def run(self, jobs: list[str]) -> None:
        for job in jobs:
            if self.stopping:
                break
            self.done.append(job)
