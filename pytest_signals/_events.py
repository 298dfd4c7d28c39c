"""What was observed: :class:`SignalEvent` and the :class:`SignalLog` recorder.

The log is a read-only sequence in the spirit of ``recwarn`` and ``caplog``:
every view (``sent``, ``handled``...) is a filter over one list, and the
assertion helpers hide their own frames and print the whole timeline.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NoReturn, TypeVar, get_args, overload

from ._compat import monotonic
from ._remote.names import handler_name as handler_name
from ._remote.names import unwrapped
from ._signals import resolve_signal, signal_name, valid_signal_numbers

_current_thread = threading.current_thread
_MEMBERS: dict[int, int] = {}


def _as_signal(signum: int) -> int:
    """The ``signal.Signals`` member for *signum* (cached: the enum lookup is
    slow for a handler's path), a plain int for an unnamed real-time signal."""
    member = _MEMBERS.get(signum)
    if member is None:
        if isinstance(signum, int) and signum not in valid_signal_numbers():
            return signum
        member = resolve_signal(signum)
        if isinstance(signum, int):
            _MEMBERS[signum] = member
    return member


EventKind = Literal[
    "sent",
    "installed",
    "handled",
    "default",
    "ignored",
    "keyboard_interrupt",
    "cancelled",
    "exited",
    "removed",
    "started",
]
"""What a :class:`SignalEvent` records: its :attr:`~SignalEvent.kind`."""
EVENT_KINDS: tuple[EventKind, ...] = get_args(EventKind)

Ended = Literal["cancelled", "returned", "raised"]
"""How a task a cancellation reached ended: :attr:`SignalEvent.ended`."""

_UNSET: Any = object()
_ENDED: Any = object()  # a wait's answer: the one process it watches ended without the event
_Exc = TypeVar("_Exc", bound=BaseException)
_SHOWN = "_pytest_signals_timeline"  # on a failure whose message has the timeline: (id of the log, events then)


@dataclass(frozen=True)
class SignalEvent:
    """One observation, in the order it happened.

    Attributes:
        kind: ``"sent"``, ``"installed"``, ``"handled"``, ``"default"``
            (the signal met its default action), ``"ignored"``,
            ``"keyboard_interrupt"``, ``"cancelled"`` (a cancellation reached
            an asyncio task, which has ended: :attr:`ended` says how),
            ``"exited"`` (a spawned child exited), ``"removed"`` (an event
            loop's signal handler was removed) or ``"started"`` (a process of
            a spawned child's tree reported in for the first time: a fork of
            the child or of one of its descendants, or a Python process one
            of them started by exec; recorded before any other event of that
            process).
        signal: the signal (``signal.Signals`` where it has a name), or None.
        pid: the process the event happened in.
        thread: name of the thread it happened in.
        handler: qualified name of the handler (``"SIG_DFL"``/``"SIG_IGN"``
            for those dispositions), or None.
        task: name of the task involved, or None.
        time: seconds since the test started.
        detail: free text for people (what a handler replaced, the default
            action...); no code reads it.
        message: for ``"cancelled"``, the message of the CancelledError the
            task ended with (``task.cancel("SIGTERM")``), or None (always None
            when the task absorbed the cancellation).
        target: for ``"sent"``, the pid the signal was sent to.
        ended: for ``"cancelled"``, how the task ended: ``"cancelled"`` (the
            CancelledError ended it), ``"returned"`` (it caught the
            CancelledError and returned) or ``"raised"`` (it raised something
            else); None for other kinds.
        parent: the pid of the process that started the one the event
            happened in (for a fork, the process it was forked from, even
            after that one ended; for a process started by exec, the one that
            started it); None for the test process and for a
            spawned child itself.
    """

    kind: EventKind
    signal: int | None
    pid: int
    thread: str
    handler: str | None = None
    task: str | None = None
    time: float = 0.0
    detail: str = ""
    message: str | None = None
    target: int | None = None
    ended: Ended | None = None
    parent: int | None = None

    @property
    def signal_name(self) -> str | None:
        """``"SIGTERM"``, or None for events without a signal."""
        return None if self.signal is None else signal_name(self.signal)

    def __str__(self) -> str:
        parts = [f"+{self.time:8.4f}s", f"{self.kind:<18}"]
        parts.append(self.signal_name or "-")
        if self.handler:
            parts.append(f"handler={self.handler}")
        if self.task:
            parts.append(f"task={self.task}")
        parent = "" if self.parent is None else f" parent={self.parent}"
        parts.append(f"pid={self.pid}{parent} thread={self.thread}")
        if self.ended is not None:
            parts.append(f"ended={self.ended}")
        if self.message is not None:
            parts.append(f"message={self.message!r}")
        if self.detail:
            parts.append(f"({self.detail})")
        return "  ".join(parts)


def _name_matches(recorded: str | None, wanted: object) -> bool:
    """*wanted* (a handler, or its qualified name or a dotted suffix of it) names
    the *recorded* handler, seen through ``functools.partial`` on either side."""
    if recorded is None:
        return False
    if not isinstance(wanted, str):
        wanted = handler_name(wanted)
    if recorded == wanted:
        return True
    recorded, wanted = unwrapped(recorded), unwrapped(wanted)
    return bool(recorded == wanted or recorded.endswith("." + wanted))


def _process_pid(process: object, name: str = "process") -> int | None:
    if process is None:
        return None
    if isinstance(process, int) and not isinstance(process, bool):
        return process
    pid = getattr(process, "pid", None)
    if isinstance(pid, int):
        return pid
    raise ValueError(f"{name}={process!r} is neither a pid nor a process object with .pid")


class SignalLog(Sequence[SignalEvent]):
    """Everything the plugin observed during one test, in order.

    A sequence of :class:`SignalEvent` (``len``, iteration, indexing), with
    filtered views (:attr:`sent`, :attr:`installed`, :attr:`handled`,
    :attr:`defaults`, :attr:`ignored`, :attr:`keyboard_interrupts`,
    :attr:`cancelled`, :attr:`exits`), :meth:`clear`, :meth:`timeline` and assertion helpers
    (:meth:`assert_handled`, :meth:`assert_not_handled`, :meth:`assert_sent`)
    that fail with what was expected, what was observed and the timeline.

    Example::

        def test_reload(send_signal, signal_log):
            install_reload_handler()
            send_signal("SIGHUP")
            signal_log.assert_handled("SIGHUP", times=1, by="reload")
    """

    def __init__(self) -> None:
        # Append-only, and no lock: events are recorded from signal handlers,
        # which run in the main thread between any two bytecodes (inside this
        # very method, too). list.append is one step the interpreter does not
        # interrupt; readers take a copy.
        self._events: list[SignalEvent] = []
        self._cleared = 0  # events dropped by clear(), so that marks stay valid
        self._t0 = monotonic()
        self._listeners: list[Callable[[SignalEvent], None]] = []
        self._window: int | None = None  # a mark: failures show the events since (one run of many)
        self.default_timeout = 5.0

    # -- recording (plugin side) -------------------------------------------------

    def record(
        self,
        kind: EventKind,
        signum: int | None,
        *,
        handler: str | None = None,
        task: str | None = None,
        detail: str = "",
        message: str | None = None,
        pid: int | None = None,
        thread: str | None = None,
        at: float | None = None,
        target: int | None = None,
        ended: Ended | None = None,
        parent: int | None = None,
    ) -> SignalEvent:
        """Append an event. Used by the plugin; safe to call from a handler,
        and from a handler that interrupted another call of it."""
        now = monotonic() if at is None else at
        event = SignalEvent(
            kind,
            None if signum is None else _as_signal(signum),
            os.getpid() if pid is None else pid,
            _current_thread().name if thread is None else thread,
            handler,
            task,
            now - self._t0,
            detail,
            message,
            target,
            ended,
            parent,
        )
        self._events.append(event)
        if self._listeners:
            for listener in tuple(self._listeners):
                listener(event)
        return event

    def add_listener(self, listener: Callable[[SignalEvent], None]) -> None:
        """Call *listener* with every event recorded from now on."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[SignalEvent], None]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def wait_for(
        self,
        kind: EventKind,
        signal: object = None,
        *,
        task: object = None,
        process: object = None,
        tree: object = None,
        since: int | None = None,
        count: int | None = None,
        processes: int | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Wait for the first event of *kind* (and *signal*, *task* name or
        task, *process* or *tree*), and return it; one already in the log
        counts at once.

        In a test with a running event loop (pytest-asyncio, anyio on asyncio
        or trio) it returns an awaitable, so the loop keeps running while it
        waits: ``await signal_log.wait_for(...)``. In a synchronous test it
        blocks, bounded, and returns the event itself.

        With *count*, wait for that many matching events and return them (a
        list); with *processes*, for matching events from that many different
        processes, and return the first of each (a list). With *since* (a value
        of :attr:`recorded`), only events recorded after that mark count: "a
        new worker appeared after the SIGHUP".

        Example::

            await send_signal(signal.SIGTERM)          # the handler cancels the workers
            await signal_log.wait_for("cancelled", task="worker")

            def test_workers(spawn, send_signal, signal_log):   # synchronous
                master = spawn("prefork.py")
                signal_log.wait_for("installed", "SIGTERM", tree=master, processes=4)
                send_signal("SIGTERM", to=master)
                signal_log.wait_for("handled", "SIGTERM", tree=master, processes=5)

        Args:
            kind: the event's :attr:`~SignalEvent.kind`.
            signal: its signal, or None for any.
            task: the task's name, or the task (for ``"cancelled"``).
            process: events of this process only (a pid or a spawned process).
            tree: events of this spawned process and every process it
                started (see :meth:`tree`).
            since: a mark from :attr:`recorded`: only later events count.
            count: wait for this many matching events (returns a list).
            processes: wait for matching events from this many processes
                (returns a list, the first event of each).
            timeout: seconds (default ``signal_timeout``).

        Raises:
            ValueError: a bad kind, signal, count, mark or timeout, or both
                *count* and *processes*.
            pytest.fail.Exception: nothing (or too few) matched within the
                timeout, with what matched and the timeline.
        """
        __tracebackhide__ = True
        from ._awaiting import running_loop_here

        find, describe, bound = self._waiter(kind, signal, task, process, tree, since, count, processes, timeout)
        if running_loop_here():
            return self._wait_async(find, describe, bound)
        return self._wait_sync(find, describe, bound)

    def _waiter(
        self,
        kind: EventKind,
        signal: object,
        task: object,
        process: object,
        tree: object,
        since: int | None,
        count: int | None,
        processes: int | None,
        timeout: float | None,
    ) -> tuple[Callable[[], Any], Callable[[], str], float]:
        """What :meth:`wait_for` looks for, checked before any waiting: the
        finder (None until satisfied), the failure text and the bound."""
        from ._options import check_timeout

        self.filter(kind, signal, process=process, tree=tree)  # checks the arguments
        for setting, value in (("count", count), ("processes", processes)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{setting}={value!r} must be a whole number >= 1")
        if count is not None and processes is not None:
            raise ValueError(f"give count= or processes=, not both (count={count!r}, processes={processes!r})")
        if since is not None and (isinstance(since, bool) or not isinstance(since, int) or since < 0):
            raise ValueError(f"since={since!r} must be a mark from signal_log.recorded")
        bound = self.default_timeout if timeout is None else check_timeout(timeout, "timeout")
        name = None if task is None else (task if isinstance(task, str) else task.get_name())  # type: ignore[attr-defined]
        wanted = 1 if count is None and processes is None else (count or processes or 1)

        def matching() -> list[SignalEvent]:
            events = self.filter(kind, signal, process=process, tree=tree)
            if since is not None:
                later = set(map(id, self.since(since)))
                events = [e for e in events if id(e) in later]
            events = [e for e in events if name is None or e.task == name]
            if processes is not None:
                first: dict[int, SignalEvent] = {}
                for event in events:
                    first.setdefault(event.pid, event)
                events = list(first.values())
            return events

        only = _process_pid(process)

        def find() -> Any:
            events = matching()
            if len(events) < wanted:
                # A spawned child's "exited" comes after everything it reported: nothing more will.
                if only is not None and any(e.kind == "exited" and e.pid == only for e in self._events):
                    return _ENDED
                return None
            return events[:wanted] if (count is not None or processes is not None) else events[0]

        def describe() -> str:
            named = None if signal is None else signal_name(resolve_signal(signal))
            what = " ".join(str(x) for x in (kind, named, name) if x)
            where = self._where(process, tree)
            after = "" if since is None else f" after mark {since}"
            got = matching()
            if processes is not None:
                return (
                    f"waited {bound:g}s for {what} events{where}{after} from {processes} processes; "
                    f"{len(got)} came (from pids {', '.join(str(e.pid) for e in got) or 'none'})"
                )
            if find() is _ENDED:
                waited = f"waited for {'a' if count is None and processes is None else wanted} {what} event(s)"
                return f"{waited}{where}{after}; pid {only} ended first, after {len(got)}"
            if count is not None:
                return f"waited {bound:g}s for {count} {what} events{where}{after}; {len(got)} came"
            return f"waited {bound:g}s for a {what} event{where}{after}; none came"

        return find, describe, bound

    async def _wait_async(self, find: Callable[[], Any], describe: Callable[[], str], bound: float) -> Any:
        __tracebackhide__ = True
        from ._awaiting import wait_until

        found = await wait_until(self, find, bound)
        if found is None or found is _ENDED:
            import pytest

            raise self.failure(pytest.fail.Exception(describe()))
        return found

    def _wait_sync(self, find: Callable[[], Any], describe: Callable[[], str], bound: float) -> Any:
        __tracebackhide__ = True
        from ._awaiting import wait_blocking

        found = wait_blocking(self, find, bound)
        if found is None or found is _ENDED:
            import pytest

            raise self.failure(pytest.fail.Exception(describe()))
        return found

    # -- sequence protocol -------------------------------------------------------

    def __len__(self) -> int:
        return len(self._events)

    @overload
    def __getitem__(self, index: int) -> SignalEvent: ...
    @overload
    def __getitem__(self, index: slice) -> list[SignalEvent]: ...
    def __getitem__(self, index: int | slice) -> SignalEvent | list[SignalEvent]:
        return self._events[index]

    def __iter__(self) -> Iterator[SignalEvent]:
        return iter(list(self._events))

    def __repr__(self) -> str:
        return f"<SignalLog {len(self)} events>"

    def clear(self) -> None:
        """Forget every event recorded so far (the clock keeps running)."""
        count = len(self._events)
        self._cleared += count
        del self._events[:count]

    @property
    def recorded(self) -> int:
        """How many events were ever recorded (a mark for :meth:`since`)."""
        return self._cleared + len(self._events)

    def since(self, mark: int) -> list[SignalEvent]:
        """The events recorded after *mark* (a value of :attr:`recorded`) that are still here."""
        return self._events[max(0, mark - self._cleared) :]

    # -- views -------------------------------------------------------------------

    def filter(
        self,
        kind: EventKind | None = None,
        signal: object = None,
        *,
        process: object = None,
        tree: object = None,
    ) -> list[SignalEvent]:
        """Events of *kind* and/or for *signal*, and/or in one *process*, or in
        a whole *tree* (each a pid or a spawned process).

        ``process=worker`` is the events of that one process, whatever it is:
        the test process, a spawned child, or any process of a child's tree
        (its pid). ``tree=proc`` is the events of *proc* and of every process
        it forked or started, at any depth, as their ``"started"`` events
        tell (see :meth:`tree`).

        Raises:
            ValueError: an unknown kind or signal, a *process* or *tree* that
                is neither a pid nor has one, or both given.
        """
        if kind is not None and kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {kind!r}: expected one of {', '.join(EVENT_KINDS)}")
        signum = None if signal is None else resolve_signal(signal)
        pid = _process_pid(process)
        if tree is not None and pid is not None:
            raise ValueError(f"give process= or tree=, not both (process={process!r}, tree={tree!r})")
        pids = None if tree is None else self.tree(tree)
        return [
            e
            for e in self._events
            if (kind is None or e.kind == kind)
            and (signum is None or e.signal == signum)
            and (pid is None or e.pid == pid)
            and (pids is None or e.pid in pids)
        ]

    def tree(self, root: object) -> set[int]:
        """The pids of *root* (a pid or a spawned process) and of every process
        that reported being started from it, at any depth: the processes whose
        events ``tree=root`` selects. A process is in the tree from its
        ``"started"`` event on, so a pid that the system later gives to an
        unrelated process is not mistaken for it unless that one reports in.

        Raises:
            ValueError: *root* is neither a pid nor has one.
        """
        top = _process_pid(root, "tree")
        if top is None:
            raise ValueError("tree=None: give a pid or a spawned process")
        pids = {top}
        started = [(e.pid, e.parent) for e in self._events if e.kind == "started"]
        grew = True
        while grew:  # a grandchild's report may come before its parent's (two channels)
            grew = False
            for pid, parent in started:
                if parent in pids and pid not in pids:
                    pids.add(pid)
                    grew = True
        return pids

    @property
    def started(self) -> list[SignalEvent]:
        """Processes of spawned children's trees that reported in (forks,
        started Python processes): ``"started"`` events, with their
        :attr:`~SignalEvent.parent`."""
        return self.filter("started")

    @property
    def sent(self) -> list[SignalEvent]:
        """Signals sent through ``send_signal``."""
        return self.filter("sent")

    @property
    def installed(self) -> list[SignalEvent]:
        """Dispositions set by the code under test (``signal.signal``)."""
        return self.filter("installed")

    @property
    def handled(self) -> list[SignalEvent]:
        """Handler calls, whoever sent the signal."""
        return self.filter("handled")

    @property
    def defaults(self) -> list[SignalEvent]:
        """Signals that met their default action (the process would have died or stopped)."""
        return self.filter("default")

    @property
    def ignored(self) -> list[SignalEvent]:
        """Signals sent while ignored (``SIG_IGN``, or ignored by default)."""
        return self.filter("ignored")

    @property
    def keyboard_interrupts(self) -> list[SignalEvent]:
        """``KeyboardInterrupt`` raised by a SIGINT handler."""
        return self.filter("keyboard_interrupt")

    @property
    def cancelled(self) -> list[SignalEvent]:
        """asyncio tasks that a cancellation reached (``task`` is the task's
        name, ``ended`` how it ended: ``"cancelled"``, ``"returned"``, ``"raised"``)."""
        return self.filter("cancelled")

    @property
    def exits(self) -> list[SignalEvent]:
        """Spawned children that exited (``detail`` says how)."""
        return self.filter("exited")

    def timeline(self) -> str:
        """Every event on one line, with its time offset."""
        if not self._events:
            return "(no signal events were observed)"
        return "\n".join(str(e) for e in self._events)

    # -- failures that carry the timeline ------------------------------------------

    def failure(self, exc: _Exc, *, events: Sequence[SignalEvent] | None = None) -> _Exc:
        """*exc* (an ``AssertionError`` or ``pytest.fail.Exception``) with the
        whole timeline added to its message, noted so that the failed phase's
        "signal timeline" report section, which would repeat it, is left out.
        With *events*, or inside :meth:`one_run`, only the events of that
        one run (``signal_anywhere``), and the message says so."""
        if events is None and self._window is not None:
            events = self.since(self._window)
        if events is None:
            timeline = f"signal timeline:\n{self.timeline()}"
        else:
            shown = "\n".join(str(e) for e in events) or "(no signal events were observed)"
            timeline = f"signal timeline of that run:\n{shown}"
        exc.args = (f"{exc.args[0] if exc.args else ''}\n{timeline}", *exc.args[1:])
        if hasattr(exc, "msg"):  # pytest's outcome exceptions keep the message there too
            exc.msg = exc.args[0]
        # On the exception itself: the log keeps no reference to it (nor to its
        # frames), and a later exception cannot be taken for it.
        setattr(exc, _SHOWN, (id(self), self.recorded))
        return exc

    @contextlib.contextmanager
    def one_run(self) -> Iterator[None]:
        """Failures made meanwhile show only the events recorded since it
        began: one run of many (``signal_anywhere``)."""
        previous, self._window = self._window, self.recorded
        try:
            yield
        finally:
            self._window = previous

    def shows_timeline(self, exc: BaseException | None) -> bool:
        """True when *exc* came from this log's :meth:`failure` and nothing was recorded since."""
        return getattr(exc, _SHOWN, None) == (id(self), self.recorded)

    # -- assertions --------------------------------------------------------------

    def _where(self, process: object, tree: object) -> str:
        if process is not None:
            return f" in process {_process_pid(process)}"
        if tree is not None:
            pids = ", ".join(map(str, sorted(self.tree(tree))))
            return f" in the tree of pid {_process_pid(tree, 'tree')} (pids {pids})"
        return ""

    def _fail(self, message: str) -> NoReturn:
        __tracebackhide__ = True
        raise self.failure(AssertionError(message))

    def assert_handled(
        self,
        sig: object,
        *,
        times: int | None = None,
        by: object = None,
        process: object = None,
        tree: object = None,
    ) -> list[SignalEvent]:
        """Assert that a handler for *sig* ran (exactly *times* times, when given).

        Args:
            sig: the signal.
            times: exact number of handler calls expected.
            by: the handler, or its qualified name or a dotted suffix of it
                (``"on_term"``, ``"Server.on_term"``); a bound method is named
                by its class and function, and a ``functools.partial`` (logged
                as ``partial(module.func)``) by the function it wraps, so
                ``by="Runner._on_sigint"`` matches
                ``partial(asyncio.runners.Runner._on_sigint)``.
            process: only count calls in this process: a pid (of the test
                process, a spawned child, or any process of a child's tree)
                or a spawned process.
            tree: only count calls in this spawned process and the processes
                it started (:meth:`tree`).

        Returns:
            The matching ``"handled"`` events.

        Raises:
            AssertionError: with the expected and observed calls and the timeline.
        """
        __tracebackhide__ = True
        if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 0):
            raise ValueError(f"times={times!r} must be a whole number >= 0")
        signum = resolve_signal(sig)
        calls = self.filter("handled", signum, process=process, tree=tree)
        matching = [e for e in calls if by is None or _name_matches(e.handler, by)]
        who = "" if by is None else f" by {by if isinstance(by, str) else handler_name(by)}"
        where = self._where(process, tree)
        if (times is None and not matching) or (times is not None and len(matching) != times):
            wanted = "at least once" if times is None else f"{times} time(s)"
            seen = ", ".join(f"{e.handler} in pid {e.pid} at +{e.time:.4f}s" for e in calls) or "none"
            self._fail(
                f"expected {signal_name(signum)} to be handled{who}{where} {wanted}, "
                f"observed {len(matching)} matching call(s).\n"
                f"handler calls for {signal_name(signum)}: {seen}"
            )
        return matching

    def assert_not_handled(self, sig: object, *, process: object = None, tree: object = None) -> None:
        """Assert that no handler for *sig* ran.

        Args:
            sig: the signal.
            process: only look in this process (a pid or a spawned process); None for any.
            tree: only look in this spawned process and the processes it started.

        Raises:
            AssertionError: listing the calls that did happen and the timeline.
        """
        __tracebackhide__ = True
        signum = resolve_signal(sig)
        calls = self.filter("handled", signum, process=process, tree=tree)
        if calls:
            seen = ", ".join(f"{e.handler} in pid {e.pid} at +{e.time:.4f}s" for e in calls)
            self._fail(
                f"expected no handler for {signal_name(signum)} to run{self._where(process, tree)}, "
                f"observed {len(calls)} call(s): {seen}"
            )

    def assert_sent(self, sig: object, *, times: int | None = None) -> list[SignalEvent]:
        """Assert that the test sent *sig* with ``send_signal`` (*times* times, when given)."""
        __tracebackhide__ = True
        signum = resolve_signal(sig)
        sent = self.filter("sent", signum)
        if (times is None and not sent) or (times is not None and len(sent) != times):
            wanted = "at least once" if times is None else f"{times} time(s)"
            self._fail(f"expected {signal_name(signum)} to be sent {wanted}, observed {len(sent)}")
        return sent

    def assert_keyboard_interrupt(self, *, process: object = None, tree: object = None) -> SignalEvent:
        """Assert that a ``KeyboardInterrupt`` was raised by a SIGINT handler
        (or, in a spawned child, reached its top level); the first such event.

        Args:
            process: only look in this process (a pid or a spawned process); None for any.
            tree: only look in this spawned process and the processes it started.

        Raises:
            AssertionError: none was, with the timeline.
        """
        __tracebackhide__ = True
        found = self.filter("keyboard_interrupt", process=process, tree=tree)
        if not found:
            self._fail(f"expected a KeyboardInterrupt{self._where(process, tree)}, observed none")
        return found[0]

    def assert_cancelled(
        self,
        task: object,
        *,
        message: object = _UNSET,
        process: object = None,
        absorbed: bool = False,
        tree: object = None,
    ) -> SignalEvent:
        """Assert that the asyncio task *task* (its name, or the task) ended cancelled.

        With *message* (a string, or None for "no message"), the CancelledError
        it ended with must also carry that message. With ``absorbed=True`` a
        task that caught the cancellation and then returned or raised something
        else passes too (the classic shutdown: ``except CancelledError:
        print("work() cancelled")``); the returned event's ``ended`` says which.

        Args:
            task: the task's name, or the task.
            message: the cancel message the task must have ended with (None:
                none); any message when not given.
            process: only look in this process (a pid or a spawned process); None for any.
            absorbed: a task that caught the cancellation passes too.
            tree: only look in this spawned process and the processes it started.

        Raises:
            AssertionError: listing the tasks a cancellation reached (with how
                they ended and their messages), and the timeline.
        """
        __tracebackhide__ = True
        name = task if isinstance(task, str) else getattr(task, "get_name", lambda: repr(task))()
        events = self.filter("cancelled", process=process, tree=tree)
        for event in events:
            if (
                event.task == name
                and (absorbed or event.ended in (None, "cancelled"))
                and (message is _UNSET or event.message == message)
            ):
                return event
        seen = ", ".join(f"{e.task} (message {e.message!r}, ended {e.ended or 'cancelled'})" for e in events) or "none"
        wanted = f"task {name!r}" if message is _UNSET else f"task {name!r} with message {message!r}"
        how = "to be cancelled (however it ended)" if absorbed else "to end cancelled"
        self._fail(f"expected {wanted} {how}; tasks a cancellation reached: {seen}")
