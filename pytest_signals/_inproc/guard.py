"""The one owner of the test process's signal state, for one test.

:class:`SignalGuard` takes the :class:`~.state.Snapshot`, runs the observer and
the event-loop hooks over it, answers what the hooks ask (was this
KeyboardInterrupt the test's own?), and in :meth:`~SignalGuard.finish` puts
everything back and returns one :class:`Verdict`. Nothing else in the plugin
changes the test process's signal state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from .._events import SignalLog
from .._options import Settings
from . import kernel
from .loop import LoopHooks
from .observe import SignalObserver
from .state import Snapshot
from .undo import UndoStack


class SignalLeakWarning(pytest.PytestWarning):
    """A test left signal state changed (a handler, the mask, the wakeup fd, a timer)."""


@dataclass
class Verdict:
    """What one test did to the process, once everything is put back."""

    deaths: list[str] = field(default_factory=list)  # fatal effects the plugin turned into a failure
    leaks: list[str] = field(default_factory=list)  # state the test left changed (restored now)
    errors: list[str] = field(default_factory=list)  # steps of the restore that failed


class SignalGuard:
    """The plugin's state for one test."""

    def __init__(
        self,
        settings: Settings,
        nodeid: str = "",
        foreign: frozenset[str] = frozenset(),
        declared: frozenset[int] = frozenset(),
    ) -> None:
        self.settings = settings
        self.nodeid = nodeid
        self._foreign = foreign
        self._declared = declared
        self.log = SignalLog()
        self.log.default_timeout = settings.timeout
        self._undo = UndoStack()
        self._snapshot: Snapshot | None = None
        self._observer: SignalObserver | None = None
        self._loop_hooks: LoopHooks | None = None
        self.active = False
        # The processes this test spawned, by pid: send_signal(to=pid) of one
        # is that process (its delivery waits for its handler, and it cannot
        # reach a later holder of the number).
        self.spawned: dict[int, object] = {}
        self._reported_deaths = 0
        self._phase_start = 0

    @property
    def observer(self) -> SignalObserver:
        assert self._observer is not None, "the guard has not started"
        return self._observer

    @property
    def loop_hooks(self) -> LoopHooks:
        assert self._loop_hooks is not None, "the guard has not started"
        return self._loop_hooks

    def start(self) -> None:
        """Snapshot the signal state and start observing (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError(
                "pytest-signals can only protect a test that runs in the main thread: "
                f"this one runs in {threading.current_thread().name!r}"
            )
        self._snapshot = Snapshot.capture()
        self._observer = SignalObserver(self.log, self._undo, self._snapshot, self._foreign, self._declared)
        self._loop_hooks = LoopHooks(self.log, self._undo, self._observer)
        try:
            self._observer.install()
            self._loop_hooks.install()
        except BaseException:
            self._undo.undo()
            raise
        self.active = True

    def check_active(self, what: str) -> None:
        if not self.active or self._observer is None or not self._observer.is_own_process():
            raise RuntimeError(f"{what} was used outside the test it belongs to ({self.nodeid})")

    def finish(self) -> Verdict:
        """Stop observing, put everything back and say what the test did.

        The steps run in this order, each whatever the earlier ones raised
        (the first error of each is in ``errors``; a KeyboardInterrupt is
        raised again once all have run):

        1. list the dispositions and event-loop handlers the test left (and
           those its body left, noted by :meth:`body_ended`);
        2. put the interval timers back (``ITIMER_REAL`` as it would be had
           nobody touched it): a fast timer left running must not tick once
           ``SIG_DFL`` is back;
        3. undo what the test told faulthandler (``register``, ``enable``),
           through faulthandler's own functions;
        4. take the signals that became pending during the test and are
           blocked now (consumed, never delivered), while the plugin's handlers
           are still underneath;
        5. restore the main thread's mask (a signal it unblocks meets the
           plugin's handlers, not SIG_DFL);
        6. undo the patches and put Python's dispositions back;
        7. put back, through sigaction, handlers installed from C;
        8. the wakeup fd.

        Safe to call twice.
        """
        verdict = Verdict()
        if not self.active or self._snapshot is None or self._observer is None:
            return verdict
        self.active = False
        snapshot, observer = self._snapshot, self._observer
        interrupted: list[BaseException] = []

        def step(what: str, run: Callable[[], list[str]]) -> None:
            try:
                verdict.leaks.extend(run())
            except pytest.fail.Exception:
                pass  # the guard's own failure for a fatal signal: it is among the deaths
            except Exception as exc:
                verdict.errors.append(f"pytest-signals could not {what}: {exc!r}")
            except BaseException as exc:  # KeyboardInterrupt: a real Ctrl-C, after all steps
                interrupted.append(exc)

        step("list the dispositions the test left", observer.leaked)
        step("list the event-loop handlers the test left", self.loop_hooks.leaks)
        step("restore the interval timers", lambda: snapshot.restore_timers(observer.timer_baselines))
        step("take back what faulthandler was told", observer.faulthandler.leaks)
        step("take the signals left pending", lambda: self._drain(snapshot, observer))
        step("restore the signal mask", snapshot.restore_mask)
        step("undo its patches", self._undo_all)
        step(
            "restore handlers installed from C",
            lambda: snapshot.restore_kernel_dispositions(observer.changed(), observer.rebased()),
        )
        step("restore the wakeup fd", snapshot.restore_wakeup_fd)
        verdict.deaths = self.unreported_deaths()
        if interrupted:
            raise interrupted[0]
        return verdict

    @staticmethod
    def _drain(snapshot: Snapshot, observer: SignalObserver) -> list[str]:
        new = kernel.pending() - snapshot.pending
        leaks = snapshot.drain_pending(observer.describe_dispositions())
        for signum in new:
            observer.forget_self_sent(signum)
        return leaks

    def _undo_all(self) -> list[str]:
        self._undo.undo()
        return []

    # -- what the hooks ask -------------------------------------------------------

    def body_started(self) -> None:
        """The call phase begins (pytest's hook around the test function)."""
        if self._loop_hooks is not None:
            self._loop_hooks.body_started()

    def body_ended(self) -> None:
        """The call phase ended: what the test's body left is noted now, before
        its fixtures' teardown (a loop's close) can hide it."""
        if self._loop_hooks is not None:
            self._loop_hooks.body_ended()

    def caused_by_test(self, exc: BaseException) -> bool:
        """True when *exc* (or what it was raised from) came from a SIGINT the test sent."""
        observer = self._observer
        if observer is None:
            return False
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            if any(current is mine for mine in observer.self_caused):
                return True
            if observer.runner_interrupted and isinstance(current, KeyboardInterrupt):
                return True
            current = current.__cause__ or current.__context__
        return False

    @property
    def runner_interrupted(self) -> bool:
        return self._observer is not None and self._observer.runner_interrupted

    def take_phase_timeline(self, text: bool = True) -> str:
        """The timeline of the events since the last call (empty if none, or
        when *text* is false: then the events are only marked as taken)."""
        events = self.log.since(self._phase_start) if text else []
        self._phase_start = self.log.recorded
        return "\n".join(str(e) for e in events)

    def unreported_deaths(self) -> list[str]:
        if self._observer is None:
            return []
        deaths = self._observer.deaths[self._reported_deaths :]
        self._reported_deaths += len(deaths)
        return deaths
