"""Where spawned children are kept from outliving pytest.

Teardown stops every child a test left running. That cannot help when pytest
itself dies without tearing down: SIGKILL from a CI timeout, the OOM killer.
So the first ``spawn`` of a process starts a keeper: a tiny Python process in
a session of its own, whose stdin is a pipe from pytest. pytest writes each
child's process group to it (``+pgid``) and takes it back once the group was
stopped and reaped (``-pgid``). When pytest dies, however it dies, the kernel
closes the pipe; the keeper reads end of file, sends SIGKILL to every group
still listed (the child and any grandchild that stayed in its group) and exits.

Why not the parent-death signal (``PR_SET_PDEATHSIG``) on Linux: it is not
inherited across fork, so grandchildren would survive; it fires when the
*thread* that forked exits, not the process; and it cannot be set through
``posix_spawn``. The pipe works the same on Linux and macOS.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

_KEEPER = r"""
import os, signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
groups, pending = set(), b""
while True:
    data = os.read(0, 4096)
    if not data:
        break
    *lines, pending = (pending + data).split(b"\n")
    for line in lines:
        (groups.add if line[:1] == b"+" else groups.discard)(int(line[1:]))
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
"""


class Keeper:
    """The pytest side: one keeper process per pytest process (xdist worker)."""

    def __init__(self) -> None:
        self.pid = -1
        self._write = -1
        self._owner = -1
        self._lock = threading.Lock()

    def watch(self, pgid: int) -> None:
        """From now on, *pgid* dies with pytest."""
        with self._lock:
            if self._owner != os.getpid():  # first use, or a forked copy of pytest
                self._start()
            self._send(f"+{pgid}\n")

    def release(self, pgid: int) -> None:
        """*pgid* was stopped and reaped: the keeper forgets it."""
        with self._lock:
            if self._owner == os.getpid():
                self._send(f"-{pgid}\n")

    def _send(self, line: str) -> None:
        with contextlib.suppress(OSError):  # the keeper is gone; teardown still stops the children
            os.write(self._write, line.encode())

    def _start(self) -> None:
        read, write = os.pipe()
        try:
            self.pid = os.posix_spawn(
                sys.executable,
                [sys.executable, "-I", "-S", "-c", _KEEPER],
                {},
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, read, 0),
                    (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                    (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
                ],
                setsid=True,  # not in pytest's process group: it must outlive a kill of that group
                setsigdef=(signal.SIGTERM, signal.SIGHUP),
                setsigmask=(),
            )
        finally:
            os.close(read)
        self._write, self._owner = write, os.getpid()


KEEPER = Keeper()
