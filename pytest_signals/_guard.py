"""One test's protection: set up before the test, torn down after it.

:class:`SignalGuard` ties together the log, the observer, the undo stack and
the snapshot of the process's signal state, and decides what a leak is and
whether a ``KeyboardInterrupt`` was caused by the test.
"""

from __future__ import annotations

import os
import signal
import threading

import pytest

from ._events import SignalEvent, SignalLog, handler_name
from ._loop_hooks import LoopHooks
from ._observe import SignalObserver
from ._options import Settings
from ._restore import SignalState, TimerState, UndoStack
from ._signals import signal_name


class SignalLeakWarning(pytest.PytestWarning):
    """A test left signal state changed (a handler, the mask, the wakeup fd, a timer)."""


class SignalGuard:
    """The plugin's state for one test."""

    def __init__(self, settings: Settings, nodeid: str = "", foreign: frozenset[str] = frozenset()) -> None:
        self.settings = settings
        self.nodeid = nodeid
        self.log = SignalLog()
        self.log.default_timeout = settings.timeout
        self.undo = UndoStack()
        self.observer = SignalObserver(self.log, self.undo, foreign)
        self.loop_hooks = LoopHooks(self.log, self.undo, self.observer)
        self.state: SignalState | None = None
        self.active = False
        self.reported_deaths = 0
        self._phase_events: list[SignalEvent] = []
        self.log.add_listener(self._phase_events.append)

    def start(self) -> None:
        """Snapshot the signal state and start observing."""
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError(
                "pytest-signals can only protect a test that runs in the main thread: "
                f"this one runs in {threading.current_thread().name!r}"
            )
        self.state = SignalState.capture()
        try:
            self.observer.install()
            self.loop_hooks.install()
        except BaseException:
            self.undo.undo()
            raise
        self.active = True

    def check_active(self, what: str) -> None:
        if not self.active or os.getpid() != self.observer.pid:
            raise RuntimeError(f"{what} was used outside the test it belongs to ({self.nodeid})")

    def stop(self) -> list[str]:
        """Stop observing, put everything back, and return what leaked.

        Safe to call twice.
        """
        if not self.active:
            return []
        self.active = False
        leaks = self._leaks()
        try:
            self.undo.undo()
        finally:
            self._restore_state()
        return leaks

    def _leaks(self) -> list[str]:
        leaks = [
            f"{signal_name(sig)}: handler {handler_name(now)} was left installed "
            f"(it was {handler_name(before)} before the test)"
            for sig, now, before in self.observer.leaked()
        ]
        leaks += self.loop_hooks.leaks()
        state = self.state
        assert state is not None
        if state.current_wakeup_fd() != state.wakeup_fd:
            leaks.append(
                f"signal.set_wakeup_fd() was left at fd {state.current_wakeup_fd()} "
                f"(it was {state.wakeup_fd} before the test); an event loop left open?"
            )
        mask = state.current_mask()
        if mask != state.mask:
            added = ", ".join(signal_name(s) for s in sorted(mask - state.mask)) or "-"
            removed = ", ".join(signal_name(s) for s in sorted(state.mask - mask)) or "-"
            leaks.append(f"the signal mask was left changed (blocked: {added}; unblocked: {removed})")
        if self.observer.timer_touched:
            remaining, _ = signal.getitimer(signal.ITIMER_REAL)
            if remaining > 0 and self._timer_baseline().remaining == 0:
                leaks.append(
                    f"an alarm/interval timer was left armed ({remaining:.3f}s to go); "
                    "it would fire SIGALRM in a later test"
                )
        return leaks

    def _restore_state(self) -> None:
        state = self.state
        if state is None:
            return
        if state.current_wakeup_fd() != state.wakeup_fd:
            state.restore_wakeup_fd()
        if state.current_mask() != state.mask:
            state.restore_mask()
        if self.observer.timer_touched:
            self._timer_baseline().restore()

    def _timer_baseline(self) -> TimerState:
        assert self.state is not None
        return self.observer.timer_baseline or self.state.timer

    # -- what the hooks ask -------------------------------------------------------

    def caused_by_test(self, exc: BaseException) -> bool:
        """True when *exc* (or what it was raised from) came from a SIGINT the test sent."""
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            if any(current is mine for mine in self.observer.self_caused):
                return True
            if self.observer.runner_interrupted and isinstance(current, KeyboardInterrupt):
                return True
            current = current.__cause__ or current.__context__
        return False

    def take_phase_timeline(self) -> str:
        """The timeline of the events since the last call (empty if none)."""
        events, self._phase_events[:] = list(self._phase_events), []
        return "\n".join(str(e) for e in events)

    def unreported_deaths(self) -> list[str]:
        deaths = self.observer.deaths[self.reported_deaths :]
        self.reported_deaths = len(self.observer.deaths)
        return deaths
