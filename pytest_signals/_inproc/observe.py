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

A handler installed from C (faulthandler) is left alone unless the code under
test replaces it, and fault signals (SIGSEGV...) never get the guard: a Python
handler the code sets on them is wrapped like any other.

The functions that send a signal to this process are wrapped by
:mod:`.senders` (to tell a self-sent signal from one from outside, and to keep
group-wide kills inside the test), and what the test tells faulthandler is
kept by :mod:`.faults`. A signal the test did not send keeps its meaning for
the session (:meth:`SignalObserver._from_outside`).

Nothing on a handler's path takes a lock: a handler runs in the main thread,
between any two bytecodes, possibly inside another handler or inside the very
code that records. Counters and queues are changed by single operations the
interpreter does not interrupt (``deque.append``/``popleft``, ``list.append``),
and threads that wait off the main thread are woken through a pipe.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import pytest

from .._compat import caller_frame, is_loop_noop, is_runner_sigint
from .._events import SignalLog
from .._remote.names import handler_name
from .._remote.predicates import STANDS_FOR, disposition_kind
from .._remote.predicates import is_disposition as _is_disposition
from .._signals import FAULT_NAMES, default_action, is_fatal_by_default, signal_name
from .faults import FaulthandlerBooks
from .real import (
    SIG_DFL,
    _signal,
    real_getsignal,
    real_kill,
    real_signal,
)
from .senders import SenderPatches
from .state import Snapshot
from .undo import UndoStack

Handler = Callable[[int, "FrameType | None"], Any]

FAULTS = frozenset(int(getattr(signal, n)) for n in FAULT_NAMES if hasattr(signal, n))
# Code in these modules changes signal state for itself, not as the code under
# test: pdb's SIGINT handler (installed on `continue`, left installed after the
# last one) is the debugger's, like another pytest plugin's.
_DEBUGGERS = frozenset({"pdb", "bdb"})


def _same(now: object, before: object) -> bool:
    return now is before or (_is_disposition(now) and _is_disposition(before) and now == before)


class SignalObserver:
    """Virtual dispositions, real wrappers, and the record of what ran.

    One instance lives for one test; :class:`~.guard.SignalGuard` owns it.
    :meth:`install` changes process state only through the undo stack.
    """

    def __init__(
        self,
        log: SignalLog,
        undo: UndoStack,
        snapshot: Snapshot,
        foreign: frozenset[str],
        declared: frozenset[int] = frozenset(),
    ) -> None:
        self.log = log
        self.declared = declared  # what a sends_signal marker says the code under test sends
        self._undo = undo
        # Top-level packages of other pytest plugins (and debuggers): their
        # changes are theirs to manage, not the test's.
        self._foreign = foreign | _DEBUGGERS
        self.pid = os.getpid()
        self.active = False
        self.original: dict[int, object] = {s: d.python for s, d in snapshot.dispositions.items()}
        self._rebased: set[int] = set()  # signals another plugin changed: their new baseline
        self.from_c = frozenset(s for s, d in snapshot.dispositions.items() if d.from_c)
        self.virtual: dict[int, object] = dict(self.original)
        self.touched: set[int] = set()  # real dispositions changed (by us or the test)
        self.timer_baselines = dict(snapshot.timers)
        self.self_caused: list[BaseException] = []
        self.deaths: list[str] = []  # fatal effects turned into a failure
        self.runner_interrupted = False
        self.running = 0  # handlers of the code under test running now (main thread)
        # signal_anywhere raises the signal from its tracer: the handler gets
        # this frame (the program's, at the point) in place of the tracer's.
        self.frame_at_point: FrameType | None = None
        self._bookkeeping = 0  # > 0 while an event loop adds or removes a handler
        self._completions: dict[int, int] = {}
        self._tokens: dict[int, deque[int]] = {}
        self._waiters: list[int] = []  # write ends of pipes, for waits off the main thread

    # -- set up / tear down ----------------------------------------------------

    def install(self) -> None:
        """Take over the dispositions and patch the signal functions (main thread)."""
        self._undo.defer("signal dispositions", self._restore_dispositions)
        for signum, current in self.original.items():
            if signum in self.from_c:
                continue  # faulthandler's (or another C handler): never replaced by us
            real = self._real_for(signum, current)
            if real is not current:
                real_signal(signum, real)
                self.touched.add(signum)
        undo = self._undo
        undo.setattr(_signal, "signal", self._patched_signal)
        undo.setattr(_signal, "getsignal", self._patched_getsignal)
        SenderPatches(self).install(undo)
        self.faulthandler = FaulthandlerBooks(self.from_c, self._rebased, FAULTS)
        self.faulthandler.install(undo)
        self.active = True
        undo.defer("observer", self._deactivate)

    def _deactivate(self) -> None:
        self.active = False

    def _restore_dispositions(self) -> None:
        """Python's table, for the signals whose real disposition changed. (A
        handler from C comes back in the kernel step, which runs after this.)"""
        first: Exception | None = None
        for signum in sorted(self.touched):
            handler = self.original[signum]
            try:
                real_signal(signum, SIG_DFL if handler is None else handler)
            except Exception as exc:  # keep going: every signal gets its turn
                first = first or exc
        if first is not None:
            raise first

    def leaked(self) -> list[str]:
        """One line for every disposition the test left changed."""
        leaks = []
        for signum, before in self.original.items():
            now = self.virtual[signum]
            if is_loop_noop(now):
                continue  # an event loop's: reported by the loop hooks, with its callback
            if _same(now, before):
                continue
            was = "a handler installed from C" if signum in self.from_c else handler_name(before)
            extra = (
                " (it cannot be reinstalled from Python: put back through sigaction)" if signum in self.from_c else ""
            )
            leaks.append(
                f"{signal_name(signum)}: handler {handler_name(now)} was left installed (it was {was} "
                f"before the test){extra}"
            )
        return leaks

    def changed(self) -> set[int]:
        """Signals whose disposition the test changed (and the leak report names)."""
        return {s for s, before in self.original.items() if not _same(self.virtual[s], before)}

    def rebased(self) -> set[int]:
        """Signals whose baseline another plugin (or the debugger) set during the
        test, or whose C handler's owner changed its mind (faulthandler.disable)."""
        return set(self._rebased)

    def describe_dispositions(self) -> dict[int, object]:
        return dict(self.virtual)

    def put_back(self, table: dict[int, object]) -> list[tuple[int, object]]:
        """Make the dispositions of *table* (from :meth:`describe_dispositions`)
        current again, unlogged: ``signal_anywhere`` between two runs of its
        body. Returns each signal changed, with what the run had left on it. A
        handler installed from C is the guard's to put back, at the end."""
        changed: list[tuple[int, object]] = []
        if self.virtual == table:  # the common case, at C speed (a handler equal to itself is the same one)
            return changed
        for signum, before in table.items():
            now = self.virtual.get(signum)
            if _same(now, before) or signum in self.from_c:
                continue
            real_signal(signum, self._real_for(signum, before))
            self.virtual[signum] = before
            self.touched.add(signum)
            changed.append((signum, now))
        return changed

    def is_own_process(self) -> bool:
        return os.getpid() == self.pid

    def underneath(self, signum: int) -> str:
        """What really handles *signum* now: ``"handler"`` (a wrapped Python
        handler), ``"guard"``, ``"c"`` (a handler installed from C), ``"loop"``,
        ``"ign"`` or ``"dfl"``."""
        if signum in self.from_c and signum not in self.touched:
            return "c"
        current = self.virtual.get(signum, SIG_DFL)
        if is_loop_noop(current):
            return "loop"
        if callable(current):
            return "handler"
        real = self._real_for(signum, current)
        if real == self._guard:
            return "guard"
        return disposition_kind(current)  # "ign" or "dfl", as a child reports it

    # -- what the code under test sees -----------------------------------------

    def disposition(self, signum: int) -> object:
        """What ``signal.getsignal`` tells the code under test."""
        return self.virtual.get(signum)

    def mine(self, signalnum: object) -> bool:
        return self.active and isinstance(signalnum, int) and signalnum in self.virtual and os.getpid() == self.pid

    def _patched_signal(self, signalnum: Any, handler: Any) -> object:
        __tracebackhide__ = True
        if self._in_fork(signalnum) and (callable(handler) or _is_disposition(handler)):
            # A fork of the test process: the plugin is not there for it. It
            # gets its handlers for real, and reads back what it set.
            real_signal(signalnum, handler)
            old = self.virtual[signalnum]
            self.virtual[signalnum] = handler
            return old
        if not self.mine(signalnum) or not (callable(handler) or _is_disposition(handler)):
            # Not ours, or a bad handler: let CPython raise its own error.
            return real_signal(signalnum, handler)
        real_signal(signalnum, self._real_for(signalnum, handler))  # same errors off the main thread
        old = self.virtual[signalnum]
        self.virtual[signalnum] = handler
        self.touched.add(signalnum)
        if self.foreign_caller() is not None:
            # Another plugin's bookkeeping (pytest-timeout arming and cancelling
            # its SIGALRM), not the program's: the new baseline, not logged.
            self.original[signalnum] = handler  # no leak, restored as such
            self._rebased.add(signalnum)
            return old
        if is_loop_noop(handler) or self._bookkeeping:
            return old  # the loop's own: its callbacks are logged by the loop hooks
        self.log.record("installed", signalnum, handler=handler_name(handler), detail=f"replaces {handler_name(old)}")
        return old

    def foreign_caller(self) -> str | None:
        """The other pytest plugin (or debugger) whose code made the current call."""
        frame = caller_frame(2)
        while frame is not None:
            module = str(frame.f_globals.get("__name__", ""))
            if module not in ("signal", "_signal") and not module.startswith("pytest_signals"):
                top = module.split(".")[0]
                return top if top in self._foreign else None
            frame = frame.f_back
        return None

    def _in_fork(self, signalnum: object) -> bool:
        return self.active and isinstance(signalnum, int) and signalnum in self.virtual and os.getpid() != self.pid

    def _patched_getsignal(self, signalnum: Any) -> object:
        __tracebackhide__ = True
        if self.mine(signalnum) or self._in_fork(signalnum):
            return self.virtual[signalnum]
        return real_getsignal(signalnum)

    @contextlib.contextmanager
    def loop_bookkeeping(self) -> Iterator[None]:
        """An event loop's own signal.signal calls: not the program's, not logged."""
        self._bookkeeping += 1
        try:
            yield
        finally:
            self._bookkeeping -= 1

    # -- real handlers ------------------------------------------------------------

    def _real_for(self, signum: int, handler: object) -> object:
        if is_loop_noop(handler):
            return handler  # the loop's own: its callbacks are what the program wrote
        if callable(handler):
            return self._observed(handler)
        if handler == SIG_DFL and is_fatal_by_default(signum) and signum not in FAULTS:
            return self._guard
        return handler

    def _observed(self, handler: Callable[..., Any]) -> Handler:
        name = handler_name(handler)
        call = self._call

        def observed(signum: int, frame: FrameType | None) -> Any:
            __tracebackhide__ = True
            return call(signum, frame, handler, name)

        observed.__wrapped__ = handler  # type: ignore[attr-defined]
        return observed

    def _call(self, signum: int, frame: FrameType | None, handler: Callable[..., Any], name: str) -> Any:
        __tracebackhide__ = True
        if os.getpid() != self.pid:  # a fork of the test process: be invisible
            return handler(signum, frame)
        if self.frame_at_point is not None:
            frame, self.frame_at_point = self.frame_at_point, None
        by_test = self._take_token(signum)
        self.log.record("handled", signum, handler=name, detail=_origin(by_test))
        if by_test and is_runner_sigint(handler):
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
            self.complete(signum)

    def _guard(self, signum: int, frame: FrameType | None) -> None:
        __tracebackhide__ = True
        if os.getpid() != self.pid:  # a fork: take the real default action
            real_signal(signum, SIG_DFL)
            real_kill(os.getpid(), signum)
            return
        by_test = self._take_token(signum) or signum in self.declared
        action = default_action(signum)
        name = signal_name(signum)
        if not by_test:
            return self._from_outside(signum, name, action)
        fate = "been stopped (frozen)" if action == "stop" else "died"
        message = (
            f"{name} reached the test process with its default action ({action}): "
            f"without pytest-signals the whole pytest process would have {fate} here. "
            f"Install a handler for {name} in the code under test, or run the code "
            "in a child process to test its default action."
        )
        self.log.record("default", signum, handler="SIG_DFL", detail=f"default action: {action}")
        self.deaths.append(message)
        self.complete(signum)
        if action != "stop":
            pytest.fail(message)

    # For a pytest-signals observing this pytest run from outside (a test that
    # spawned it): the guard stands for SIG_DFL, not a handler the tests wrote.
    setattr(_guard, STANDS_FOR, SIG_DFL)

    def _from_outside(self, signum: int, name: str, action: str) -> None:
        """A signal the test did not send has, for the session, the effect it
        has without the plugin: Ctrl-C interrupts, SIGTERM/SIGHUP/SIGQUIT (any
        fatal one) end the run (cleanly: reports written, children stopped),
        Ctrl-Z suspends pytest until SIGCONT."""
        __tracebackhide__ = True
        if signum == signal.SIGINT:
            self.log.record("default", signum, handler="SIG_DFL", detail="a Ctrl-C not sent by the test")
            self.complete(signum)
            raise KeyboardInterrupt
        if action == "stop":
            self.log.record("default", signum, handler="SIG_DFL", detail="not sent by the test: pytest stops")
            real_signal(signum, SIG_DFL)
            try:
                real_kill(self.pid, signum)  # stopped here, as without the plugin, until SIGCONT
            finally:
                if self.virtual.get(signum) == SIG_DFL:
                    real_signal(signum, self._guard)
            self.complete(signum)
            return
        self.log.record("default", signum, handler="SIG_DFL", detail="not sent by the test: the session ends")
        self.complete(signum)
        raise pytest.exit.Exception(
            f"pytest-signals: {name} from outside the test (a CI runner cancelling the job, `timeout`, "
            f"`docker stop`, a closed terminal...) ended the session, as it would without the plugin; the "
            f"reports were written and spawned children stopped. (A signal the code under test sends in "
            f"another way, for example from a child process, is the test's with "
            f"@pytest.mark.sends_signal({name}).)",
            returncode=128 + signum,
        )

    # -- telling self-sent signals apart --------------------------------------------

    def note_self_sent(self, signum: object) -> None:
        """The test itself is sending *signum* to this process."""
        if not self.active or not isinstance(signum, int) or signum not in self.virtual:
            return
        current = self.virtual[signum]
        if callable(current) or self._real_for(signum, current) == self._guard:
            self._tokens.setdefault(signum, deque()).append(1)

    def forget_self_sent(self, signum: int) -> None:
        """*signum* will not arrive (it was discarded while pending)."""
        self._tokens.pop(signum, None)

    def _take_token(self, signum: int) -> bool:
        tokens = self._tokens.get(signum)
        if not tokens:
            return False
        try:
            tokens.popleft()
        except IndexError:
            return False
        return True

    # -- completion, for send_signal -----------------------------------------------

    def complete(self, signum: int) -> None:
        self._completions[signum] = self._completions.get(signum, 0) + 1
        for fd in tuple(self._waiters):
            with contextlib.suppress(OSError):
                os.write(fd, b"\0")

    def completions(self, signum: int) -> int:
        """How many handler runs (or default actions) *signum* has had so far."""
        return self._completions.get(signum, 0)

    @contextlib.contextmanager
    def completion_pipe(self) -> Iterator[int]:
        """A pipe whose read end becomes readable at every completion (for a
        thread that waits off the main thread)."""
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        self._waiters.append(write_fd)
        try:
            yield read_fd
        finally:
            self._waiters.remove(write_fd)
            os.close(read_fd)
            os.close(write_fd)


def _origin(by_test: bool) -> str:
    return "sent by the test" if by_test else "origin unknown"
