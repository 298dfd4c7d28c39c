"""Where a spawned child is watched: reaped, its output read, its reports
turned into log events.

Two threads per child keep it observed without polling: the reaper blocks in
``waitpid`` and the pump in ``select`` over the child's stdout, stderr (or
terminal) and its instrumentation channel. When the child exits, the pump
first reads everything it wrote, then records the exit, so the child's last
reports always come before ``"exited"`` in the log.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import _channel
from .._compat import monotonic
from .._delivery import Delivery
from .._signals import resolve_signal, signal_name
from .._threads import start_thread

if TYPE_CHECKING:
    from .._events import SignalEvent, SignalLog


# How long the exit of a terminal child waits for the terminal's end of file
# (a grandchild that keeps the terminal open would hold it back forever).
_TERMINAL_GRACE = 1.0


class ChildWatch:
    """The observed state of one child, kept current by two threads."""

    def __init__(
        self,
        pid: int,
        log: SignalLog,
        fds: dict[str, int],
        terminal: Any,
        instrumented: bool,
        wait_status: Callable[[], int] | None = None,
    ) -> None:
        self.pid = pid
        # waitpid for our own children; the fork server's report for its children
        self._wait_status = wait_status or (lambda: os.waitpid(pid, os.WUNTRACED)[1])
        self._log = log
        self._fds = fds
        self._terminal = terminal
        self._cond = threading.Condition()
        self._out = bytearray()
        self._err = bytearray()
        self._combined = bytearray()
        self._returncode: int | None = None
        self._exit_code: int | None = None
        self._drained = False
        self._channel_open = "channel" in fds
        self._ready = not instrumented
        self._started: bool | None = None
        self._failure = ""
        self._ignored: set[int] = set()
        self._dispositions: dict[int, str] = {}
        self._top_level_interrupt = False
        self._instrumented = instrumented
        self._pending: list[tuple[Delivery, SignalEvent]] = []  # each with its "sent" event
        self._partial = b""
        self._wake_r, self._wake_w = os.pipe()
        self._pump = start_thread(self._pump_loop, f"pytest-signals pump {pid}")
        self._reaper = start_thread(self._reap, f"pytest-signals reaper {pid}")

    @property
    def exit_signal(self) -> int | None:
        """The signal that killed the child (``signal.Signals``), or None."""
        code = self._returncode
        return resolve_signal(-code) if code is not None and code < 0 else None

    def _settle(self, kind: str, signum: int | None, handler: str | None, event: SignalEvent | None = None) -> None:
        """Complete pending deliveries that this event answers. Holds the condition."""
        if kind == "handled":
            for i, (delivery, _) in enumerate(self._pending):
                if delivery.signal == signum:
                    del self._pending[i]
                    events = tuple(e for e in self._log if e.signal == signum and e.kind in ("sent", "handled"))
                    delivery._complete("handled", handler, events[-2:])
                    return
        elif kind == "exited":
            for delivery, sent in self._pending:
                outcome = "default" if self.exit_signal == delivery.signal else "exited"
                delivery._complete(outcome, None, (sent,) if event is None else (sent, event))
            self._pending.clear()

    # -- the two threads -------------------------------------------------------------

    def _reap(self) -> None:
        while True:
            try:
                status = self._wait_status()
            except ChildProcessError:
                status = 0
                break
            if not os.WIFSTOPPED(status):
                break
            stop = os.WSTOPSIG(status)
            with self._cond:  # a stop signal's default action: report it, keep waiting
                self._log.record("default", stop, pid=self.pid, thread="-", detail=f"stopped by {signal_name(stop)}")
                for i, (delivery, _) in enumerate(self._pending):
                    if delivery.signal == stop:
                        del self._pending[i]
                        delivery._complete("default", None, ())
                        break
                self._cond.notify_all()
        code = os.waitstatus_to_exitcode(status)
        if self._terminal is not None:
            ptyproc = self._terminal.ptyproc
            ptyproc.terminated = True
            ptyproc.status = status
            ptyproc.exitstatus = code if code >= 0 else None
            ptyproc.signalstatus = -code if code < 0 else None
        self._exit_code = code
        # The pump reads what the child wrote before it died, then records the
        # exit: its last reports come before "exited" in the log.
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"d")

    def _output_open(self) -> bool:
        return any(name in self._fds for name in ("stdout", "stderr", "terminal"))

    def _pump_loop(self) -> None:
        selector = selectors.DefaultSelector()
        for name in ("stdout", "stderr", "terminal", "channel"):
            if name in self._fds:
                os.set_blocking(self._fds[name], False)
                selector.register(self._fds[name], selectors.EVENT_READ, name)
        selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._partial = b""
        exit_deadline: float | None = None  # set while the exit waits for the terminal's last output
        try:
            while True:
                timeout = None if exit_deadline is None else max(0.0, exit_deadline - monotonic())
                for key, _ in selector.select(timeout):
                    if key.fd not in selector.get_map():
                        continue  # closed earlier in this batch: never read a reused fd number
                    if key.data != "wake":
                        self._read(selector, key.fd, key.data)
                        continue
                    wake = os.read(self._wake_r, 64)
                    if b"x" in wake:
                        return
                    # The child exited: take everything already in the pipes.
                    for other in list(selector.get_map().values()):
                        if other.data != "wake":
                            while self._read(selector, other.fd, other.data):
                                pass
                    # A pseudo-terminal hands the child's last output over a moment
                    # later than a pipe: wait for its end (EIO), bounded, first.
                    exit_deadline = monotonic() + _TERMINAL_GRACE
                if exit_deadline is not None and ("terminal" not in self._fds or monotonic() >= exit_deadline):
                    exit_deadline = None
                    self._record_exit()
        finally:
            selector.close()

    def _record_exit(self) -> None:
        code = self._exit_code
        assert code is not None
        signum = -code if code < 0 else None
        with self._cond:
            self._returncode = code
            event = self._log.record("exited", signum, pid=self.pid, thread="-", detail=self._exit_detail(code))
            self._settle("exited", signum, None, event)
            self._drained = True
            self._cond.notify_all()

    def _exit_detail(self, code: int) -> str:
        """How the child ended, for people. Holds the condition. A child that
        exits on its own after a signal it did not report handling is not
        "another cause": a shell's ``trap 'exit 3' TERM`` is a handler, and
        only a Python child reports its handlers."""
        if code < 0:
            return f"killed by {signal_name(-code)}"
        unanswered = sorted({delivery.signal for delivery, _ in self._pending})
        if not unanswered:
            return f"exit code {code}"
        after = f"exit code {code} after {', '.join(signal_name(s) for s in unanswered)}"
        if not self._instrumented:
            return f"{after} (not instrumented: whether a handler ran is unknown)"
        return f"{after} (no Python handler for it ran)"

    def _read(self, selector: selectors.BaseSelector, fd: int, name: str) -> bool:
        """Read once from *fd*; False when nothing more is there for now."""
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return False
        except OSError:  # EIO: the terminal's other side is gone
            data = b""
        if not data:
            selector.unregister(fd)
            with self._cond:
                self._close_fd(name)
                if name == "channel":
                    self._channel_open = False
                self._cond.notify_all()
            return False
        with self._cond:
            if name == "channel":
                lines = (self._partial + data).split(b"\n")
                self._partial = lines.pop()
                for line in lines:
                    self._message(_channel.decode(line))
            else:
                (self._err if name == "stderr" else self._out).extend(data)
                self._combined.extend(data)
            self._cond.notify_all()
        return True

    def _message(self, fields: list[str]) -> None:
        kind, pid = fields[0], int(fields[1])
        rest = fields[2:]
        if kind == _channel.EVENT:
            at, event_kind, sig, thread, handler, task, detail, message, ended = rest
            signum = int(sig) if sig else None
            if event_kind == "keyboard_interrupt" and detail == "propagated to the top level" and pid == self.pid:
                self._top_level_interrupt = True
            self._log.record(
                event_kind,
                signum,
                pid=pid,
                thread=thread,
                handler=handler or None,
                task=task or None,
                detail=detail,
                message=_channel.parse_optional(message),
                at=float(at),
                ended=ended or None,
            )
            if pid == self.pid:
                self._settle(event_kind, signum, handler or None)
        elif pid != self.pid:
            return
        elif kind == _channel.READY:
            self._ready = True
        elif kind == _channel.STARTED:
            self._started = True
        elif kind == _channel.FAILED:
            self._started, self._failure = False, rest[0]
        elif kind == _channel.IGNORED:
            self._ignored = {int(s) for s in rest[0].split(",") if s}
        elif kind == _channel.DISPOSITION:
            self._dispositions[int(rest[0])] = rest[1]

    def _close_fd(self, name: str) -> None:
        fd = self._fds.pop(name)
        if name == "terminal":
            # pexpect's file object owns the terminal fd: closing it through the
            # object keeps it from closing a reused fd number when collected.
            self._terminal.ptyproc.fileobj.close()
        else:
            os.close(fd)
