"""Where a Python handler that blocks in the test process is interrupted.

``send_signal`` to the test process runs the handler in the main thread
before it returns. A handler that blocks (a sixty-second sleep, a lock that is
never released, ``Event.wait()``) would hang the session. While such a
handler runs, a watchdog thread waits for the delivery's deadline; when it
passes, the watchdog sends ``SIGURG`` to the main thread, whose handler
(installed only while ``send_signal`` waits) raises :class:`HandlerTimeout`
inside the blocking call, and ``send_signal`` turns that into a test failure.

Each send keeps its own deadline: a handler that itself calls ``send_signal``
arms a second one, and disarming it leaves the first in place. The main
thread never takes a lock here (it may be inside a handler that interrupted
the very code arming the watchdog): it appends to a list and, when the new
deadline is sooner than the one the watchdog sleeps towards, writes a byte
to the watchdog's pipe. Deadlines come from the kernel's monotonic clock,
which frozen clocks (freezegun, time-machine) do not reach.

``SIGURG`` because its default action is to ignore it: one that arrives after
its handler was put back harms nothing. The code under test never sees the
handler (``getsignal`` reads the plugin's table), and when the code under test
handles ``SIGURG`` itself, the watchdog stands aside. A handler that blocks
with ``SIGURG`` masked, or inside C code that retries on ``EINTR``, cannot be
interrupted; pytest-timeout is the tool for those. The watchdog thread blocks
every signal (:mod:`.._threads`).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING

from .._compat import monotonic
from .._threads import start_thread
from .real import real_getsignal, real_signal

if TYPE_CHECKING:
    from .observe import SignalObserver

INTERRUPT = signal.SIGURG
REFIRE = 0.25  # seconds between interruptions of a handler that keeps blocking


class Deadline:
    """One bounded handler run."""

    __slots__ = ("at", "fired")

    def __init__(self, at: float) -> None:
        self.at = at
        self.fired = False


class HandlerTimeout(BaseException):
    """Raised inside a handler that ran past its deadline (a BaseException, so
    that the handler's own ``except Exception`` does not swallow it)."""

    def __init__(self, deadlines: tuple[Deadline, ...]) -> None:
        super().__init__("a signal handler ran past its deadline")
        self.deadlines = deadlines


class _Watchdog:
    """One thread per process, started on first use."""

    def __init__(self) -> None:
        self._deadlines: list[Deadline] = []
        self._sleeping_until: float | None = None  # None: awake, about to look again
        self._pipe: tuple[int, int] | None = None
        self._thread: threading.Thread | None = None
        self._owner = 0

    def arm(self, timeout: float) -> Deadline:
        deadline = Deadline(monotonic() + timeout)
        self._deadlines.append(deadline)
        if self._thread is None or self._owner != os.getpid() or not self._thread.is_alive():
            self._start()
        else:
            until = self._sleeping_until
            if until is None or deadline.at < until:
                self._wake()
        return deadline

    def disarm(self, deadline: Deadline) -> None:
        with contextlib.suppress(ValueError):
            self._deadlines.remove(deadline)  # the thread finds out when it wakes

    def fired(self) -> tuple[Deadline, ...]:
        return tuple(d for d in tuple(self._deadlines) if d.fired)

    def _start(self) -> None:
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        self._pipe, self._owner, self._sleeping_until = (read_fd, write_fd), os.getpid(), None
        self._thread = start_thread(self._run, "pytest-signals watchdog", (read_fd,))

    def _wake(self) -> None:
        if self._pipe is not None:
            with contextlib.suppress(OSError):  # full: it is awake anyway
                os.write(self._pipe[1], b"\0")

    def _run(self, read_fd: int) -> None:
        main = threading.main_thread().ident
        assert main is not None
        while True:
            self._sleeping_until = None
            now = monotonic()
            deadlines = tuple(self._deadlines)
            expired = [d for d in deadlines if d.at <= now]
            if expired:
                for deadline in expired:
                    deadline.fired = True
                    # Again a little later while it stays armed: a handler that
                    # swallowed the interruption and blocks again is interrupted again.
                    deadline.at = now + REFIRE
                signal.pthread_kill(main, INTERRUPT)
                continue
            soonest = min((d.at for d in deadlines), default=None)
            self._sleeping_until = soonest if soonest is not None else float("inf")
            if soonest is not None and soonest <= monotonic():
                continue
            ready, _, _ = select.select([read_fd], [], [], None if soonest is None else soonest - monotonic())
            if ready:
                os.read(read_fd, 512)


_WATCHDOG = _Watchdog()


class Bound:
    """What happened while a handler was bounded."""

    interrupted = False


@contextlib.contextmanager
def bounded_handler(observer: SignalObserver, timeout: float) -> Iterator[Bound]:
    """Run the body (which runs a handler in the main thread) with a deadline;
    ``interrupted`` tells whether a handler ran past *timeout*."""
    bound = Bound()
    if threading.current_thread() is not threading.main_thread() or callable(observer.disposition(INTERRUPT)):
        yield bound  # not ours to interrupt: the handler runs as it would
        return
    waiting = True

    def interrupt(signum: int, frame: FrameType | None) -> None:
        # Only inside a handler of the code under test; not a late one after
        # the body ended, nor one that finds the plugin's own wait still waiting.
        fired = _WATCHDOG.fired()
        if waiting and observer.running and fired:
            raise HandlerTimeout(fired)

    previous = real_signal(INTERRUPT, interrupt)
    deadline = _WATCHDOG.arm(timeout)
    try:
        yield bound
    except HandlerTimeout as exc:
        if deadline not in exc.deadlines:
            raise  # an outer send's deadline: it is that send's failure
        bound.interrupted = True
    finally:
        waiting = False
        _WATCHDOG.disarm(deadline)
        if real_getsignal(INTERRUPT) is interrupt:  # unless the handler set SIGURG's itself
            real_signal(INTERRUPT, previous)
