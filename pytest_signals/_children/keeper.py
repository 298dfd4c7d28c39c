"""Where spawned children are kept from outliving pytest (the test side; the
keeper itself is ``_remote/keeper.py``, whose docstring says how it works and
why it cannot reach a process that is not a child's or its descendant).

Teardown stops every child a test left running. That cannot help when pytest
itself dies without tearing down: SIGKILL from a CI timeout, the OOM killer.
So the first ``spawn`` of a process starts a keeper, a tiny Python process in
a session of its own that is not pytest's child, connected to pytest by a
Unix socket. pytest lists each child with it (with a pidfd of the child
where there are pidfds) and releases it the moment it is reaped. When pytest
dies, however it dies, the kernel closes the socket; the keeper reads end of
file, kills every child still listed with what is left in its session (or,
without pidfds, its process group) and exits.

Why not the parent-death signal (``PR_SET_PDEATHSIG``) on Linux: it is not
inherited across fork, so grandchildren would survive; it fires when the
*thread* that forked exits, not the process; and it cannot be set through
``posix_spawn``. The socket works the same on Linux and macOS.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import sys
import threading
from collections.abc import Callable

from .._compat import monotonic
from .._remote import keeper as remote

_SCRIPT = remote.__file__
_START_TIMEOUT = 30.0  # an interpreter start on a loaded CI machine
_NOSIGNAL = getattr(socket, "MSG_NOSIGNAL", 0)  # a gone keeper is EPIPE, never SIGPIPE


def open_pidfd(pid: int, parent: int) -> int | None:
    """A pidfd of the child *pid* of *parent*, or None: no pidfds here (macOS,
    Linux before 5.3), or the child is gone already.

    Call it right after starting the child. pytest reaps its own children only
    in their watchers, started later, so *pid* is still the child; the fork
    server's template (the parent of a forked child) reaps its own at once,
    so the pidfd is kept only if its process is *parent*'s child after the
    opening (``/proc``). The caller closes it.
    """
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        pidfd: int = opener(pid)
    except OSError:
        return None
    if not remote.proc_is_ours():
        if parent == os.getpid():
            return pidfd  # nothing but this process reaps it, and its watcher does not run yet
        os.close(pidfd)
        return None
    status = remote.proc_stat(pid)
    try:
        # The signal succeeds only if the pidfd's process still holds *pid*:
        # then the reading above was its own.
        if status is not None and status[0] == parent:
            signal.pidfd_send_signal(pidfd, 0)
            return pidfd
    except OSError:
        pass
    os.close(pidfd)
    return None


class Keeper:
    """The pytest side: one keeper process per pytest process (xdist worker)."""

    def __init__(self) -> None:
        self.pid = -1
        self._sock: socket.socket | None = None
        self._owner = -1
        self._lock = threading.Lock()
        self._tickets = 0
        self._listed: dict[int, bool] = {}  # ticket -> kept through a pidfd

    def watch(self, pid: int, pidfd: int | None = None) -> int:
        """From now on, the child *pid* (which leads a session of its own) dies
        with pytest. Returns the ticket that :meth:`release` takes.

        *pidfd* (from :func:`open_pidfd`): the keeper gets a copy of its own
        and kills the child and the rest of its session through it, never
        another process. Without one, it kills the child's process group, so
        the child must be released the moment it is reaped (:meth:`reaping`).

        Raises:
            RuntimeError: the keeper did not start.
        """
        with self._lock:
            if self._owner != os.getpid():  # first use, or a forked copy of pytest
                self._start()
            self._tickets += 1
            ticket = self._tickets
            self._listed[ticket] = pidfd is not None
            how = remote.BY_GROUP if pidfd is None else remote.BY_PIDFD
            self._send(remote.watch_event(ticket, pid, how), [] if pidfd is None else [pidfd])
            return ticket

    def release(self, ticket: int) -> None:
        """The child of *ticket* was reaped: the keeper forgets it. Safe to
        call twice; a ticket of another process (a fork of pytest) is ignored."""
        with self._lock:
            if self._owner == os.getpid() and self._listed.pop(ticket, None) is not None:
                self._send(remote.release_event(ticket), [])

    def reaping(self, ticket: int, wait_status: Callable[[], int]) -> Callable[[], int]:
        """*wait_status* (a ``waitpid`` of the child, for its watcher) that
        releases *ticket* as soon as it returns the child's end. When it
        cannot know the end (``ChildProcessError``: reaped by someone else, or
        the fork server died), a child kept by its group is released, since
        that number may be reused from now on; a pidfd stays valid, and kept."""

        def wait() -> int:
            try:
                status = wait_status()
            except ChildProcessError:
                if self._listed.get(ticket) is False:
                    self.release(ticket)
                raise
            if not os.WIFSTOPPED(status):
                self.release(ticket)
            return status

        return wait

    def _send(self, message: bytes, fds: list[int]) -> None:
        if self._sock is None:
            return
        with contextlib.suppress(OSError):  # the keeper is gone; teardown still stops the children
            if fds:
                sent = socket.send_fds(self._sock, [message], fds, _NOSIGNAL)
            else:
                sent = self._sock.send(message, _NOSIGNAL)
            if sent < len(message):
                self._sock.sendall(message[sent:], _NOSIGNAL)

    def _start(self) -> None:
        if self._sock is not None:  # a fork of pytest: that keeper is its parent's
            self._sock.close()
            self._sock = None
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        ready_r, ready_w = os.pipe()
        try:
            first = os.posix_spawn(
                sys.executable,
                [sys.executable, "-I", "-S", _SCRIPT],
                {},
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, theirs.fileno(), 0),
                    (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                    (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
                    (os.POSIX_SPAWN_DUP2, ready_w, remote.READY_FD),
                ],
                setsid=True,  # not in pytest's process group: it must outlive a kill of that group
                setsigdef=(signal.SIGTERM, signal.SIGHUP),
                setsigmask=(),
            )
        except BaseException:
            ours.close()
            os.close(ready_r)
            raise
        finally:
            theirs.close()
            os.close(ready_w)
        try:
            self.pid = _wait_ready(ready_r, first)
        except BaseException:
            ours.close()  # a keeper that started after all reads end of file: it kills nothing
            raise
        finally:
            os.close(ready_r)
        self._sock, self._owner = ours, os.getpid()
        self._listed.clear()


def _wait_ready(ready: int, first: int) -> int:
    """The keeper's pid, once the first process it forked from is reaped.

    Raises:
        RuntimeError: no pid and end of file within the bound.
    """
    deadline = monotonic() + _START_TIMEOUT
    data = b""
    while True:
        remaining = deadline - monotonic()
        if remaining <= 0 or not select.select([ready], [], [], remaining)[0]:
            with contextlib.suppress(OSError):
                os.kill(first, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(first, 0)  # SIGKILLed: over at once
            raise RuntimeError(
                f"the keeper (started as pid {first}) did not start within {_START_TIMEOUT:g}s; it said {data!r}"
            )
        chunk = os.read(ready, 64)
        if not chunk:
            break
        data += chunk
    # End of file: the first process has closed its copy, which it does only
    # in exiting, so this wait is over at once.
    with contextlib.suppress(ChildProcessError):  # SIGCHLD ignored: reaped already
        os.waitpid(first, 0)
    if not data.strip().isdigit():
        raise RuntimeError(f"the keeper (started as pid {first}) failed to start; it said {data!r}")
    return int(data)


KEEPER = Keeper()
