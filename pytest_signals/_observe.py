"""Where signals are observed: the layer between the code under test and the
process's real signal dispositions.

While a test that uses the plugin runs, ``_signal.signal`` and
``_signal.getsignal`` (which ``signal.signal``/``signal.getsignal`` call) keep a
*virtual* table: the code under test reads back exactly what it set, or what
was there before the test. The *real* disposition underneath is

* the handler the code set, wrapped so that each call is logged;
* for ``SIG_DFL`` on a signal whose default action would end or stop the
  process, a guard that fails the test instead of killing pytest;
* otherwise what the code set (``SIG_IGN`` stays ``SIG_IGN``, so children
  inherit it as they would without the plugin).

The functions that send a signal to this process (``os.kill``, ``os.killpg``,
``signal.raise_signal``, ``signal.pthread_kill``) are wrapped only to note that
the test itself sent the signal: that is how a self-sent SIGINT is told apart
from a real Ctrl-C.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from collections import defaultdict
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest

from ._events import SignalLog, handler_name
from ._restore import TimerState, UndoStack
from ._signals import (
    FAULT_NAMES,
    UNCATCHABLE_NAMES,
    default_action,
    is_fatal_by_default,
    signal_name,
)

Handler = Callable[[int, "FrameType | None"], Any]

# signal.signal/getsignal call these at run time, so patching them here also
# covers code that did ``from signal import signal`` before the test.
_signal: Any = importlib.import_module("_signal")

# The real functions, taken before anybody (including us) patches them.
real_signal: Callable[[int, object], object] = _signal.signal
real_getsignal: Callable[[int], object] = _signal.getsignal
real_kill: Callable[[int, int], None] = os.kill
real_killpg: Callable[[int, int], None] | None = getattr(os, "killpg", None)
real_raise_signal: Callable[[int], None] = signal.raise_signal
real_pthread_kill: Callable[[int, int], None] | None = getattr(signal, "pthread_kill", None)
real_alarm: Callable[[int], int] | None = getattr(signal, "alarm", None)
real_setitimer: Callable[[int, float, float], tuple[float, float]] | None = getattr(signal, "setitimer", None)

SIG_DFL = 0
SIG_IGN = 1


def manageable(signum: int) -> bool:
    """Signals the plugin may put a handler of its own on."""
    name = signal_name(signum)
    return name not in FAULT_NAMES and name not in UNCATCHABLE_NAMES


def _is_disposition(handler: object) -> bool:
    return isinstance(handler, int) and not isinstance(handler, bool) and handler in (0, 1)


class SignalObserver:
    """Virtual dispositions, real wrappers, and the record of what ran.

    One instance lives for one test. :meth:`install` changes process state only
    through the :class:`UndoStack` it is given.
    """

    def __init__(self, log: SignalLog, undo: UndoStack, foreign: frozenset[str] = frozenset()) -> None:
        self.log = log
        self.undo = undo
        # Top-level packages of other pytest plugins: their changes (pytest-timeout
        # arming or cancelling its SIGALRM) are theirs to manage, not the test's.
        self.foreign = foreign
        self.timer_baseline: TimerState | None = None
        self.pid = os.getpid()
        self.active = False
        self.original: dict[int, object] = {}
        self.virtual: dict[int, object] = {}
        self.self_caused: list[BaseException] = []
        self.deaths: list[str] = []
        self.timer_touched = False
        self.runner_interrupted = False
        self.loop_bookkeeping = 0  # > 0 while an event loop adds or removes a handler
        self._cond = threading.Condition()
        self._completions: dict[int, int] = defaultdict(int)
        self.running = 0  # handlers running now (in the main thread)
        self._tokens: dict[int, int] = defaultdict(int)

    # -- set up / tear down ----------------------------------------------------

    def install(self) -> None:
        """Take over every manageable signal. Must run in the main thread."""
        for signum in sorted(int(s) for s in signal.valid_signals()):
            if not manageable(signum):
                continue
            current = real_getsignal(signum)
            if current is None:  # a C-level handler (faulthandler...): leave it alone
                continue
            self.original[signum] = current
        # Undone last: restore dispositions after the patches are gone.
        self.undo.defer("signal dispositions", self._restore_dispositions)
        for signum, current in self.original.items():
            self.virtual[signum] = current
            real = self._real_for(signum, current)
            if real is not current:
                real_signal(signum, real)
        self.undo.setattr(_signal, "signal", self._patched_signal)
        self.undo.setattr(_signal, "getsignal", self._patched_getsignal)
        self.undo.setattr(os, "kill", self._patched_kill)
        self.undo.setattr(signal, "raise_signal", self._patched_raise_signal)
        if real_killpg is not None:
            self.undo.setattr(os, "killpg", self._patched_killpg)
        if real_pthread_kill is not None:
            self.undo.setattr(signal, "pthread_kill", self._patched_pthread_kill)
        if real_alarm is not None:
            self.undo.setattr(signal, "alarm", self._patched_alarm)
        if real_setitimer is not None:
            self.undo.setattr(signal, "setitimer", self._patched_setitimer)
        self.active = True
        self.undo.defer("observer", self._deactivate)

    def _deactivate(self) -> None:
        self.active = False

    def _restore_dispositions(self) -> None:
        for signum, handler in self.original.items():
            real_signal(signum, handler)

    def leaked(self) -> list[tuple[int, object, object]]:
        """``(signal, left installed, was before)`` for every disposition the test changed."""
        leaks = []
        for signum, before in self.original.items():
            now = self.virtual.get(signum, before)
            if _is_loop_noop(now):
                continue  # an event loop's: reported by the loop hooks, with its callback
            same = now is before or (_is_disposition(now) and _is_disposition(before) and now == before)
            if not same:
                leaks.append((signum, now, before))
        return leaks

    # -- what the code under test sees -----------------------------------------

    def manages(self, signum: int) -> bool:
        return signum in self.virtual

    def disposition(self, signum: int) -> object:
        """What ``signal.getsignal`` tells the code under test."""
        if signum in self.virtual:
            return self.virtual[signum]
        return real_getsignal(signum)

    def _mine(self, signalnum: object) -> bool:
        return self.active and isinstance(signalnum, int) and signalnum in self.virtual and os.getpid() == self.pid

    def _patched_signal(self, signalnum: Any, handler: Any) -> object:
        __tracebackhide__ = True
        if not self._mine(signalnum) or not (callable(handler) or _is_disposition(handler)):
            # Not ours, or a bad handler: let CPython raise its own error.
            return real_signal(signalnum, handler)
        real_signal(signalnum, self._real_for(signalnum, handler))  # same errors off the main thread
        old = self.virtual[signalnum]
        self.virtual[signalnum] = handler
        plugin = self._foreign_caller()
        if plugin is not None:
            self.original[signalnum] = handler  # the new baseline: no leak, restored as such
        if _is_loop_noop(handler) or self.loop_bookkeeping:
            return old  # the loop's own: its callbacks are logged by the loop hooks
        self.log.record(
            "installed",
            signalnum,
            handler=handler_name(handler),
            detail=f"replaces {handler_name(old)}" + (f", by the {plugin} plugin" if plugin else ""),
        )
        return old

    @staticmethod
    def _caller_module() -> str:
        """The module that called into ``signal`` (ours and ``signal``'s skipped)."""
        frame: FrameType | None = sys._getframe(2)
        while frame is not None:
            module = str(frame.f_globals.get("__name__", ""))
            if module not in ("signal", "_signal") and not module.startswith("pytest_signals"):
                return module
            frame = frame.f_back
        return ""

    def _foreign_caller(self) -> str | None:
        """The other pytest plugin whose code made the current call, if any."""
        if not self.foreign:
            return None
        top = self._caller_module().split(".")[0]
        return top if top in self.foreign else None

    def _timer_changed(self) -> None:
        if self._foreign_caller() is not None:
            self.timer_touched = False
            self.timer_baseline = TimerState.capture()
        else:
            self.timer_touched = True

    def _patched_getsignal(self, signalnum: Any) -> object:
        __tracebackhide__ = True
        if self._mine(signalnum):
            return self.virtual[signalnum]
        return real_getsignal(signalnum)

    # -- real handlers ------------------------------------------------------------

    def _real_for(self, signum: int, handler: object) -> object:
        if _is_loop_noop(handler):
            return handler  # the loop's own: its callbacks are what the program wrote
        if callable(handler):
            return self._observed(handler)
        if handler == SIG_DFL and is_fatal_by_default(signum):
            return self._guard
        return handler

    def _observed(self, handler: Callable[..., Any]) -> Handler:
        name = handler_name(handler)
        observer = self

        def observed(signum: int, frame: FrameType | None) -> Any:
            __tracebackhide__ = True
            return observer._call(signum, frame, handler, name)

        observed.__wrapped__ = handler  # type: ignore[attr-defined]
        return observed

    def _call(self, signum: int, frame: FrameType | None, handler: Callable[..., Any], name: str) -> Any:
        __tracebackhide__ = True
        if os.getpid() != self.pid:  # a fork of the test process: be invisible
            return handler(signum, frame)
        by_test = self._take_token(signum)
        self.log.record("handled", signum, handler=name, detail=_origin(by_test))
        if by_test and _is_runner_sigint(handler):
            # asyncio.Runner (pytest-asyncio runs every async test in one) cancels
            # the test's own task and raises KeyboardInterrupt when it ends.
            self.runner_interrupted = True
        self.running += 1
        try:
            return handler(signum, frame)
        except KeyboardInterrupt as exc:
            self.log.record("keyboard_interrupt", signum, handler=name, detail=_origin(by_test))
            if by_test:
                self.self_caused.append(exc)
            raise
        finally:
            self.running -= 1
            self._complete(signum)

    def _guard(self, signum: int, frame: FrameType | None) -> None:
        __tracebackhide__ = True
        if os.getpid() != self.pid:  # a fork: take the real default action
            real_signal(signum, SIG_DFL)
            real_kill(os.getpid(), signum)
            return
        by_test = self._take_token(signum)
        action = default_action(signum)
        name = signal_name(signum)
        if signum == signal.SIGINT and not by_test:
            # Not sent by the test: a real Ctrl-C. Stop the session as pytest would.
            self.log.record("default", signum, handler="SIG_DFL", detail="a Ctrl-C not sent by the test")
            self._complete(signum)
            raise KeyboardInterrupt
        fate = "been stopped (frozen)" if action == "stop" else "died"
        message = (
            f"{name} reached the test process with its default action ({action}): "
            f"without pytest-signals the whole pytest process would have {fate} here. "
            f"Install a handler for {name} in the code under test, or run the code "
            "in a child process to test its default action."
        )
        self.log.record("default", signum, handler="SIG_DFL", detail=f"default action: {action}")
        self.deaths.append(message)
        self._complete(signum)
        if action != "stop":
            pytest.fail(message)

    # -- telling self-sent signals apart --------------------------------------------

    def note_self_sent(self, signum: object) -> None:
        """The test itself is sending *signum* to this process."""
        if not isinstance(signum, int) or signum not in self.virtual or not self.active:
            return
        current = self.virtual[signum]
        if callable(current) or self._real_for(signum, current) == self._guard:
            with self._cond:
                self._tokens[signum] += 1

    def _take_token(self, signum: int) -> bool:
        with self._cond:
            if self._tokens[signum] > 0:
                self._tokens[signum] -= 1
                return True
            return False

    def _targets_self(self, pid: object) -> bool:
        if not isinstance(pid, int):
            return False
        return pid in (self.pid, 0, -1) or pid == -os.getpgrp()

    def _patched_kill(self, pid: Any, signalnum: Any, /) -> None:
        __tracebackhide__ = True
        if self._targets_self(pid):
            self.note_self_sent(signalnum)
        return real_kill(pid, signalnum)

    def _patched_killpg(self, pgid: Any, signalnum: Any, /) -> None:
        __tracebackhide__ = True
        if isinstance(pgid, int) and pgid in (0, os.getpgrp()):
            self.note_self_sent(signalnum)
        assert real_killpg is not None
        return real_killpg(pgid, signalnum)

    def _patched_raise_signal(self, signalnum: Any, /) -> None:
        __tracebackhide__ = True
        self.note_self_sent(signalnum)
        return real_raise_signal(signalnum)

    def _patched_pthread_kill(self, thread_id: Any, signalnum: Any, /) -> None:
        __tracebackhide__ = True
        self.note_self_sent(signalnum)
        assert real_pthread_kill is not None
        return real_pthread_kill(thread_id, signalnum)

    def _patched_alarm(self, seconds: Any, /) -> int:
        __tracebackhide__ = True
        assert real_alarm is not None
        try:
            return real_alarm(seconds)
        finally:
            self._timer_changed()

    def _patched_setitimer(self, which: Any, seconds: Any, interval: Any = 0.0, /) -> tuple[float, float]:
        __tracebackhide__ = True
        assert real_setitimer is not None
        try:
            return real_setitimer(which, seconds, interval)
        finally:
            if which == getattr(signal, "ITIMER_REAL", None):
                self._timer_changed()

    # -- completion, for send_signal -----------------------------------------------

    def _complete(self, signum: int) -> None:
        with self._cond:
            self._completions[signum] += 1
            self._cond.notify_all()

    def completions(self, signum: int) -> int:
        """How many handler runs (or default actions) *signum* has had so far."""
        return self._completions[signum]

    def wait_completion(self, signum: int, after: int, timeout: float) -> bool:
        """Block (off the main thread) until *signum* has had more than *after* runs."""
        with self._cond:
            return self._cond.wait_for(lambda: self._completions[signum] > after, timeout)


def _is_runner_sigint(handler: object) -> bool:
    """asyncio.Runner's SIGINT handler (or the backport's, on 3.10), a partial
    of the Runner's bound ``_on_sigint``."""
    func = getattr(handler, "func", None)
    owner = getattr(func, "__self__", None)
    return getattr(func, "__name__", "") == "_on_sigint" and type(owner).__name__ == "Runner"


def _is_loop_noop(handler: object) -> bool:
    """An event loop's own Python-level handler: asyncio's no-op (the loop's
    wakeup fd does the work) or uvloop's internal one."""
    name = getattr(handler, "__name__", "")
    if name == "_sighandler_noop":
        return True
    owner = getattr(handler, "__self__", None)
    return name.endswith("__sighandler") and type(owner).__module__.startswith("uvloop")


def _origin(by_test: bool) -> str:
    return "sent by the test" if by_test else "origin unknown"
