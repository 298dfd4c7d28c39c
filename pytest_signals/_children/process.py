"""A spawned child as the test sees it: :class:`SpawnedProcess`.

Two threads per child keep it observed without polling: one reaps it
(``waitpid``) and one pumps its output and its instrumentation channel into
buffers and the test's :class:`SignalLog`. Every wait is a condition wait,
bounded, and fails with the child's timeline and the tail of its output.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from .._delivery import Delivery
from .._signals import default_action, resolve_signal, signal_name
from .watch import ChildWatch

if TYPE_CHECKING:
    from .._events import SignalLog

_TAIL = 2000


class SpawnError(RuntimeError):
    """The target of ``spawn`` could not be found or started."""


class SpawnedProcess(ChildWatch):
    """A real child process started by the ``spawn`` fixture.

    Attributes:
        pid: the child's pid (also its process group and session id).
        argv: the command line it was started with.
        target: what was passed to ``spawn``.
        tty: True when it runs in a pseudo-terminal.
        instrumented: True for Python targets, which report handler calls.
        forked: True when it was forked from the fork server's template
            (``signal_start_method``), False for a new interpreter.

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
        fds: dict[str, int],
        terminal: Any = None,
        wait_status: Callable[[], int] | None = None,
        forked: bool = False,
    ) -> None:
        self.pid = pid
        self.forked = forked
        self.argv = argv
        self.target = target
        self.tty = tty
        self.instrumented = instrumented
        self._timeout = timeout
        self._cursor = 0
        self.killed_at_teardown = False
        self._stdin = fds.get("stdin")
        super().__init__(pid, log, fds, terminal, instrumented, wait_status)

    def __repr__(self) -> str:
        state = "running" if self.is_alive() else self._describe_exit()
        return f"<SpawnedProcess pid={self.pid} {self.target!r} {state}>"

    # -- state -------------------------------------------------------------------

    @property
    def returncode(self) -> int | None:
        """None while running; the exit code; ``-N`` when killed by signal N."""
        return self._returncode

    @property
    def keyboard_interrupt(self) -> bool:
        """True when a ``KeyboardInterrupt`` propagated out of the child's top level."""
        return self._top_level_interrupt

    def is_alive(self) -> bool:
        return self._returncode is None

    @property
    def stdout(self) -> str:
        """Everything the child wrote to stdout so far (in tty mode, the terminal's output)."""
        with self._cond:
            return (self._combined if self.tty else self._out).decode("utf-8", "replace")

    @property
    def stderr(self) -> str:
        """Everything the child wrote to stderr so far (empty in tty mode: see ``output``)."""
        with self._cond:
            return self._err.decode("utf-8", "replace")

    @property
    def output(self) -> str:
        """stdout and stderr interleaved as they arrived (the terminal's output in tty mode)."""
        with self._cond:
            return self._combined.decode("utf-8", "replace")

    @property
    def events(self) -> list[Any]:
        """The log events this child (or a fork of it) reported."""
        return [e for e in self._log if e.pid == self.pid]

    # -- waiting -------------------------------------------------------------------

    def _bound(self, timeout: float | None) -> float:
        if timeout is None:
            return self._timeout
        from .._options import check_timeout

        return check_timeout(timeout, "timeout")

    def _wait_for(self, done: Any, timeout: float) -> bool:
        with self._cond:
            return bool(self._cond.wait_for(done, timeout))

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the child to exit and return its ``returncode``.

        Raises:
            pytest.fail.Exception: it did not exit in time (the timeline and
                the tail of its output say what it was doing).
        """
        __tracebackhide__ = True
        bound = self._bound(timeout)
        if not self._wait_for(lambda: self._returncode is not None, bound):
            self._fail(f"waited {bound:g}s for pid {self.pid} to exit; it is still running")
        # What it wrote before exiting is in the pipes: wait for the pump's drain
        # pass, and for its last reports on the channel (bounded).
        self._wait_for(lambda: self._drained and not self._channel_open, min(bound, 2.0))
        code = self._returncode
        assert code is not None
        return code

    def expect(self, pattern: str | re.Pattern[str], timeout: float | None = None) -> re.Match[str]:
        """Wait until *pattern* (a regular expression) matches the output after
        the previous match, as pexpect does, and return the match.

        Raises:
            pytest.fail.Exception: no match in time, or the child exited first.
        """
        __tracebackhide__ = True
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        return self._expect(regex, repr(regex.pattern), timeout)

    def expect_exact(self, text: str, timeout: float | None = None) -> re.Match[str]:
        """:meth:`expect` for plain text: ``"Terminated (1)!"`` matches itself."""
        __tracebackhide__ = True
        return self._expect(re.compile(re.escape(text)), f"the text {text!r}", timeout)

    def _expect(self, regex: re.Pattern[str], wanted: str, timeout: float | None) -> re.Match[str]:
        __tracebackhide__ = True
        bound = self._bound(timeout)
        found: list[re.Match[str]] = []

        def matched() -> bool:
            text = self._combined[self._cursor :].decode("utf-8", "replace")
            match = regex.search(text)
            if match is not None:
                found.append(match)
                self._cursor += len(text[: match.end()].encode("utf-8", "replace"))
                return True
            return self._returncode is not None and self._drained

        self._wait_for(matched, bound)
        if found:
            return found[0]
        hint = ""
        if not self.tty and self.instrumented:
            hint = (
                "\n(stdout is a pipe, so Python block-buffers it: print(..., flush=True), "
                "env={'PYTHONUNBUFFERED': '1'} or tty=True)"
            )
        state = "it exited first" if self._returncode is not None else f"waited {bound:g}s"
        self._fail(f"expected {wanted} in the output of pid {self.pid}; {state}{hint}")

    def wait_for_handler(self, sig: object, timeout: float | None = None) -> None:
        """Return as soon as the child has installed a Python handler for *sig*
        (``signal.signal`` or an event loop's ``add_signal_handler``).

        Raises:
            ValueError: the child is not a Python target (nothing reports handlers).
            pytest.fail.Exception: not installed in time, or the child exited first.
        """
        __tracebackhide__ = True
        signum = resolve_signal(sig)
        if not self.instrumented:
            raise ValueError(f"wait_for_handler() needs a Python target; pid {self.pid} runs {self.argv!r}")
        bound = self._bound(timeout)
        self._wait_for(lambda: self._dispositions.get(signum) == "handler" or self._returncode is not None, bound)
        if self._dispositions.get(signum) == "handler":
            return
        state = "it exited first" if self._returncode is not None else f"waited {bound:g}s"
        self._fail(f"expected pid {self.pid} to install a handler for {signal_name(signum)}; {state}")

    def _fail(self, message: str) -> NoReturn:
        __tracebackhide__ = True
        exit_state = "running" if self.is_alive() else self._describe_exit()
        raise self._log.failure(
            pytest.fail.Exception(
                f"{message}\nprocess {self.pid} ({self.target!r}): {exit_state}\n"
                f"output (last {_TAIL} characters):\n{self.output[-_TAIL:] or '(none)'}",
                pytrace=False,
            )
        )

    def _describe_exit(self) -> str:
        code = self._returncode
        if code is None:
            return "running"
        if code < 0:
            return f"killed by {signal_name(-code)}"
        return f"exited with code {code}"

    # -- sending -------------------------------------------------------------------

    def deliver(self, signum: int, via: str | None, timeout: float | None) -> Delivery:
        """Send *signum* (the machinery of ``send_signal(sig, to=proc)``)."""
        how = via or "kill"
        if how not in ("kill", "group", "tty"):
            raise ValueError(f"via={via!r} is not supported for a spawned process: use 'kill', 'group' or 'tty'")
        if self._returncode is not None:
            raise ProcessLookupError(
                f"cannot send {signal_name(signum)} to pid {self.pid}: it already {self._describe_exit()}"
            )
        bound = self._bound(timeout)
        delivery = Delivery(signum, self.pid, how, on_timeout=lambda t: self._delivery_timeout(delivery, t))
        delivery.default_timeout = bound
        detail = f"via {how}, to pid {self.pid}"
        if how == "tty":
            if self._terminal is None:
                raise ValueError(f"via='tty' needs a process spawned with tty=True; pid {self.pid} has no terminal")
            from .terminal import control_character, settle_input, signals_enabled

            key = control_character(self._terminal.child_fd, signum)
            if not signals_enabled(self._terminal.child_fd):
                detail += " (the terminal is in raw mode: ISIG is off, the key sends no signal)"
        sent = self._log.record("sent", signum, detail=detail, target=self.pid)
        with self._cond:
            known = self._dispositions.get(signum) or ("ign" if signum in self._ignored else None)
            if self.instrumented and known in (None, "dfl") and default_action(signum) in ("ignore", "continue"):
                known = "ign"
            orphan_stop = known in (None, "dfl") and default_action(signum) == "stop" and signum != signal.SIGSTOP
            if self.instrumented and (known == "ign" or orphan_stop):
                why = "ignored by the child"
                if orphan_stop:
                    # POSIX: a stop signal with its default action is discarded for
                    # an orphaned process group, and the child leads its own session.
                    why = "discarded by the kernel: the child leads its own session (orphaned process group)"
                ignored = self._log.record("ignored", signum, pid=self.pid, detail=why)
                delivery._complete("ignored", None, (sent, ignored))
            elif how == "tty" and "raw mode" in detail:
                delivery._complete("sent", None, (sent,))
            else:
                self._pending.append((delivery, sent))
        try:
            if how == "kill":
                os.kill(self.pid, signum)
            elif how == "group":
                os.killpg(self.pid, signum)
            else:
                os.write(self._terminal.child_fd, key)
                settle_input(self._terminal.child_fd)
        except ProcessLookupError:
            pass  # it exited meanwhile: the reaper completes the delivery
        return delivery

    def _delivery_timeout(self, delivery: Delivery, timeout: float) -> NoReturn:
        __tracebackhide__ = True
        self._fail(
            f"waited {timeout:g}s for pid {self.pid} to handle {signal_name(delivery.signal)} "
            f"(sent via {delivery.via}) or to exit; it did neither"
        )

    # -- start-up and clean-up ---------------------------------------------------------

    def wait_started(self, needs_started: bool, timeout: float) -> None:
        """Block until the instrumentation (and, where it can tell, the target) is up.

        Raises:
            SpawnError: the target could not be found or imported (with the child's error).
        """
        __tracebackhide__ = True

        def up() -> bool:
            if self._returncode is not None or self._started is False:
                return True
            return self._ready and (self._started is True or not needs_started)

        self._wait_for(up, timeout)
        if self._started is False or (self._returncode is not None and not self._ready):
            self.wait(timeout)
            self._wait_for(lambda: self._drained, min(timeout, 2.0))
            reason = self._failure or self._describe_exit()
            raise SpawnError(
                f"spawn({self.target!r}) failed: {reason}\n{self.output[-_TAIL:] or '(no output)'}".rstrip()
            )
        if not (self._ready or self._returncode is not None):
            self._fail(f"waited {timeout:g}s for pid {self.pid} to start")

    def write(self, data: str | bytes) -> None:
        """Write to the child's stdin, or type into its terminal.

        Typed text has reached the terminal's line discipline (echoed, ready
        for the program to read) when this returns, unless the program left
        earlier input unread (see "Terminals and job control" in the docs)."""
        raw = data.encode() if isinstance(data, str) else data
        fd = self._terminal.child_fd if self._terminal is not None else self._stdin
        if fd is None:
            raise ValueError(f"pid {self.pid} has no stdin")
        os.write(fd, raw)
        if self._terminal is not None:
            from .terminal import settle_input

            settle_input(fd)

    def close(self, grace: float = 1.0) -> bool:
        """Make sure the child and its process group are gone and reaped.

        SIGTERM to the group, up to *grace* seconds, then SIGKILL. Returns True
        when the child was still running and had to be stopped. Safe to call twice.
        """
        stopped = False
        if self._returncode is None:
            stopped = True
            self._signal_group(signal.SIGTERM)
            if not self._wait_for(lambda: self._returncode is not None, grace):
                self._signal_group(signal.SIGKILL)
                self._wait_for(lambda: self._returncode is not None, max(self._timeout, 5.0))
        self._signal_group(signal.SIGKILL)  # grandchildren left in its group
        self._reaper.join(self._timeout)
        self._wait_for(lambda: self._drained and not self._channel_open, 0.5)
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")  # stop the pump
        self._pump.join(self._timeout)
        with self._cond:
            for name in list(self._fds):
                with contextlib.suppress(OSError):
                    self._close_fd(name)
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._wake_r = self._wake_w = -1
        if self._terminal is not None:
            self._terminal.ptyproc.closed = True
        self.killed_at_teardown = self.killed_at_teardown or stopped
        return stopped

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)
