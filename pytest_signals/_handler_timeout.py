"""Where a Python handler that blocks in the test process is interrupted.

``send_signal`` to the test process runs the handler in the main thread
before it returns. A handler that blocks (a sixty-second sleep, a lock that is
never released, ``Event.wait()``) would hang the session. While such a
handler runs, a watchdog thread waits, bounded by the delivery's timeout;
when the time is up it sends ``SIGURG`` to the main thread, whose handler
(installed only while ``send_signal`` waits) raises :class:`HandlerTimeout`
inside the blocking call, and ``send_signal`` turns that into a test failure.

``SIGURG`` because its default action is to ignore it: one that arrives after
its handler was put back harms nothing. The code under test never sees the
handler (``getsignal`` reads the plugin's table), and when the code under test
handles ``SIGURG`` itself, the watchdog stands aside. A handler that blocks
with ``SIGURG`` masked, or inside C code that retries on ``EINTR``, cannot be
interrupted; pytest-timeout is the tool for those.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from . import _observe

INTERRUPT = signal.SIGURG


class HandlerTimeout(BaseException):
    """Raised inside a handler that ran past the timeout (a BaseException, so
    that the handler's own ``except Exception`` does not swallow it)."""


class _Watchdog:
    """One thread per process. Arming and disarming only wake it when it sleeps
    without a deadline: a burst of deliveries costs one wake-up, not two each."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._thread: threading.Thread | None = None
        self._idle = True

    def arm(self, timeout: float) -> None:
        with self._cond:
            self._deadline = time.monotonic() + timeout
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="pytest-signals watchdog", daemon=True)
                self._thread.start()
            elif self._idle:
                self._cond.notify()

    def disarm(self) -> None:
        with self._cond:
            self._deadline = None  # the thread finds out when it wakes

    def _run(self) -> None:
        main = threading.main_thread().ident
        assert main is not None
        with self._cond:
            while True:
                if self._deadline is None:
                    self._idle = True
                    self._cond.wait()
                    self._idle = False
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                self._deadline = None
                signal.pthread_kill(main, INTERRUPT)


_WATCHDOG = _Watchdog()


class Bound:
    """What happened while a handler was bounded."""

    interrupted = False


@contextmanager
def bounded_handler(observer: _observe.SignalObserver, timeout: float) -> Iterator[Bound]:
    """Run the body (which runs a handler in the main thread) with the watchdog
    armed; ``interrupted`` tells whether a handler ran past *timeout*."""
    bound = Bound()
    if threading.current_thread() is not threading.main_thread() or callable(observer.disposition(INTERRUPT)):
        yield bound  # not ours to interrupt: the handler runs as it would
        return
    waiting = True

    def interrupt(signum: int, frame: FrameType | None) -> None:
        # Only inside a handler of the code under test; not a late one after
        # the body ended, nor one that finds the plugin's own wait still waiting.
        if waiting and observer.running:
            bound.interrupted = True
            raise HandlerTimeout

    previous = _observe.real_signal(INTERRUPT, interrupt)
    _WATCHDOG.arm(timeout)
    try:
        yield bound
    finally:
        waiting = False
        _WATCHDOG.disarm()
        _observe.real_signal(INTERRUPT, previous)
