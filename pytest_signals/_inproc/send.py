"""Where signals are sent: the object behind the ``send_signal`` fixture."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

import pytest

from .._compat import is_loop_noop, monotonic, running_loop
from .._delivery import VIAS, Delivery, Outcome, Via
from .._options import check_timeout
from .._remote.names import handler_name
from .._signals import default_action, is_fatal_by_default, resolve_signal, signal_name
from . import procs
from .real import SIG_IGN, real_kill, real_raise_signal
from .watchdog import bounded_handler

if TYPE_CHECKING:
    from .guard import SignalGuard

MAX_PID = 2**31 - 1

SELF_VIAS: tuple[Via, ...] = ("raise", "kill")
OTHER_VIAS: tuple[Via, ...] = ("kill",)
assert set(SELF_VIAS) | set(OTHER_VIAS) <= set(VIAS)


class SignalSender:
    """Sends real signals and returns when their handlers have run.

    The ``send_signal`` fixture is an instance; call it::

        delivery = send_signal(signal.SIGTERM)             # to the test process
        delivery = send_signal("SIGUSR1", via="kill")      # os.kill(os.getpid(), ...)
        send_signal("TERM", to=pid)                        # any other process

    Sending to the test process itself returns only after the Python-level
    handler ran (bounded by *timeout*, default ``signal_timeout``); whatever
    the handler raises (``KeyboardInterrupt`` from the default SIGINT handler)
    is raised from the call.
    """

    def __init__(self, guard: SignalGuard) -> None:
        self._guard = guard

    def __repr__(self) -> str:
        return f"<send_signal fixture of {self._guard.nodeid}>"

    def __call__(
        self,
        sig: object,
        *,
        to: object = None,
        via: Via | None = None,
        timeout: float | None = None,
    ) -> Delivery:
        """Send a real signal, and return what became of it.

        To the test process (no *to*), the call returns after the Python
        handler ran, and raises whatever the handler raised (a handler still
        running after *timeout* is interrupted and fails the test). To a
        spawned child (``to=proc``, or ``to=proc.pid``: the same), it returns
        once the signal is sent; the :class:`~pytest_signals.Delivery` completes when the child
        reports that a handler for the signal ran, or when it ends:
        ``send_signal(signal.SIGTERM, to=proc).wait()``. Once the child has
        ended its pid is refused (``ProcessLookupError``: the number may be
        anyone's by then). To another process the test started, it sends with
        ``os.kill`` (outcome ``"sent"``: nothing observes it).

        Args:
            sig: ``signal.Signals``, a number or a name (``"SIGTERM"``, ``"TERM"``).
            to: None or ``os.getpid()`` for the test process (or the id of one
                of its threads, which names the whole process); a process from
                ``spawn``, or its pid; or the pid of another process the test
                started (one that descends from the test process, or from a
                spawned child: a daemon the fork server's template adopted,
                see "No orphans" in the docs). Pid 1, pytest's ancestors and
                any other process are refused, with the reason.
            via: for the test process, ``"raise"`` (``signal.raise_signal``,
                the default) or ``"kill"`` (``os.kill``; the default for a
                thread's id); for a spawned process, ``"kill"`` (the default:
                the child itself, through its pidfd on Linux), ``"group"``
                (its process group: the child and what it started) or ``"tty"``
                (type the key into its terminal, ``spawn(..., tty=True)``:
                ``Ctrl-C`` for SIGINT, ``Ctrl-\\`` for SIGQUIT, ``Ctrl-Z`` for SIGTSTP; the
                terminal has processed the key when this returns); for another
                process, ``"kill"``.
            timeout: seconds to wait for the handler (and, for a spawned child,
                the default of :meth:`~pytest_signals.Delivery.wait`); ``signal_timeout`` if
                None. A positive number of seconds, at most 2,000,000.

        Raises:
            ValueError: an unknown signal; SIGKILL or SIGSTOP (or a fault
                signal without a Python handler) aimed at the test process or
                one of its threads; a *to* that is not a positive pid, pid 1,
                one of pytest's ancestors or a process the test did not start;
                a *via* the target does not take; a bad *timeout*.
            ProcessLookupError: no process has that pid (or the spawned child
                has ended).
            RuntimeError: ``via="raise"`` from a thread other than the main
                thread (use ``via="kill"``); from an event loop in another
                thread; use after the test ended.
        """
        __tracebackhide__ = True
        signum = resolve_signal(sig)
        wait = self._guard.settings.timeout if timeout is None else check_timeout(timeout, "timeout")
        if isinstance(to, int) and not isinstance(to, bool) and to in self._guard.spawned:
            to = self._guard.spawned[to]  # the pid of a child this test spawned: that child
        deliver = getattr(to, "deliver", None)
        if deliver is not None:  # a SpawnedProcess
            self._guard.check_active("send_signal")
            delivery: Delivery = deliver(signum, via, wait)
            return delivery
        pid = self._target(to)
        if pid == os.getpid():
            thread = to not in (None, pid)
            if thread and signum in (signal.SIGKILL, signal.SIGSTOP):
                raise ValueError(
                    f"send_signal({signal_name(signum)}, to={to}): {to} is a thread of the test process, and a "
                    "signal sent to a thread id reaches the whole process: it would "
                    f"{'kill' if signum == signal.SIGKILL else 'freeze'} pytest itself"
                )
            return self._to_self(signum, ("kill" if thread else "raise") if via is None else via, wait)
        if via not in (None, *OTHER_VIAS):
            raise ValueError(f"via={via!r} is not supported for pid {pid}: use one of {OTHER_VIAS}")
        return self._to_other(signum, pid)

    def _target(self, to: object) -> int:
        if to is None:
            return os.getpid()
        if isinstance(to, bool) or not isinstance(to, int):
            raise ValueError(f"to={to!r} is not a process: pass a pid (int) or a process from spawn()")
        if to <= 0:
            raise ValueError(
                f"to={to} would signal a process group or every process, pytest included: pass the pid of one process"
            )
        if to > MAX_PID:
            raise ValueError(f"to={to} is not a pid: pids are at most {MAX_PID}")
        if to == os.getpid() or to in procs.thread_ids():
            return os.getpid()  # a thread's id names its whole process to kill()
        if to == 1:
            raise ValueError(
                "to=1 would signal pid 1 (init, or a container's entrypoint): it is never a test's own "
                "process. Send to a process the test started."
            )
        if to in procs.ancestors():
            raise ValueError(
                f"to={to} is an ancestor of the test process (the xdist controller, pytest's launcher, the "
                "shell or the CI runner): signalling it would stop the session, not the code under test. "
                "Send to a process the test started."
            )
        if not procs.exists(to):
            raise ProcessLookupError(f"send_signal(to={to}): no process with pid {to}")
        fork_server = sys.modules.get("pytest_signals._children.fork_server")
        if fork_server is not None and fork_server.FORK_SERVER.is_launcher(to):
            raise ValueError(
                f"to={to} is the leader of a spawned child's session (its terminal's, or a plain child's anchor): "
                "pytest-signals' own launcher, not a process of the test. Send to the child (to=proc)."
            )
        if not procs.descends_from_me(to):
            from .._children.tree import in_forked_tree, why_not_ours

            if in_forked_tree(to):  # a spawned child's tree, or a daemon the fork server's template adopted
                return to
            raise ValueError(
                f"to={to} is not a process this test started (it does not descend from the test process "
                f"or a spawned child): {why_not_ours(to)}. pytest-signals only signals processes it can "
                "prove are the test's own. Start it with spawn(), subprocess or os.fork() from the test, "
                "and pass its pid or the process."
            )
        return to

    def _to_other(self, signum: int, pid: int) -> Delivery:
        """To a process of the test that is not a spawned child. Where there
        are pidfds, the process is held first and its ancestry checked again
        while it is held: a pid that its parent reaped between the check in
        :meth:`_resolve_target` and the send names someone else by then, and
        the signal goes to the held process or nowhere."""
        name = signal_name(signum)
        opener = getattr(os, "pidfd_open", None)
        pidfd = None
        if opener is not None:
            try:
                pidfd = opener(pid)
            except ProcessLookupError:
                raise ProcessLookupError(f"send_signal({name}, to={pid}): no process with pid {pid}") from None
            from .._children.tree import in_forked_tree

            if not (procs.descends_from_me(pid) or in_forked_tree(pid)):
                os.close(pidfd)
                raise ProcessLookupError(
                    f"send_signal({name}, to={pid}): pid {pid} ended before the signal was sent, and its "
                    "number now names a process that is not this test's: nothing was sent"
                )
        delivery = Delivery(signum, pid, "kill")
        sent = self._guard.log.record("sent", signum, detail=f"via kill, to pid {pid}", target=pid)
        try:
            if pidfd is not None:
                signal.pidfd_send_signal(pidfd, signum)
            else:
                real_kill(pid, signum)
        except ProcessLookupError:
            raise ProcessLookupError(f"send_signal({name}, to={pid}): no process with pid {pid}") from None
        finally:
            if pidfd is not None:
                os.close(pidfd)
        delivery._complete("sent", None, (sent,))
        return delivery

    def _refuse_for_self(self, signum: int, via: str) -> None:
        name = signal_name(signum)
        if via not in SELF_VIAS:
            raise ValueError(f"via={via!r} is not supported for the test process: use one of {SELF_VIAS}")
        if name in ("SIGKILL", "SIGSTOP"):
            action = "kill" if name == "SIGKILL" else "freeze"
            raise ValueError(
                f"send_signal({name}) aimed at the test process (or one of its threads) would {action} "
                f"pytest itself and cannot be caught; send {name} to a child process instead (to=pid)"
            )
        observer = self._guard.observer
        if observer.underneath(signum) in ("c", "dfl") and is_fatal_by_default(signum):
            owner = (
                "a handler installed from C owns it (faulthandler?), and the plugin leaves such handlers alone"
                if observer.underneath(signum) == "c"
                else "it is a fault signal, which the plugin never intercepts"
            )
            raise ValueError(
                f"send_signal({name}) aimed at the test process could end pytest: {owner}. Install a "
                "Python handler for it first, or send it to a child process"
            )
        on_main = threading.current_thread() is threading.main_thread()
        if not on_main and running_loop() is not None:
            raise RuntimeError(
                f"send_signal({name}) called from an event loop running in thread "
                f"{threading.current_thread().name!r}: asyncio only lets the main thread's loop add "
                "signal handlers (add_signal_handler raises RuntimeError elsewhere), and Python runs "
                "signal handlers only in the main thread, so nothing in this loop would ever see the "
                "signal. Run the loop in the main thread, or the code in a child with spawn()."
            )
        if via == "raise" and not on_main:
            raise RuntimeError(
                f"send_signal({name}, via='raise') called from thread "
                f"{threading.current_thread().name!r}: raise_signal() delivers to the calling thread, "
                "but Python runs signal handlers only in the main thread. Use via='kill' to send "
                "to the process; the handler then runs in the main thread."
            )

    def _to_self(self, signum: int, via: str, timeout: float) -> Delivery:
        __tracebackhide__ = True
        guard = self._guard
        guard.check_active("send_signal")
        self._refuse_for_self(signum, via)
        observer, log = guard.observer, guard.log
        delivery = Delivery(signum, os.getpid(), "raise" if via == "raise" else "kill")  # checked just above
        disposition = observer.disposition(signum)
        underneath = observer.underneath(signum)
        runs_handler = underneath in ("handler", "guard")
        first = len(log)
        before = observer.completions(signum)
        log.record("sent", signum, detail=f"via {via}, to the test process", target=os.getpid())
        loop_handled = is_loop_noop(disposition)
        if loop_handled:
            # An event loop's handler: the C-level handler writes to the loop's
            # wakeup fd and the loop runs the callback on a later iteration.
            # The delivery completes then: await it.
            delivery.outcome = "queued"
            delivery.default_timeout = timeout
            delivery.loop_bound = True
            delivery._on_timeout = lambda t: self._loop_timeout(delivery, t)
            if not guard.loop_hooks.expect(delivery, signum, first):
                delivery._complete("queued", None, (log[first],))
        observer.note_self_sent(signum)
        if loop_handled or not runs_handler:
            _send_to_self(signum, via)
        else:
            self._run_handler(signum, via, before, timeout, handler_name(disposition))
        if loop_handled:
            return delivery
        if not runs_handler:
            why = "SIG_IGN" if disposition == SIG_IGN else f"default action: {default_action(signum)}"
            if underneath == "c":
                why = "a handler installed from C"
            ignored = log.record("ignored", signum, handler=handler_name(disposition), detail=why)
            delivery._complete("ignored", None, (log[first], ignored))
            return delivery
        if observer.completions(signum) <= before:
            blocked = signum in signal.pthread_sigmask(signal.SIG_BLOCK, [])
            if blocked and via == "raise":
                delivery._complete("blocked", None, tuple(log[first:]))
                return delivery
            raise log.failure(
                pytest.fail.Exception(
                    f"send_signal({signal_name(signum)}, via={via!r}): waited {timeout:g}s for the handler "
                    f"{handler_name(disposition)} to run; it did not"
                    + (" (the signal is blocked in the main thread's mask)" if blocked else "")
                    + ".",
                    pytrace=False,
                )
            )
        events = tuple(log[first:])
        outcome: Outcome = "handled"
        handler = None
        for event in events:
            if event.signal == signum and event.kind in ("handled", "default"):
                outcome = "handled" if event.kind == "handled" else "default"
                handler = event.handler
                break
        delivery._complete(outcome, handler if outcome == "handled" else None, events)
        return delivery

    def _run_handler(self, signum: int, via: str, before: int, timeout: float, handler: str) -> None:
        """Send, and wait (bounded) until the handler ran: in ``raise_signal``
        or ``kill`` itself, or later when another thread took the signal. A
        handler still running when the time is up is interrupted."""
        __tracebackhide__ = True
        observer = self._guard.observer
        deadline = monotonic() + timeout
        with bounded_handler(observer, timeout) as bound:
            _send_to_self(signum, via)
            blocked = signum in signal.pthread_sigmask(signal.SIG_BLOCK, [])
            if observer.completions(signum) <= before and not (blocked and via == "raise"):
                self._wait(signum, before, deadline)
        if bound.interrupted:
            raise self._guard.log.failure(
                pytest.fail.Exception(
                    f"send_signal({signal_name(signum)}, via={via!r}): the handler {handler} was still running "
                    f"after {timeout:g}s (signal_timeout): it was interrupted so that the session goes on. "
                    "A handler should do little (set a flag, write to a pipe) and return.",
                    pytrace=False,
                )
            )

    def _loop_timeout(self, delivery: Delivery, timeout: float) -> NoReturn:
        __tracebackhide__ = True
        raise self._guard.log.failure(
            pytest.fail.Exception(
                f"await send_signal({signal_name(delivery.signal)}): waited {timeout:g}s for the event "
                "loop to run its handler; it did not (is the loop running, and not blocked?).",
                pytrace=False,
            )
        )

    def _wait(self, signum: int, before: int, deadline: float) -> bool:
        observer = self._guard.observer

        def done() -> bool:
            return observer.completions(signum) > before

        if threading.current_thread() is not threading.main_thread():
            with observer.completion_pipe() as read_fd:
                return _wait_on_fd(read_fd, done, deadline)
        return _wait_in_main_thread(done, deadline)


def _send_to_self(signum: int, via: str) -> None:
    __tracebackhide__ = True
    if via == "raise":
        real_raise_signal(signum)
    else:
        real_kill(os.getpid(), signum)


def _wait_on_fd(read_fd: int, done: Callable[[], bool], deadline: float) -> bool:
    """Until *done*, bounded by *deadline*: re-checked whenever *read_fd* has bytes."""
    while not done():
        remaining = deadline - monotonic()
        if remaining <= 0:
            return False
        ready, _, _ = select.select([read_fd], [], [], remaining)
        if ready:
            with contextlib.suppress(BlockingIOError):
                os.read(read_fd, 512)
    return True


def _wait_in_main_thread(done: Callable[[], bool], deadline: float) -> bool:
    """Wait, in the main thread, for a handler that another thread's C-level
    signal handler has queued.

    Python runs handlers in the main thread only when it executes bytecode, so
    a plain lock wait would sleep through them. Instead we watch a wakeup fd:
    the C handler writes to it from whichever thread took the signal, and
    returning to Python after ``select`` runs the pending handler. Bytes for an
    earlier wakeup fd (an event loop's) are passed on to it.
    """
    if done():
        return True
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    os.set_blocking(write_fd, False)
    previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    try:
        while not done():
            remaining = deadline - monotonic()
            if remaining <= 0:
                return False
            select.select([read_fd], [], [], remaining)
            try:
                data = os.read(read_fd, 512)
            except BlockingIOError:
                data = b""
            if data and previous != -1:
                with contextlib.suppress(OSError):
                    os.write(previous, data)
        return True
    finally:
        signal.set_wakeup_fd(previous)
        os.close(read_fd)
        os.close(write_fd)
