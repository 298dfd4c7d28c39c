"""Where a Python handler that blocks in the test process is interrupted.

``send_signal`` to the test process runs the handler in the main thread
before it returns. A handler that blocks (a sixty-second sleep, a lock that is
never released, ``Event.wait()``) would hang the session. While such a
handler runs, a deadline is armed; when it passes, ``SIGURG`` goes to the main
thread, whose handler (installed only while ``send_signal`` waits) raises
:class:`HandlerTimeout` inside the blocking call, and ``send_signal`` turns
that into a test failure. On Linux the deadline is a POSIX timer aimed at the
main thread (no thread in the test process); elsewhere a watchdog thread,
started on first use, waits for it.

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
import ctypes
import os
import select
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any

from .._compat import monotonic
from .._threads import start_thread
from .real import real_getsignal, real_signal

if TYPE_CHECKING:
    from .observe import SignalObserver

INTERRUPT = signal.SIGURG
CLOCK_MONOTONIC = 1  # the kernel's id for it (time.CLOCK_MONOTONIC)
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


class _Timespec(ctypes.Structure):
    _fields_ = (("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long))


class _Itimerspec(ctypes.Structure):
    _fields_ = (("it_interval", _Timespec), ("it_value", _Timespec))


class _Sigevent(ctypes.Structure):  # struct sigevent: 64 bytes on Linux
    _fields_ = (
        ("sigev_value", ctypes.c_void_p),
        ("sigev_signo", ctypes.c_int),
        ("sigev_notify", ctypes.c_int),
        ("sigev_tid", ctypes.c_int),
        ("_pad", ctypes.c_int * 11),
    )


_REFIRE_SPEC = _Timespec(int(REFIRE), int((REFIRE - int(REFIRE)) * 1e9))


class _KernelTimers:
    """Linux: no thread at all. Each bounded send gets a POSIX timer of its own
    (``timer_create`` with ``SIGEV_THREAD_ID``, through ctypes) that sends
    ``SIGURG`` to the main thread at the deadline and every :data:`REFIRE`
    seconds after it, until the send disarms it."""

    _SIGEV_THREAD_ID = 4

    def __init__(self, libc: Any) -> None:
        self._create, self._settime, self._delete = libc.timer_create, libc.timer_settime, libc.timer_delete
        self._deadlines: dict[Deadline, ctypes.c_void_p] = {}
        # Timers are made once and re-armed (one system call each way): a
        # nested send takes a second one from the pool.
        self._free: list[ctypes.c_void_p] = []
        self._off = _Itimerspec()

    @staticmethod
    def _spec(seconds: float) -> _Timespec:
        whole = int(seconds)
        return _Timespec(whole, int((seconds - whole) * 1e9))

    def _new_timer(self) -> ctypes.c_void_p:
        event = _Sigevent()
        event.sigev_signo, event.sigev_notify = int(INTERRUPT), self._SIGEV_THREAD_ID
        event.sigev_tid = threading.main_thread().native_id or 0
        timer = ctypes.c_void_p()
        if self._create(CLOCK_MONOTONIC, ctypes.byref(event), ctypes.byref(timer)) != 0:
            raise OSError(ctypes.get_errno(), "timer_create failed")
        return timer

    def arm(self, timeout: float) -> Deadline:
        deadline = Deadline(monotonic() + timeout)
        timer = self._free.pop() if self._free else self._new_timer()
        spec = _Itimerspec(_REFIRE_SPEC, self._spec(max(timeout, 1e-6)))
        if self._settime(timer, 0, ctypes.byref(spec), None) != 0:
            self._delete(timer)
            raise OSError(ctypes.get_errno(), "timer_settime failed")
        self._deadlines[deadline] = timer
        return deadline

    def disarm(self, deadline: Deadline) -> None:
        timer = self._deadlines.pop(deadline, None)
        if timer is not None:
            self._settime(timer, 0, ctypes.byref(self._off), None)
            self._free.append(timer)

    def fired(self) -> tuple[Deadline, ...]:
        now = monotonic() + 0.001  # the timer fires at the deadline; the clock may read a hair earlier
        return tuple(d for d in tuple(self._deadlines) if d.at <= now)


def _kernel_timers() -> _KernelTimers | None:
    if not sys.platform.startswith("linux") or os.environ.get("PYTEST_SIGNALS_WATCHDOG") == "thread":
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        for name, args in (
            ("timer_create", [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]),
            ("timer_settime", [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]),
            ("timer_delete", [ctypes.c_void_p]),
        ):
            function = getattr(libc, name)
            function.argtypes, function.restype = args, ctypes.c_int
        return _KernelTimers(libc)
    except (OSError, AttributeError):  # pragma: no cover - an old libc
        return None


class _Lazy:
    """The kernel timers where they exist (Linux), else the watchdog thread."""

    def __init__(self) -> None:
        self._impl: _KernelTimers | _Watchdog | None = None

    def _get(self) -> _KernelTimers | _Watchdog:
        if self._impl is None:
            self._impl = _kernel_timers() or _Watchdog()
        return self._impl

    def arm(self, timeout: float) -> Deadline:
        return self._get().arm(timeout)

    def disarm(self, deadline: Deadline) -> None:
        self._get().disarm(deadline)

    def fired(self) -> tuple[Deadline, ...]:
        return self._get().fired()


_WATCHDOG = _Lazy()


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
