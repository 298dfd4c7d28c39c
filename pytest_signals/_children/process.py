"""A spawned child as the test sees it: :class:`SpawnedProcess`.

It has a :class:`~.watch.ChildWatch` (two threads that learn the child's end
and read its output and reports) and talks to it through the watcher's small
API: wait for a state, read the state, send a signal that cannot reach
another process. Every wait is bounded, and fails with :class:`WaitFailed`
(an ``AssertionError``, so a helper can catch it with ``except Exception``)
carrying the child's timeline and the tail of its output.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from .._compat import monotonic
from .._delivery import Delivery, Via
from .._events import EventKind, SignalEvent
from .._signals import default_action, resolve_signal, signal_name
from .expect import Expected, pattern_of, patterns_of, search
from .output import Found
from .stopping import StopResult
from .tree import Descendant
from .watch import ChildState, ChildWatch

if TYPE_CHECKING:
    from .._events import SignalLog
    from .namespaces import InitProcess

StartMethod = Literal["forkserver", "exec"]
_TAIL = 2000
_STACKS_BOUND = 5.0  # to wait for a stuck child's stacks, at most


class SpawnError(RuntimeError):
    """The target of ``spawn`` could not be found or started."""


class WaitFailed(AssertionError):
    """A bounded wait on a spawned process did not see what it waited for:
    the process did not exit, print, handle or start in time, or exited first.
    The message says what was expected, what was observed, and the timeline."""

    __module__ = "pytest_signals"  # as users import it


class SpawnedProcess:
    """A real child process started by the ``spawn`` fixture.

    Attributes:
        pid: the child's pid (also its process group and session id).
        argv: the command line it was started with.
        target: what was passed to ``spawn``.
        tty: True when it runs in a pseudo-terminal.
        instrumented: True for Python targets, which report handler calls.
        forked: True when it was forked from the fork server's template
            (``signal_start_method``), False for a new interpreter.
        exec_reason: why a Python child was started as a new interpreter
            rather than forked from the template (``"tty=True: ..."``,
            ``"signal_start_method=exec"``, a start-up variable a fork
            cannot apply, a folder on its import path that would hide a
            module the template had imported...); None when it was forked,
            and for a command.

    Everything it reports lands in the test's ``signal_log``, tagged with its
    pid: ``signal_log.assert_handled(signal.SIGTERM, process=proc)``.
    """

    def __init__(
        self,
        *,
        pid: int,
        argv: list[str],
        target: object,
        tty: bool,
        instrumented: bool,
        log: SignalLog,
        timeout: float,
        watch: ChildWatch,
        forked: bool = False,
        exec_reason: str | None = None,
        init: InitProcess | None = None,
        adopted: Callable[[], tuple[list[int], int]] | None = None,
        orphan_ended: Callable[[int, float], bool] | None = None,
        launch: str | None = None,
    ) -> None:
        self.pid = pid
        self.launch = launch or ("init" if init is not None else "terminal" if tty else "service")
        self._service_stdin = launch == "service" and watch.fd("stdin") is None  # /dev/null
        """The process model it was started in: ``"plain"`` (as ``subprocess.Popen``
        starts it: a member of a session and group it does not lead),
        ``"service"`` (the leader of a session of its own; also a plain child
        where one cannot be made, see the docs), ``"terminal"`` (``tty=True``:
        the foreground job of its terminal, whose session a small leader owns),
        ``"terminal-leader"`` (``tty=True`` where no such leader can be made:
        it leads the terminal's session itself) or ``"init"`` (``as_init=True``)."""
        self._init = init
        self._adopted = adopted  # the fork server's adopted orphans, and its pid (a forked child)
        self._orphan_ended = orphan_ended  # whether an orphan with that pid ended since the fork (a forked child)
        self.forked = forked
        self.exec_reason = None if forked or not instrumented else exec_reason
        self.argv = argv
        self.target = target
        self.tty = tty
        self.instrumented = instrumented
        self.killed_at_teardown = False
        self._log = log
        self._timeout = timeout
        self._watch = watch
        self._stopping: float | None = None  # when the stop sequence sent SIGTERM
        # Descendants teardown killed, (pid, command line): what was left of its session.
        self.stopped_descendants: list[tuple[int, str]] = []
        self._orphaned_by_exit = False  # they outlived the child, which had ended before teardown

    def __repr__(self) -> str:
        with self._watch.read() as state:
            return f"<SpawnedProcess pid={self.pid} {self.target!r} {state.describe_exit()}, {self.started_as}>"

    @property
    def orphans_adopted(self) -> bool:
        """True when the fork server's template started it (forked, or
        forked and exec'd: Linux), so that the orphans of its tree are the
        template's, stopped at teardown and listed by :meth:`descendants`."""
        return self._adopted is not None

    @property
    def as_init(self) -> bool:
        """True when it runs as pid 1 of a new pid namespace (``spawn(..., as_init=True)``)."""
        return self._init is not None

    @property
    def start_method(self) -> StartMethod:
        """``"forkserver"`` (forked from the fork server's template) or
        ``"exec"`` (a new interpreter, or the command itself)."""
        return "forkserver" if self.forked else "exec"

    @property
    def started_as(self) -> str:
        """How it was started, for people: forked, or a new interpreter and why."""
        if self._init is not None and not self.instrumented:
            return f"a command, started as itself, as {self._init.describe()}"
        if self.forked:
            return "forked from the fork server's template"
        if not self.instrumented:
            return "a command, started as itself"
        return f"a new interpreter ({self.exec_reason})" if self.exec_reason else "a new interpreter"

    # -- state -------------------------------------------------------------------

    @property
    def returncode(self) -> int | None:
        """None while running; the exit code; ``-N`` when killed by signal N.
        Also None when the child ended but its status cannot be known: then
        :attr:`status_unknown` says why."""
        with self._watch.read() as state:
            return state.returncode

    @property
    def status_unknown(self) -> str | None:
        """Why the child's exit status cannot be known, once it ended without
        one (something else reaped it, or the template that was its parent
        died); None otherwise."""
        with self._watch.read() as state:
            return state.status_unknown

    @property
    def exit_signal(self) -> int | None:
        """The signal that killed the child (``signal.Signals``), or None."""
        with self._watch.read() as state:
            return state.exit_signal

    @property
    def keyboard_interrupt(self) -> bool:
        """True when a ``KeyboardInterrupt`` propagated out of the child's top
        level and ended it, as the interpreter ends then (by ``SIGINT``). Known
        once the child has ended; False before. A program that catches one and
        hands it to ``sys.excepthook`` itself (the asyncio REPL) was not
        interrupted. Python targets only."""
        with self._watch.read() as state:
            return state.top_level_interrupt

    def is_alive(self) -> bool:
        """True until the child has ended (its status known or not)."""
        with self._watch.read() as state:
            return not state.ended

    @property
    def stdout(self) -> str:
        """Everything the child wrote to stdout so far (in tty mode, the terminal's output)."""
        with self._watch.read() as state:
            return state.output.text("stdout")

    @property
    def stderr(self) -> str:
        """Everything the child wrote to stderr so far (empty in tty mode: see ``output``)."""
        with self._watch.read() as state:
            return state.output.text("stderr")

    @property
    def output(self) -> str:
        """stdout and stderr interleaved as they arrived (the terminal's output in tty mode)."""
        with self._watch.read() as state:
            return state.output.text("output")

    @property
    def events(self) -> list[Any]:
        """The log events of this child and of every process of its tree (its
        forks, the Python processes they started, at any depth): what
        ``signal_log.filter(tree=proc)`` selects. Each event's ``pid`` says
        which process it happened in."""
        return self._log.filter(tree=self)

    # -- waiting -------------------------------------------------------------------

    def _bound(self, timeout: float | None) -> float:
        if timeout is None:
            return self._timeout
        from .._options import check_timeout

        return check_timeout(timeout, "timeout")

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the child to end and return its ``returncode`` (None when
        its status cannot be known: see :attr:`status_unknown`).

        Args:
            timeout: seconds to wait; ``signal_timeout`` if None.

        Raises:
            WaitFailed: it did not exit in time (the timeline and the tail of
                its output say what it was doing). An ``AssertionError``.
        """
        __tracebackhide__ = True
        bound = self._bound(timeout)
        # "drained": ended, and what it wrote before is read. (Not the channel's
        # end of file: a daemon it forked may hold the channel open for ever.)
        if not self._watch.wait_until(lambda s: s.drained, bound):
            self._fail(f"waited {bound:g}s for pid {self.pid} to exit; it is still running")
        with self._watch.read() as state:
            return state.returncode

    def expect(self, pattern: str | re.Pattern[str], timeout: float | None = None) -> re.Match[str]:
        """Wait until *pattern* (a regular expression) matches the output after
        the previous match, as pexpect does, and return the match. Positions
        in the match (``start()``, ``end()``) are within the text it searched.

        Args:
            pattern: a ``str`` or compiled ``re.Pattern`` of ``str``.
            timeout: seconds to wait; ``signal_timeout`` if None.

        Raises:
            WaitFailed: no match in time, or the child exited first.
        """
        __tracebackhide__ = True
        regex = pattern_of(pattern)
        return self._expect("any", [regex], 1, timeout)[0].match

    def expect_exact(self, text: str, timeout: float | None = None) -> re.Match[str]:
        """:meth:`expect` for plain text: ``"Terminated (1)!"`` matches itself.

        Args:
            text: the text, matched as it is.
            timeout: seconds to wait; ``signal_timeout`` if None.

        Raises:
            TypeError: *text* is not a ``str``.
            WaitFailed: it did not appear in time, or the child exited first.
        """
        __tracebackhide__ = True
        if not isinstance(text, str):
            raise TypeError(f"expect_exact() takes a str, got {text!r}")
        regex = re.compile(re.escape(text))
        return self._expect("any", [regex], 1, timeout, {regex: f"the text {text!r}"})[0].match

    def expect_any(
        self, patterns: list[str | re.Pattern[str]] | tuple[str | re.Pattern[str], ...], timeout: float | None = None
    ) -> Expected:
        """Wait for the first of several *patterns* after the previous match:
        the leftmost match wins (a tie goes to the earlier pattern). Returns
        ``(which, match)``, *which* the index of the pattern that matched::

            which, match = proc.expect_any(["ready", "error: (.*)"])

        Args:
            patterns: a non-empty list or tuple of patterns, as :meth:`expect` takes.
            timeout: seconds to wait; ``signal_timeout`` if None.

        Raises:
            WaitFailed: none matched in time, or the child exited first.
        """
        __tracebackhide__ = True
        found = self._expect("any", [pattern_of(p) for p in patterns_of(patterns)], 1, timeout)[0]
        return Expected(found.pattern, found.match)

    def expect_all(
        self, patterns: list[str | re.Pattern[str]] | tuple[str | re.Pattern[str], ...], timeout: float | None = None
    ) -> list[re.Match[str]]:
        """Wait until every one of *patterns* has matched after the previous
        match, in any order (interleaved logs of several workers); the matches,
        in the order of *patterns*. The next ``expect`` starts after the one
        that ends last.

        Args:
            patterns: a non-empty list or tuple of patterns, as :meth:`expect` takes.
            timeout: seconds to wait; ``signal_timeout`` if None.

        Raises:
            WaitFailed: some did not match in time (the message names them).
        """
        __tracebackhide__ = True
        regexes = [pattern_of(p) for p in patterns_of(patterns)]
        return [found.match for found in self._expect("all", regexes, len(regexes), timeout)]

    def expect_count(
        self, pattern: str | re.Pattern[str], count: int, timeout: float | None = None
    ) -> list[re.Match[str]]:
        """Wait for *count* matches of *pattern* after the previous match
        ("3 workers booted"); the matches, in order.

        Args:
            pattern: as :meth:`expect` takes.
            count: how many matches, at least 1.
            timeout: seconds to wait; ``signal_timeout`` if None.

        Raises:
            ValueError: a count below 1.
            WaitFailed: fewer matched in time (the message says how many).
        """
        __tracebackhide__ = True
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"expect_count(count={count!r}): the count must be a whole number, at least 1")
        return [found.match for found in self._expect("count", [pattern_of(pattern)], count, timeout)]

    def _expect(
        self,
        mode: str,
        regexes: list[re.Pattern[str]],
        count: int,
        timeout: float | None,
        names: dict[re.Pattern[str], str] | None = None,
    ) -> tuple[Found, ...]:
        __tracebackhide__ = True
        hint = not self.tty and self.instrumented
        found = search(self._watch, mode, regexes, count, self._bound(timeout), names, self.pid, hint)
        if isinstance(found, str):
            self._fail(found)
        return found

    def wait_for_handler(self, sig: object, timeout: float | None = None) -> None:
        """Return as soon as the child has installed a Python handler for *sig*
        (``signal.signal`` or an event loop's ``add_signal_handler``).

        Args:
            sig: ``signal.Signals``, a number or a name (``"SIGTERM"``, ``"TERM"``).
            timeout: seconds to wait; ``signal_timeout`` if None.

        Raises:
            ValueError: the child is not a Python target (nothing reports handlers).
            WaitFailed: not installed in time, or the child exited first.
        """
        __tracebackhide__ = True
        signum = resolve_signal(sig)
        if not self.instrumented:
            raise ValueError(f"wait_for_handler() needs a Python target; pid {self.pid} runs {self.argv!r}")
        bound = self._bound(timeout)
        if self._watch.wait_until(lambda s: s.dispositions.get(signum) == "handler" or s.ended, bound):
            with self._watch.read() as state:
                if state.dispositions.get(signum) == "handler":
                    return
        with self._watch.read() as state:
            state_text = "it exited first" if state.ended else f"waited {bound:g}s"
        self._fail(f"expected pid {self.pid} to install a handler for {signal_name(signum)}; {state_text}")

    def wait_for_event(
        self, kind: EventKind, signal: object = None, *, task: str | None = None, timeout: float | None = None
    ) -> SignalEvent:
        """Block (bounded) until this child reports an event of *kind* (and
        *signal*, and *task* name), and return it; one already in the log is
        returned at once; it stops waiting as soon as the child has ended
        (``signal_log.wait_for(..., process=proc)`` does the same, and takes
        ``tree=``, ``count=`` and ``processes=`` too)::

            send_signal(signal.SIGTERM, to=proc)
            proc.wait_for_event("cancelled", task="worker")

        Args:
            kind: the event's :attr:`~SignalEvent.kind`.
            signal: the event's signal, or None for any.
            task: the name of the task (for ``"cancelled"``), or None for any.
            timeout: seconds to wait; ``signal_timeout`` if None.

        Raises:
            ValueError: an unknown kind or signal.
            WaitFailed: nothing matched in time, or the child ended first.
        """
        __tracebackhide__ = True
        self._log.filter(kind, signal)  # checks kind and signal before waiting
        bound = self._bound(timeout)
        found: list[SignalEvent] = []

        def seen(state: ChildState) -> bool:
            for event in self._log.filter(kind, signal, process=self.pid):
                if task is None or event.task == task:
                    found.append(event)
                    return True
            return state.drained

        self._watch.wait_until(seen, bound)
        if found:
            return found[0]
        what = " ".join(
            str(x) for x in (kind, None if signal is None else signal_name(resolve_signal(signal)), task) if x
        )
        with self._watch.read() as state:
            state_text = "it ended first" if state.ended else f"waited {bound:g}s"
        self._fail(f"expected pid {self.pid} to report a {what} event; {state_text}")

    def survivors(self) -> list[tuple[int, str]]:
        """The processes the child started that still run in its session,
        as ``(pid, command line)``: what a container runtime would still
        have to kill. Read on Linux (``/proc``) while the child, alive or
        ended, has not been reaped (until teardown). A daemon that left the
        session is not among them: see :meth:`descendants`.

        Raises:
            RuntimeError: where it cannot be known (not Linux, or after teardown).
        """
        members = self._watch.session_members()
        if members is None:
            raise RuntimeError(
                f"the descendants of pid {self.pid} cannot be listed here (it needs Linux's /proc, "
                "and a child not yet reaped)"
            )
        return members

    def assert_no_survivors(self) -> None:
        """Assert that nothing the child started outlives it: for a container
        entrypoint, a supervisor or a shell script, every process it started
        ended with it. The failure names each survivor, with its command line,
        and the signals the test sent to the child, which it never passed on.

        Raises:
            AssertionError: some still run (see :meth:`survivors`).
        """
        __tracebackhide__ = True
        left = self.survivors()
        if not left:
            return
        sent = sorted({e.signal for e in self._log.filter("sent") if e.target == self.pid and e.signal is not None})
        with self._watch.read() as state:
            how = state.describe_exit()
        lines = [f"pid {self.pid} ({self.target!r}) {how}, but processes it started still run:"]
        lines += [f"  pid {pid}: {command or '?'}" for pid, command in left]
        if sent and how != "running":
            names = ", ".join(signal_name(s) for s in sent)
            lines.append(
                f"The test's {names} went to pid {self.pid} only, and it did not pass it on: a shell "
                "entrypoint that runs the program without exec does that (use `exec prog`)"
            )
        raise self._log.failure(AssertionError("\n".join(lines)))

    def descendants(self) -> list[Descendant]:
        """The live processes of the child's tree, the child left out, parents
        before their children, as :class:`~pytest_signals.Descendant` records
        (pid, parent pid, command line). Includes, for a child the fork
        server's template started (:attr:`orphans_adopted`), the orphans that
        left it (a daemon's double fork: their parent ended and the template
        adopted them), marked ``orphan=True``; when the test has several such
        children, each lists them (nothing tells which one they came from). A snapshot, read from ``/proc`` on
        Linux; elsewhere from ``ps``, without the orphans (see "No orphans"
        in the docs). Valid until teardown::

            assert [d.command for d in proc.descendants()] == ["worker", "worker"]

        Raises:
            RuntimeError: after teardown (the child's pid proves nothing
                then), or where the processes cannot be listed.
        """
        return self._tree(ended=False)

    def _tree(self, ended: bool) -> list[Descendant]:
        """:meth:`descendants`; *ended*: with the zombies (ended, not reaped yet)."""
        from .tree import descendants

        if not self._watch.unreaped():
            raise RuntimeError(
                f"the descendants of pid {self.pid} cannot be listed any more: it was reaped at teardown, "
                "and its pid may name another process by now"
            )
        adopters, adopter = self._adopted() if self._adopted is not None else ([], 0)
        found = descendants(self.pid, adopters, adopter, ended=ended)
        if found is None:
            raise RuntimeError(f"the descendants of pid {self.pid} cannot be listed here (no /proc, and ps failed)")
        return found

    def wait_descendant(self, pid: int, timeout: float | None = None) -> None:
        """Wait for a process of the child's tree that is not the child, such
        as a daemon found through its pidfile, to end (its exit status is its
        parent's to know, so none is returned). The process must be one of
        :meth:`descendants` (an orphan the fork server's template adopted
        included) or one of them that has ended but is not reaped yet; it is
        held through a pidfd, so a recycled pid is never waited for. An
        adopted orphan that ended and was reaped already (the template reaps
        one at once, often before the test asks) returns at once. Linux only::

            daemon = int((tmp_path / "app.pid").read_text())
            send_signal(signal.SIGTERM, to=daemon)
            proc.wait_descendant(daemon)

        Args:
            pid: the process's pid.
            timeout: seconds to wait; ``signal_timeout`` if None.

        Raises:
            ValueError: *pid* is not a pid, or not a process of the child's
                tree (the message says why: its parent chain).
            ProcessLookupError: no process has that pid (and no orphan
                the template adopted had it and ended since the child started).
            RuntimeError: no pidfds here (not Linux), or after teardown.
            WaitFailed: it did not end in time.
        """
        __tracebackhide__ = True
        import select

        if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
            raise ValueError(f"wait_descendant({pid!r}): pass the pid of one process (a positive int)")
        if pid == self.pid:
            raise ValueError(f"wait_descendant({pid}) is pid {self.pid} itself: use wait()")
        opener = getattr(os, "pidfd_open", None)
        if opener is None:
            raise RuntimeError(
                f"wait_descendant({pid}) needs pidfds (Linux): without one, a pid that is not a child cannot "
                "be waited for without polling, nor told from a later holder of the number"
            )
        bound = self._bound(timeout)
        try:
            pidfd = opener(pid)
        except ProcessLookupError:
            # An orphan that ended is reaped by the template at once: often
            # before the test asks, right after it signalled it.
            if self._orphan_ended is not None and self._orphan_ended(pid, bound):
                return
            raise ProcessLookupError(f"wait_descendant({pid}): no process with pid {pid}") from None
        try:
            # Zombies too: one that ended and is not reaped yet keeps its pid.
            ours = pid in {d.pid for d in self._tree(ended=True)}
            try:  # not reaped yet (a zombie can be signalled): the listing above was this process's own
                signal.pidfd_send_signal(pidfd, 0)
            except ProcessLookupError:
                ours = True  # gone since the opening: it ended, whoever it was; nothing to wait for
            if not ours and self._orphan_ended is not None and self._orphan_ended(pid, bound):
                return  # the orphan that had the number ended; another process has it now
            if not ours:
                from .tree import why_not_ours

                raise ValueError(
                    f"wait_descendant({pid}): pid {pid} is not a process of pid {self.pid}'s tree: "
                    f"{why_not_ours(pid)}. pytest-signals waits only for processes it can prove are the test's own"
                )
            if not select.select([pidfd], [], [], bound)[0]:
                from .tree import command_line

                self._fail(
                    f"waited {bound:g}s for pid {pid} ({command_line(pid) or '?'}), a descendant of pid "
                    f"{self.pid}, to end; it still runs"
                )
        finally:
            os.close(pidfd)

    def assert_no_orphans(self, timeout: float = 0.0) -> None:
        """Assert that the child, which has ended, left no process of its
        tree running, even one that left its session and group (a daemon):
        what teardown would otherwise have to kill. Waits up to *timeout*
        seconds for those on their way out (event-driven, through pidfds;
        where there are none the check is made once). The failure names each
        one with its parent and command line. Unlike
        :meth:`assert_no_survivors`, which looks at the child's session only,
        this sees the orphans the fork server's template adopted (Linux:
        see :attr:`orphans_adopted`).

        Args:
            timeout: seconds to wait for the tree to empty, 0 to check once.

        Raises:
            ValueError: a negative timeout.
            RuntimeError: the child still runs (``wait()`` or ``stop()`` it
                first), or its tree cannot be listed (see :meth:`descendants`).
            AssertionError: some still run.
        """
        __tracebackhide__ = True
        from .._options import check_timeout

        bound = check_timeout(timeout, "timeout") if timeout != 0 else 0.0
        if self.is_alive():
            raise RuntimeError(
                f"pid {self.pid} still runs: assert_no_orphans() checks what outlives it (wait() or stop() it first)"
            )
        deadline = monotonic() + bound
        left = self.descendants()
        while left and monotonic() < deadline and _wait_any_gone([d.pid for d in left], deadline - monotonic()):
            left = self.descendants()
        if not left:
            return
        with self._watch.read() as state:
            how = state.describe_exit()
        waited = f" {bound:g}s later" if bound else ""
        lines = [f"pid {self.pid} ({self.target!r}) {how}, but processes of its tree still run{waited}:"]
        for d in left:
            how_found = ", an orphan adopted by the fork server's template" if d.orphan else ""
            lines.append(f"  pid {d.pid} (parent {d.parent}{how_found}): {d.command or '?'}")
        raise self._log.failure(AssertionError("\n".join(lines)))

    def _fail(self, message: str) -> NoReturn:
        __tracebackhide__ = True
        stacks = ""
        if not self._watch.direct:  # its parent is the template: a stopped one tells nothing
            from .fork_server import FORK_SERVER

            watch = self._watch
            leader = watch.session_pidfd if self.launch == "terminal" and watch.session != self.pid else None
            resumed = FORK_SERVER.resume_if_stopped(None if leader is None else (self.pid, watch.session, leader))
            if resumed is not None:
                message += f"\n{resumed[0].upper()}{resumed[1:]}."
        if self.instrumented and self.is_alive():  # where it is stuck (stacks.py)
            from .stacks import python_stacks

            shown = python_stacks(self._watch, self._watch.fd("channel"), min(self._timeout, _STACKS_BOUND))
            stacks = f"\nPython stacks of pid {self.pid}'s threads, as the wait gave up (faulthandler):\n{shown}"
        with self._watch.read() as state:
            exit_state = state.describe_exit()
            if state.channel_closed_early:
                exit_state += " (it closed the instrumentation channel: its later handler calls are not reported)"
            tail = state.output.tail(_TAIL)
        raise self._log.failure(
            WaitFailed(
                f"{message}\nprocess {self.pid} ({self.target!r}): {exit_state}\n"
                f"output (last {_TAIL} characters):\n{tail or '(none)'}{stacks}"
            )
        )

    # -- sending -------------------------------------------------------------------

    def deliver(self, signum: int, via: str | None, timeout: float | None) -> Delivery:
        """Send *signum* (the machinery of ``send_signal(sig, to=proc)``)."""
        how: Via
        if via is None or via == "kill":
            how = "kill"
        elif via in ("group", "tty"):
            how = "group" if via == "group" else "tty"
        else:
            raise ValueError(f"via={via!r} is not supported for a spawned process: use 'kill', 'group' or 'tty'")
        if how == "tty" and self.tty and self._watch.hung_up:  # first: a child hung up often ends of it at once
            raise ValueError(f"via='tty': the terminal of pid {self.pid} was hung up (hangup()), no key reaches it")
        with self._watch.read() as state:
            if state.ended:
                raise ProcessLookupError(
                    f"cannot send {signal_name(signum)} to pid {self.pid}: it already {state.describe_exit()}"
                )
        bound = self._bound(timeout)
        delivery = Delivery(signum, self.pid, how, on_timeout=lambda t: self._delivery_timeout(delivery, t))
        delivery.default_timeout = bound
        detail = f"via {how}, to pid {self.pid}"
        raw_terminal = False
        terminal = self._watch.fd("terminal")
        if how == "tty":
            if not self.tty or terminal is None:
                raise ValueError(f"via='tty' needs a process spawned with tty=True; pid {self.pid} has no terminal")
            from .terminal import control_character, foreground_job, settle_input, signals_enabled

            key = control_character(terminal, signum)
            foreground = foreground_job(terminal)
            if not signals_enabled(terminal):
                raw_terminal = True
                detail += " (the terminal is in raw mode: ISIG is off, the key sends no signal)"
            elif foreground == 0:
                raw_terminal = True
                detail += " (the terminal has no foreground job any more: its session's leader is gone)"
            elif foreground is not None and foreground != self._watch.group:
                raw_terminal = True  # the key is for another job of the session
                detail += f" (the terminal's foreground job is process group {foreground}, not the child's)"
        sent = self._log.record("sent", signum, detail=detail, target=self.pid)
        with self._watch.read() as state:
            known = state.dispositions.get(signum) or ("ign" if signum in state.ignored else None)
        if self.instrumented and known in (None, "dfl") and default_action(signum) in ("ignore", "continue"):
            known = "ign"
        orphan_stop = (
            known in (None, "dfl")
            and default_action(signum) == "stop"
            and signum != signal.SIGSTOP
            and (self.launch != "terminal" or self._leader_gone())  # a job's leader, its parent, unorphans its group
        )
        # pid_namespaces(7): a namespace's init gets a signal from outside only if it
        # catches it (SIGKILL and SIGSTOP aside). The kernel's own table says.
        init = (
            None if self._init is None or signum in (signal.SIGKILL, signal.SIGSTOP) else self._init.disposition(signum)
        )
        init_drops = init == "default"
        if init_drops or init == "ignored" or (self.instrumented and (known == "ign" or orphan_stop)):
            why = "ignored by the child"
            if init_drops:
                why = (
                    "discarded by the kernel: the child is pid 1 of a pid namespace, which gets a signal "
                    "from outside only if it has a handler for it"
                )
            elif orphan_stop:
                # POSIX: a stop signal with its default action is discarded for
                # an orphaned process group: the child's parent (the template, or pytest)
                # is in another session.
                why = (
                    "discarded by the kernel: the child's process group is orphaned (its parent is in another session)"
                )
            ignored = self._log.record("ignored", signum, pid=self.pid, detail=why)
            delivery._complete("ignored", None, (sent, ignored))
        elif raw_terminal:
            delivery._complete("sent", None, (sent,))
        else:
            self._watch.expect_pending(delivery, sent)
        if how == "kill":
            self._watch.send(signum)  # gone meanwhile: the reaper completes the delivery
        elif how == "group":
            self._watch.send_group(signum)
        else:
            assert terminal is not None
            os.write(terminal, key)
            settle_input(terminal)
        return delivery

    def _leader_gone(self) -> bool:
        """A terminal job whose parent is no longer its session's leader (the
        program killed it): the template adopted it, and its process group,
        whose members' parents are now all in it or in another session, is
        orphaned. Read from ``/proc`` while the child is unreaped."""
        from .._remote.keeper import proc_stat

        status = proc_stat(self.pid) if self._watch.unreaped() else None
        return status is not None and status[0] != self._watch.session

    def _delivery_timeout(self, delivery: Delivery, timeout: float) -> NoReturn:
        __tracebackhide__ = True
        self._fail(
            f"waited {timeout:g}s for pid {self.pid} to handle {signal_name(delivery.signal)} "
            f"(sent via {delivery.via}) or to exit; it did neither"
        )

    # -- start-up, input and clean-up ---------------------------------------------------

    def wait_started(self, needs_started: bool, timeout: float) -> None:
        """Block until the instrumentation (and, where it can tell, the target) is up.

        Raises:
            SpawnError: the target could not be found or imported (with the child's error).
        """
        __tracebackhide__ = True

        def up(state: ChildState) -> bool:
            if state.ended or state.started is False:
                return True
            return state.ready and (state.started is True or not needs_started)

        self._watch.wait_until(up, timeout)
        with self._watch.read() as state:
            failed = state.started is False or (state.ended and not state.ready)
            ready = state.ready or state.ended
        if failed:
            self.wait(timeout)
            with self._watch.read() as state:
                reason = state.failure or state.describe_exit()
                tail = state.output.tail(_TAIL)
            raise SpawnError(f"spawn({self.target!r}) failed: {reason}\n{tail or '(no output)'}".rstrip())
        if not ready:
            self._fail(f"waited {timeout:g}s for pid {self.pid} to start")

    def write(self, data: str | bytes, timeout: float | None = None) -> None:
        """Write to the child's stdin, or type into its terminal.

        Bounded by *timeout* (``signal_timeout`` if None): a child that does
        not read its input fails the wait instead of hanging the test. Typed
        text has reached the terminal's line discipline (echoed, ready for the
        program to read) when this returns, unless the program left earlier
        input unread (see "Terminals and job control" in the docs).

        Args:
            data: ``str`` (written as UTF-8) or ``bytes``.
            timeout: seconds to wait for the child to take it; ``signal_timeout`` if None.

        Raises:
            ValueError: its stdin was closed (:meth:`close_stdin`).
            WaitFailed: the child did not take the input in time.
        """
        __tracebackhide__ = True
        raw = data.encode() if isinstance(data, str) else bytes(data)
        fd = self._watch.fd("terminal" if self.tty else "stdin")
        if self.tty and self._watch.hung_up:
            raise ValueError(f"pid {self.pid}'s terminal was hung up: nothing can be typed into it")
        if fd is None:
            if self.launch == "service" and self._service_stdin:
                raise ValueError(f"pid {self.pid} was launched as a service: its stdin is /dev/null")
            raise ValueError(f"pid {self.pid} has no stdin (it was closed, or the child has ended)")
        bound = self._bound(timeout)
        written = _write_all(fd, raw, bound)
        if written < len(raw):
            self._fail(
                f"waited {bound:g}s to write {len(raw)} bytes to the input of pid {self.pid}; "
                f"it took {written} (it does not read its input)"
            )
        if self.tty:
            from .terminal import settle_input

            settle_input(fd)

    def resize(self, rows: int, columns: int) -> None:
        """Resize the child's terminal, as a terminal emulator's window is
        resized: the kernel sends SIGWINCH to the terminal's foreground job,
        and ``os.get_terminal_size()`` in the child says *rows* x *columns*.

        Raises:
            ValueError: not a terminal child, its terminal was hung up, or a
                size that is not a positive number of rows and columns.
        """
        for name, value in (("rows", rows), ("columns", columns)):
            if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 65536:
                raise ValueError(f"resize({rows!r}, {columns!r}): {name} must be an int from 1 to 65535")
        fd = self._terminal_fd("resize")
        import fcntl
        import struct
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))

    def hangup(self) -> None:
        """Hang the child's terminal up, as a dropped ssh session or a closed
        terminal window does: the test's side of the terminal is closed, the
        kernel sends SIGHUP (and SIGCONT) to the terminal's session leader,
        which passes them on to the job as a shell does (a terminal job), or
        is the child itself (``proc.launch == "terminal-leader"``). Its output
        from then on is lost, as it would be. Safe to call twice.

        Raises:
            ValueError: not a terminal child.
        """
        if not self.tty:
            raise ValueError(f"pid {self.pid} has no terminal to hang up (spawn it with tty=True)")
        self._watch.hang_up()

    def _terminal_fd(self, what: str) -> int:
        if not self.tty:
            raise ValueError(f"{what}(): pid {self.pid} has no terminal (spawn it with tty=True)")
        fd = self._watch.fd("terminal")
        if fd is None or self._watch.hung_up:
            raise ValueError(f"{what}(): the terminal of pid {self.pid} was hung up")
        return fd

    def close_stdin(self) -> None:
        """Close the child's stdin: it reads end of file, as a filter or a
        language server does when its client goes away. Safe to call twice.

        Raises:
            ValueError: a terminal child (type Ctrl-D with ``write("\\x04")``).
        """
        if self.tty:
            raise ValueError(f"pid {self.pid} runs in a terminal: send end of file with write('\\x04')")
        self._watch.close_stdin()

    def stop(self, grace: float = 1.0) -> int | None:
        """Stop the child as a service manager does, and return its ``returncode``:
        SIGTERM (and SIGCONT, so that a stopped child can act on it), up to
        *grace* seconds, then SIGKILL to whatever of its process group is left.
        Returns at once when it has already ended. Safe to call twice.

        Raises:
            ValueError: a negative grace.
        """
        from .._options import check_timeout

        if grace != 0:
            check_timeout(grace, "grace")
        self.begin_stop()
        self.finish_stop(monotonic() + grace)
        with self._watch.read() as state:
            return state.returncode

    def stop_sequence(self, grace: float = 10.0, stop_signal: object = "SIGTERM") -> StopResult:
        """Stop the child as ``docker stop`` and Kubernetes do: *stop_signal*
        to the child alone, up to *grace* seconds for it to end, then SIGKILL
        (to the child and what is left of its process group; for pid 1 of a
        namespace, the kernel kills the whole namespace with it). Unlike
        :meth:`stop`, no SIGCONT and nothing to the group first: a program
        that does not pass the signal on keeps its children running until the
        SIGKILL, as in a container. Every wait is on the child's end, bounded.

        Example::

            proc = spawn("app.py", as_init=True)
            result = proc.stop_sequence(grace=10)   # docker stop -t 10
            assert result.in_grace and result.returncode == 0, result

        Args:
            grace: seconds between the stop signal and SIGKILL (Docker's
                default is 10, Kubernetes' ``terminationGracePeriodSeconds``
                30).
            stop_signal: the first signal (``"SIGTERM"``; a Dockerfile's
                ``STOPSIGNAL`` may name another).

        Returns:
            A :class:`StopResult`: whether it stopped within the grace, and how.

        Raises:
            ValueError: a negative grace, an unknown signal, or SIGKILL as
                the stop signal.
        """
        from .._options import check_timeout

        if grace != 0:
            check_timeout(grace, "grace")
        signum = resolve_signal(stop_signal)
        if signum == signal.SIGKILL:
            raise ValueError("stop_sequence(stop_signal=SIGKILL): the stop signal comes before SIGKILL; use another")
        ended: Callable[[ChildState], bool] = lambda s: s.ended  # noqa: E731
        if not self.is_alive():
            return StopResult(signum, float(grace), False, False, self.returncode, 0.0, already_ended=True)
        began = monotonic()
        self._log.record("sent", signum, detail=f"stop sequence, to pid {self.pid}", target=self.pid)
        self._watch.send(signum)
        in_grace = self._watch.wait_until(ended, float(grace))
        elapsed = monotonic() - began
        if not in_grace:
            self._log.record(
                "sent",
                signal.SIGKILL,
                detail=f"stop sequence, {grace:g}s grace over, to pid {self.pid}",
                target=self.pid,
            )
            if not self._watch.send_group(signal.SIGKILL):
                self._watch.send(signal.SIGKILL)
            if not self._watch.wait_until(ended, max(self._timeout, 5.0)):
                self._fail(f"sent SIGKILL to pid {self.pid} after the {grace:g}s grace; it did not end")
        self._watch.wait_until(lambda s: s.drained, max(self._timeout, 5.0))
        return StopResult(signum, float(grace), in_grace, not in_grace, self.returncode, elapsed)

    def close(self, grace: float = 1.0) -> bool:
        """Stop (see :meth:`stop`), reap and release everything; True when the
        child was still running and had to be stopped. Safe to call twice.

        Args:
            grace: seconds between SIGTERM and SIGKILL.
        """
        stopped = self.begin_stop()
        self.finish_stop(monotonic() + grace)
        self.release()
        return stopped

    # The three phases of a stop, so that teardown stops every child at once
    # (one grace period for all, not one each).

    def begin_stop(self) -> bool:
        """SIGTERM and SIGCONT, when it still runs; True if it did."""
        if not self.is_alive() or self._stopping is not None:
            return False
        self._stopping = monotonic()
        for signum in (signal.SIGTERM, signal.SIGCONT):  # to its group, while that is provably its own
            if not self._watch.send_group(signum):
                self._watch.send(signum)
        return True

    def finish_stop(self, deadline: float) -> None:
        """Wait until *deadline* for it to end, then SIGKILL it and what is
        left of its group and session (see :attr:`stopped_descendants`)."""
        ended: Callable[[ChildState], bool] = lambda s: s.ended  # noqa: E731
        ended_before = not self.is_alive()
        if not self._watch.wait_until(ended, max(0.0, deadline - monotonic())):
            if not self._watch.send_group(signal.SIGKILL):  # the leader too, at once
                self._watch.send(signal.SIGKILL)
            self._watch.wait_until(ended, max(self._timeout, 5.0))
        swept = self._watch.sweep_session()  # every member, whatever its group (Linux)
        self._watch.send_group(signal.SIGKILL)  # grandchildren left in its group (elsewhere)
        self.stopped_descendants.extend(swept)
        self._orphaned_by_exit = ended_before and bool(swept)
        self.killed_at_teardown = self.killed_at_teardown or self._stopping is not None

    def teardown_notes(self, stopped: bool) -> list[str]:
        """What teardown did to this child and its descendants, for the report."""
        notes = []
        if stopped:
            notes.append(f"pid {self.pid} ({self.target!r}) was still running at the end of the test: stopped")
        sent = sorted({e.signal for e in self._log.filter("sent") if e.target == self.pid and e.signal is not None})
        for pid, command in self.stopped_descendants:
            note = f"pid {pid} ({command or '?'}), a descendant of pid {self.pid}, was still running: SIGKILL"
            if self._orphaned_by_exit and sent:
                names = ", ".join(signal_name(s) for s in sent)
                note += (
                    f". It outlived pid {self.pid}, which ended after the test's {names}, and never got it "
                    "from the test: an entrypoint that runs the program without exec does not pass signals on"
                )
            notes.append(note)
        return notes

    def release(self) -> None:
        """Reap it (its group was signalled) and close every fd and thread."""
        self._watch.reap()
        self._watch.close(self._timeout)


def _wait_any_gone(pids: list[int], timeout: float) -> bool:
    """Wait up to *timeout* for one of *pids* to end; False when none did, or
    where there are no pidfds (nothing to wait on without polling). A pid
    recycled meanwhile only makes the wait end sooner: nothing is signalled."""
    import select

    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return False
    fds = []
    try:
        for pid in pids:
            try:
                fds.append(opener(pid))
            except OSError:
                return True  # gone already
        return bool(select.select(fds, [], [], max(timeout, 0.0))[0])
    finally:
        for fd in fds:
            os.close(fd)


def _write_all(fd: int, data: bytes, timeout: float) -> int:
    """Write *data* to *fd* within *timeout* seconds; how much was written."""
    import select

    if not data:
        return 0
    blocking = os.get_blocking(fd)
    os.set_blocking(fd, False)
    deadline = monotonic() + timeout
    view, done = memoryview(data), 0
    try:
        while done < len(data):
            try:
                done += os.write(fd, view[done:])
                continue
            except BlockingIOError:
                pass
            left = deadline - monotonic()
            if left <= 0 or not select.select([], [fd], [], left)[1]:
                break
    finally:
        os.set_blocking(fd, blocking)
    return done
