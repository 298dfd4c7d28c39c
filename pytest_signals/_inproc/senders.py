"""Where the functions that send a signal to this process are wrapped.

``os.kill``, ``os.killpg``, ``signal.raise_signal`` and ``signal.pthread_kill``
note that the test itself sent the signal (that is how a self-sent SIGINT is
told from a real Ctrl-C), and keep a signal aimed at the whole process group,
or at every process, inside the test (:mod:`.procs`). ``signal.alarm`` and
``signal.setitimer`` recognise another plugin's timer (pytest-timeout's). Each
wrapper calls the real function with the arguments it got, so the code under
test gets exactly its errors and results.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._signals import signal_name, valid_signal_numbers
from . import procs
from .real import real_alarm, real_kill, real_killpg, real_pthread_kill, real_raise_signal, real_setitimer
from .state import UNCATCHABLE, TimerState

if TYPE_CHECKING:
    from .observe import SignalObserver
    from .undo import UndoStack


class SenderPatches:
    """The sending functions, wrapped for one test's observer."""

    def __init__(self, observer: SignalObserver) -> None:
        self._observer = observer

    def install(self, undo: UndoStack) -> None:
        undo.setattr(os, "kill", self._patched_kill)
        undo.setattr(signal, "raise_signal", self._patched_raise_signal)
        if real_killpg is not None:
            undo.setattr(os, "killpg", self._patched_killpg)
        if real_pthread_kill is not None:
            undo.setattr(signal, "pthread_kill", self._patched_pthread_kill)
        if real_alarm is not None:
            undo.setattr(signal, "alarm", self._patched_alarm)
        if real_setitimer is not None:
            undo.setattr(signal, "setitimer", self._patched_setitimer)

    def _group_call(self, call: str, signum: Any, pgrp: int | None, send: Callable[[], None]) -> None:
        """A signal aimed at a whole process group (*pgrp*), or at every process
        (None). *send* makes the call as the code under test wrote it."""
        __tracebackhide__ = True
        if not isinstance(signum, int) or signum == 0 or signum not in valid_signal_numbers():
            return send()  # a probe (signal 0) or a bad number: the OS answers as it would
        reach = procs.group_reach(pgrp)
        if not reach.everyone and not reach.outsiders:
            self._observer.note_self_sent(signum)
            return send()  # only the test process and its own descendants: as the code meant
        name = signal_name(signum)
        catchable = signum not in UNCATCHABLE
        own = f" and its {len(reach.own)} descendant(s)" if reach.own else ""
        delivered = (
            f"delivered {name} only to the test process{own}"
            if catchable
            else (f"delivered {name} only to the test process's {len(reach.own)} descendant(s) in the group")
        )
        self._observer.deaths.append(
            f"{call} would have reached {reach.describe()}. pytest-signals {delivered}, and fails this "
            "test: a test that signals its process group (or every process) would hit the rest of the "
            "session (the xdist controller, the shell, the CI runner). Signal the processes the test "
            "started instead: spawn() and send_signal(sig, to=proc), or their pids."
        )
        for pid in reach.own:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                real_kill(pid, signum)
        if catchable:
            self._observer.note_self_sent(signum)
            real_kill(self._observer.pid, signum)

    def _patched_kill(self, pid: Any, signalnum: Any, /) -> None:
        __tracebackhide__ = True
        if isinstance(pid, int) and self._observer.active and os.getpid() == self._observer.pid:
            if pid == 0 or pid == -os.getpgrp():
                return self._group_call(
                    f"os.kill({pid}, {_name(signalnum)})", signalnum, os.getpgrp(), lambda: real_kill(pid, signalnum)
                )
            if pid == -1:
                return self._group_call(
                    f"os.kill(-1, {_name(signalnum)})", signalnum, None, lambda: real_kill(pid, signalnum)
                )
            if pid == self._observer.pid or (pid > 0 and pid in procs.thread_ids()):
                self._observer.note_self_sent(signalnum)
        return real_kill(pid, signalnum)

    def _patched_killpg(self, pgid: Any, signalnum: Any, /) -> None:
        __tracebackhide__ = True
        assert real_killpg is not None
        if (
            isinstance(pgid, int)
            and self._observer.active
            and os.getpid() == self._observer.pid
            and pgid in (0, os.getpgrp())
        ):
            return self._group_call(
                f"os.killpg({pgid}, {_name(signalnum)})",
                signalnum,
                os.getpgrp(),
                lambda: real_killpg(pgid, signalnum),
            )
        return real_killpg(pgid, signalnum)

    def _patched_raise_signal(self, signalnum: Any, /) -> None:
        __tracebackhide__ = True
        self._observer.note_self_sent(signalnum)
        return real_raise_signal(signalnum)

    def _patched_pthread_kill(self, thread_id: Any, signalnum: Any, /) -> None:
        __tracebackhide__ = True
        self._observer.note_self_sent(signalnum)
        assert real_pthread_kill is not None
        return real_pthread_kill(thread_id, signalnum)

    def _timer_changed(self, which: int) -> None:
        if self._observer.foreign_caller() is not None:  # another plugin's timer (pytest-timeout)
            self._observer.timer_baselines[which] = TimerState.capture(which)

    def _patched_alarm(self, seconds: Any, /) -> int:
        __tracebackhide__ = True
        assert real_alarm is not None
        try:
            return real_alarm(seconds)
        finally:
            self._timer_changed(signal.ITIMER_REAL)

    def _patched_setitimer(self, which: Any, seconds: Any, interval: Any = 0.0, /) -> tuple[float, float]:
        __tracebackhide__ = True
        assert real_setitimer is not None
        try:
            return real_setitimer(which, seconds, interval)
        finally:
            if isinstance(which, int) and which in self._observer.timer_baselines:
                self._timer_changed(which)


def _name(signum: object) -> str:
    try:
        return signal_name(int(signum))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return repr(signum)
