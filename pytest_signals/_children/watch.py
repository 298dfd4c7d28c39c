"""Where a spawned child is watched: its end learned, its output read, its
reports turned into log events, and every signal the plugin sends it aimed so
that it cannot reach another process.

Two threads per child keep it observed without polling: the reaper blocks
until the child stops or ends, and the pump blocks in ``select`` over the
child's stdout, stderr (or terminal) and its instrumentation channel. When the
child ends, the pump first reads everything it wrote, then records the end, so
the child's last reports always come before ``"exited"`` in the log.

Never the wrong process. A pid names a process only until it is reaped; then
the kernel may hand the number, and the process group and session of that
number, to anything. So the watcher holds on to its child:

* on Linux, by a pidfd (opened by whoever was the parent before it could reap:
  pytest for an exec'd child, the template for a forked one). Signals to the
  child go through ``pidfd_send_signal`` and cannot reach a later holder of
  the number.
* A direct child's end is learned with ``waitid(..., WNOWAIT)``: it stays a
  zombie, so its pid, group and session numbers stay taken, until teardown
  has signalled its group and reaps it (through the pidfd).
* A forked child is the template's to reap; its group is signalled only after
  the pidfd has shown that the child has not been reaped yet (the template
  reaps at once, so a group it outlived is left to the keeper's session
  sweep, which proves each member's identity).

A status the plugin cannot know is never invented (see ``status.py``): a
child reaped by someone else (``waitpid(-1)`` in the code under test, SIGCHLD
set to ``SIG_IGN``), or whose template died, ends with ``returncode`` None and
``status_unknown`` set.

The rejected alternative, ``waitpid`` and ``killpg`` on the bare pid, is what
sent SIGKILL to an unrelated process in a pid namespace where pids recycle
fast.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import select
import selectors
import signal
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, cast

from .._compat import monotonic
from .._delivery import Delivery, Outcome
from .._options import DEFAULT_OUTPUT_MEMORY
from .._remote import channel as _channel
from .._signals import resolve_signal, signal_name
from .._threads import join_thread, start_thread
from .output import Output, Stream
from .status import StatusUnknown

if TYPE_CHECKING:
    from .._events import Ended, EventKind, SignalEvent, SignalLog


# How long the end of a terminal child waits for the terminal's end of file
# (a grandchild that keeps the terminal open would hold it back forever).
_TERMINAL_GRACE = 1.0

_HANGUP_BOUND = 5.0  # the pump only has to close a fd
_STOP_DRAIN = 1.0  # bound of the wait for a stopped child's last reports (they are in the pipe already)
_STREAMS: dict[str, Stream] = {"stdout": "stdout", "stderr": "stderr", "terminal": "terminal"}


@dataclasses.dataclass
class ChildState:
    """What is known of one child. Read it only through :meth:`ChildWatch.wait_until`
    or :meth:`ChildWatch.read`, which hold the watcher's lock; only the watcher writes it."""

    returncode: int | None = None  # None while running, and when the status is unknown
    status_unknown: str | None = None  # why the status cannot be known
    ended: bool = False  # the child is gone (its status known or not)
    drained: bool = False  # ended, and everything it wrote was read
    channel_open: bool = False
    channel_closed_early: bool = False  # the child closed its instrumentation channel while running
    ready: bool = False  # the instrumentation is in place
    started: bool | None = None  # the target was found (None: not told yet)
    failure: str = ""  # why the target could not be started
    ignored: frozenset[int] = frozenset()  # signals ignored at start
    dispositions: dict[int, str] = dataclasses.field(default_factory=dict)
    top_level_interrupt: bool = False  # a KeyboardInterrupt reached the top level and ended the child
    printed_interrupt: tuple[float, str] | None = None  # (time, thread): the top level printed one
    stacks: bytes = b""  # what faulthandler wrote on the channel when the test asked (stacks.py)
    channel_fd: int | None = None  # the channel's fd in the child
    stack_signal: int | None = None  # the signal its faulthandler writes the stacks for, if any
    output: Output = dataclasses.field(default_factory=lambda: Output(DEFAULT_OUTPUT_MEMORY))
    # signal_anywhere in the child: the points its counting run found, as
    # (file, first line of the code, code name, qualified name, line), and how
    # an aimed run's signal met its point (None: the point was not reached).
    points: list[tuple[str, int, str, str, int]] = dataclasses.field(default_factory=list)
    points_confirmed: int = 0  # how many of them came before within= was last left
    aimed: str | None = None

    @property
    def exit_signal(self) -> int | None:
        code = self.returncode
        return resolve_signal(-code) if code is not None and code < 0 else None

    def describe_exit(self) -> str:
        if not self.ended:
            return "running"
        if self.status_unknown is not None:
            return f"ended, exit status unknown ({self.status_unknown})"
        code = self.returncode
        assert code is not None
        if code < 0:
            return f"killed by {signal_name(-code)}"
        return f"exited with code {code}"


class ChildWatch:
    """The observed state of one child, kept current by two threads."""

    def __init__(
        self,
        pid: int,
        log: SignalLog,
        fds: dict[str, int],
        instrumented: bool,
        *,
        pidfd: int | None = None,
        wait_status: Callable[[], int] | None = None,
        on_reaped: Callable[[], None] | None = None,
        output_memory: int = DEFAULT_OUTPUT_MEMORY,
        release: Callable[[], None] | None = None,
        holder_alive: Callable[[], bool] | None = None,
        host_pid: Callable[[int], int] | None = None,
        group: int | None = None,
        session: int | None = None,
        session_pidfd: int | None = None,
    ) -> None:
        self.pid = pid
        self.pidfd = pidfd
        # The ids of its process group and session: its own pid, or its launcher's
        # (_remote/launchers.py), whose pidfd vouches for the session.
        self.group = pid if group is None else group
        self.session = pid if session is None else session
        self.session_pidfd = session_pidfd
        self.instrumented = instrumented
        self.direct = wait_status is None  # our own child (else the template's)
        self._wait_status = wait_status
        self._on_reaped = on_reaped
        self._release = release  # a forked child: lets the template reap it
        self._holder_alive = holder_alive  # a forked child: whether its template still holds it
        self._host_pid = host_pid  # pid 1 of a namespace: its reports' pids, as the test sees them
        self._log = log
        self._fds = fds
        self._cond = threading.Condition()
        self.state = ChildState(channel_open="channel" in fds, ready=not instrumented, output=Output(output_memory))
        self._reaped = False  # the child's numbers are free (reaped, by us or anyone)
        self._released = False  # reap() ran
        self._pending: list[tuple[Delivery, SignalEvent]] = []  # each with its "sent" event
        self._partial = b""
        self._joined: dict[int, tuple[int, str]] = {}  # a fork's pid -> (its parent's, when it took over)
        self._interrupted: set[int] = set()  # descendants whose top level reported a KeyboardInterrupt
        self._exit: tuple[int | None, str | None] | None = None  # (code, unknown reason), once ended
        self._terminal_ended = False  # its other side is gone (EIO); the fd stays open until close()
        self.hung_up = False  # hang_up() closed the test's side of the terminal
        self._pump_gone = False
        self._wake_r, self._wake_w = os.pipe()
        self._pump = start_thread(self._pump_loop, f"pytest-signals pump {pid}")
        self._reaper = start_thread(self._reap, f"pytest-signals reaper {pid}")

    # -- the small API the process object uses ------------------------------------------

    def wait_until(self, done: Callable[[ChildState], bool], timeout: float) -> bool:
        """Wait (bounded) until ``done(state)``; its result."""
        with self._cond:
            return bool(self._cond.wait_for(lambda: done(self.state), timeout))

    @contextlib.contextmanager
    def read(self) -> Iterator[ChildState]:
        """The state, under the watcher's lock."""
        with self._cond:
            yield self.state

    def expect_pending(self, delivery: Delivery, sent: SignalEvent) -> None:
        """*delivery* is answered by the child's next report of its signal, or its end."""
        with self._cond:
            self._pending.append((delivery, sent))

    def send(self, signum: int) -> bool:
        """Send *signum* to the child itself; False when it is gone (nothing sent)."""
        with self._cond:
            if self._reaped:
                return False
            try:
                if self.pidfd is not None:
                    signal.pidfd_send_signal(self.pidfd, signum)
                elif self.direct or not self.state.ended:
                    # Our own child, not reaped (a zombie keeps its number); or,
                    # without pidfds, the template's child it has not reported ended.
                    os.kill(self.pid, signum)
                else:
                    return False
            except (ProcessLookupError, PermissionError):
                return False
            return True

    def send_group(self, signum: int) -> bool:
        """Send *signum* to the child's process group, only while the group's
        number provably still names the child's group. A plain child, a
        member of its anchor's group, may have left it (``setpgrp``): it
        gets *signum* once all the same, through the group it is in now
        (its own) or by itself."""
        with self._cond:
            if not self._group_is_ours():
                return False
            sent = False
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.group, signum)
                sent = True
            if self.group == self.pid:
                return sent
            try:  # unreaped (the check above): the pid is still the child's
                now = os.getpgid(self.pid)
            except OSError:
                return sent
            if now == self.pid:  # a group of its own, which only it can have made
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.pid, signum)
                    sent = True
            elif now != self.group and self.pidfd is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    signal.pidfd_send_signal(self.pidfd, signum)
                    sent = True
            return sent

    def sweep_session(self) -> list[tuple[int, str]]:
        """SIGKILL what is left of the child's session (it leads one): members
        in its group and those that left the group but kept the session (a
        worker started with ``setpgrp``, tini's child). Each member's identity
        is proven through a pidfd (``_remote.keeper.kill_session``). Only while
        the child is not reaped, on Linux; returns (pid, command line) of each
        descendant killed, the child itself left out."""
        with self._cond:
            if self.pidfd is None or not self._group_is_ours():
                return []
            from .._remote.keeper import kill_session

            killed = []
            if self.session_pidfd is not None:  # its launcher's session, then one it made itself (setsid)
                killed += kill_session(self.session, self.session_pidfd)
                try:  # unreaped (the check above): the number is still its own
                    made_one = os.getsid(self.pid) == self.pid
                except OSError:
                    made_one = True  # cannot tell: sweep it too
                if made_one:
                    killed += kill_session(self.pid, self.pidfd)
            else:
                killed += kill_session(self.pid, self.pidfd)
            return [(pid, command) for pid, command in killed if pid not in (self.pid, self.session)]

    def session_members(self) -> list[tuple[int, str]] | None:
        """(pid, command line) of the processes still in the child's session,
        the child left out; None where that cannot be read (not Linux, or the
        child was reaped: its session's number proves nothing then)."""
        with self._cond:
            if not self._group_is_ours():
                return None
            from .._remote import keeper as remote

            if not remote.proc_is_ours():
                return None
            found = set(remote.session_members(self.pid))  # its own (a plain child's, once it called setsid)
            if self.session != self.pid:
                found.update(remote.session_members(self.session))
            members = [pid for pid in found if pid not in (self.pid, self.session)]
            return [(pid, remote.command_line(pid)) for pid in sorted(members)]

    def unreaped(self) -> bool:
        """The child has not been reaped: its pid still names it, so the
        processes ``/proc`` shows as its children are its own."""
        with self._cond:
            return self._group_is_ours()

    def _group_is_ours(self) -> bool:
        """Holds the lock. The child, its group's leader, has not been reaped."""
        if self._reaped:
            return False
        if self.direct:
            return True  # we alone reap it, and only after this
        # The template holds it as a zombie until reap() releases it, while it lives
        # (where there is waitid: before Python 3.13 macOS has none, and the template reaps at once).
        if self._holder_alive is not None and not self._holder_alive():
            return False
        if not hasattr(os, "waitid") and self.state.ended:
            return False
        if self.pidfd is None:
            return self.state.status_unknown is None
        try:
            signal.pidfd_send_signal(self.pidfd, 0)  # ESRCH once reaped (its template died)
        except OSError:
            return False
        return True

    def reap(self) -> None:
        """Release the child's zombie (ours, or the template's), after its group was signalled."""
        with self._cond:
            if self._released:
                return
            self._released = True
            already = self._reaped
            self._reaped = True
            if self.direct and not already:
                with contextlib.suppress(ChildProcessError, OSError):
                    if self.pidfd is not None:
                        os.waitid(os.P_PIDFD, self.pidfd, os.WEXITED | os.WNOHANG)
                    else:
                        os.waitpid(self.pid, os.WNOHANG)
        if not self.direct and self._release is not None:
            self._release()  # the template reaps it now
        if self._on_reaped is not None:
            self._on_reaped()

    def close(self, timeout: float) -> None:
        """Stop the threads and close every fd (the child has ended). Safe to call twice."""
        join_thread(self._reaper, timeout)
        self.wait_until(lambda s: s.drained and not s.channel_open, 0.5)
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")  # stop the pump
        join_thread(self._pump, timeout)
        with self._cond:
            for name in list(self._fds):
                with contextlib.suppress(OSError):
                    self._close_fd(name)
            for fd in (self._wake_r, self._wake_w):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._wake_r = self._wake_w = -1
            if self.pidfd is not None and self._reaped:
                with contextlib.suppress(OSError):
                    os.close(self.pidfd)
                self.pidfd = None
            if self.session_pidfd is not None and self._reaped:
                with contextlib.suppress(OSError):
                    os.close(self.session_pidfd)
                self.session_pidfd = None

    def channel_unread(self) -> int | None:
        """How many bytes the child wrote on its channel that are not read
        and handled yet; None once the channel is closed."""
        with self._cond:
            fd = self._fds.get("channel")
            if fd is None:
                return None
            import array
            import fcntl
            import termios

            count = array.array("i", [0])
            fcntl.ioctl(fd, termios.FIONREAD, count, True)
            return count[0]

    def fd(self, name: str) -> int | None:
        with self._cond:
            return self._fds.get(name)

    def hang_up(self) -> None:
        """Close the test's side of the terminal (the pump lets go of it first)."""
        with self._cond:
            if self.hung_up or "terminal" not in self._fds:
                return
            self.hung_up = True
            with contextlib.suppress(OSError):
                os.write(self._wake_w, b"h")
            # The pump closes it, so that it never reads a reused number.
            self._cond.wait_for(lambda: "terminal" not in self._fds or self._pump_gone, _HANGUP_BOUND)

    def close_stdin(self) -> bool:
        """Close the test's end of the child's stdin: it reads end of file. False if already closed."""
        with self._cond:
            if "stdin" not in self._fds:
                return False
            self._close_fd("stdin")
            return True

    # -- deliveries --------------------------------------------------------------------

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
                outcome: Outcome = "default" if self.state.exit_signal == delivery.signal else "exited"
                delivery._complete(outcome, None, (sent,) if event is None else (sent, event))
            self._pending.clear()

    # -- the two threads -------------------------------------------------------------

    def _reap(self) -> None:
        try:
            code: int | None = self._statuses()
            unknown = None
        except StatusUnknown as exc:
            code, unknown = None, str(exc)
        self._exit = (code, unknown)

        # The pump reads what the child wrote before it died, then records the
        # end: its last reports come before "exited" in the log.
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"d")

    def _statuses(self) -> int:
        """Block until the child ends; its exit code (``-N`` for signal N).
        Stops are reported on the way. Raises StatusUnknown."""
        while True:
            stopped, value = self._next_stop_or_exit()
            if not stopped:
                return value
            # A stopped child writes nothing more: what it reported before it stopped (a
            # SIGTSTP handler that ran, then stopped it for real) is handled first.
            self.wait_until(lambda s: not self.channel_unread(), _STOP_DRAIN)
            with self._cond:  # a stop signal's default action: report it, keep waiting
                self._log.record("default", value, pid=self.pid, thread="-", detail=f"stopped by {signal_name(value)}")
                for i, (delivery, _) in enumerate(self._pending):
                    if delivery.signal == value:
                        del self._pending[i]
                        delivery._complete("default", None, ())
                        break
                self._cond.notify_all()

    def _next_stop_or_exit(self) -> tuple[bool, int]:
        """``(True, stop signal)`` for a stop; ``(False, exit code)`` once the child has ended."""
        if not self.direct:
            assert self._wait_status is not None
            try:
                status = self._wait_status()
            except (StatusUnknown, ChildProcessError) as exc:
                self._wait_gone()
                raise StatusUnknown(str(exc)) from None
            if os.WIFSTOPPED(status):
                return True, os.WSTOPSIG(status)
            return False, os.waitstatus_to_exitcode(status)
        if not hasattr(os, "waitid"):  # macOS before Python 3.13: reap now, and never signal the group after
            return self._reap_now()
        idtype, ident = (os.P_PIDFD, self.pidfd) if self.pidfd is not None else (os.P_PID, self.pid)
        try:
            # WNOWAIT: the child stays a zombie, its numbers taken, until teardown reaps it.
            result = os.waitid(idtype, ident, os.WEXITED | os.WSTOPPED | os.WNOWAIT)
        except ChildProcessError:
            raise StatusUnknown(
                "something else in the test process reaped it (os.wait or waitpid(-1) in the code "
                "under test, or SIGCHLD set to SIG_IGN): the kernel hands a status to one waiter only"
            ) from None
        assert result is not None
        if result.si_code in (os.CLD_STOPPED, os.CLD_TRAPPED):
            with contextlib.suppress(ChildProcessError):
                os.waitid(idtype, ident, os.WSTOPPED | os.WNOHANG)  # take this stop: the next wait moves on
            return True, result.si_status
        if result.si_code == os.CLD_EXITED:
            return False, result.si_status
        return False, -result.si_status  # CLD_KILLED, CLD_DUMPED

    def _reap_now(self) -> tuple[bool, int]:
        """``waitpid`` where there is no ``waitid``: an end reaps the child at
        once, so from then on its numbers prove nothing (``_group_is_ours``)."""
        try:
            _, status = os.waitpid(self.pid, os.WUNTRACED)
        except ChildProcessError:
            with self._cond:
                self._reaped = True
            raise StatusUnknown(
                "something else in the test process reaped it (os.wait or waitpid(-1) in the code "
                "under test, or SIGCHLD set to SIG_IGN): the kernel hands a status to one waiter only"
            ) from None
        if os.WIFSTOPPED(status):
            return True, os.WSTOPSIG(status)
        with self._cond:
            self._reaped = True
        return False, os.waitstatus_to_exitcode(status)

    def _wait_gone(self) -> None:
        """The status source is gone while the child may run on: wait for its
        end through the pidfd (readable once it has ended), where there is one."""
        if self.pidfd is None:
            return
        with contextlib.suppress(OSError):
            select.select([self.pidfd], [], [])

    def _let_go_of_terminal(self, selector: selectors.BaseSelector) -> None:
        """In the pump: close the terminal for hang_up()."""
        with self._cond:
            fd = self._fds.get("terminal")
            if fd is not None:
                if fd in selector.get_map():
                    selector.unregister(fd)
                self._close_fd("terminal")
                self._terminal_ended = True
            self._cond.notify_all()

    def _output_open(self) -> bool:
        return any(name in self._fds for name in ("stdout", "stderr")) or self._terminal_open()

    def _terminal_open(self) -> bool:
        return "terminal" in self._fds and not self._terminal_ended

    def _pump_loop(self) -> None:
        selector = selectors.DefaultSelector()
        for name in ("stdout", "stderr", "terminal", "channel"):
            if name in self._fds:
                os.set_blocking(self._fds[name], False)
                selector.register(self._fds[name], selectors.EVENT_READ, name)
        selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._partial = b""
        exit_deadline: float | None = None  # set while the end waits for the terminal's last output
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
                    if b"h" in wake:
                        self._let_go_of_terminal(selector)
                        if wake.strip(b"h") == b"":
                            continue
                    # The child ended: take everything already in the pipes.
                    for other in list(selector.get_map().values()):
                        if other.data != "wake":
                            while self._read(selector, other.fd, other.data):
                                pass
                    # A pseudo-terminal hands the child's last output over a moment
                    # later than a pipe: wait for its end (EIO), bounded, first.
                    exit_deadline = monotonic() + _TERMINAL_GRACE
                if exit_deadline is not None and (not self._terminal_open() or monotonic() >= exit_deadline):
                    exit_deadline = None
                    self._record_exit()
        finally:
            selector.close()
            with self._cond:
                self._pump_gone = True
                self._cond.notify_all()

    def _record_exit(self) -> None:
        assert self._exit is not None
        code, unknown = self._exit
        signum = -code if code is not None and code < 0 else None
        with self._cond:
            state = self.state
            state.returncode, state.status_unknown, state.ended = code, unknown, True
            if state.printed_interrupt is not None and code in (-signal.SIGINT, 128 + signal.SIGINT):
                # The end CPython makes after an uncaught KeyboardInterrupt (see _remote/child.py's _TopLevel).
                at, thread = state.printed_interrupt
                state.top_level_interrupt = True
                self._log.record(
                    "keyboard_interrupt",
                    signal.SIGINT,
                    pid=self.pid,
                    thread=thread,
                    detail="propagated to the top level",
                    at=at,
                )
            event = self._log.record("exited", signum, pid=self.pid, thread="-", detail=self._exit_detail())
            self._settle("exited", signum, None, event)
            state.drained = True
            self._cond.notify_all()

    def _exit_detail(self) -> str:
        """How the child ended, for people. Holds the condition. A child that
        exits on its own after a signal it did not report handling is not
        "another cause": a shell's ``trap 'exit 3' TERM`` is a handler, and
        only a Python child reports its handlers."""
        state = self.state
        if state.status_unknown is not None or (state.returncode is not None and state.returncode < 0):
            return state.describe_exit().replace("exited with code", "exit code")
        code = state.returncode
        unanswered = sorted({delivery.signal for delivery, _ in self._pending})
        if not unanswered:
            return f"exit code {code}"
        after = f"exit code {code} after {', '.join(signal_name(s) for s in unanswered)}"
        if not self.instrumented:
            return f"{after} (not instrumented: whether a handler ran is unknown)"
        return f"{after} (no Python handler for it ran)"

    def _read(self, selector: selectors.BaseSelector, fd: int, name: str) -> bool:
        """Read once from *fd*; False when nothing more is there for now. The
        channel is read under the lock, so that :meth:`channel_unread` can
        tell when all the child wrote has been handled."""
        with self._cond if name == "channel" else contextlib.nullcontext():
            return self._read_locked(selector, fd, name)

    def _read_locked(self, selector: selectors.BaseSelector, fd: int, name: str) -> bool:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return False
        except OSError:  # EIO: the terminal's other side is gone
            data = b""
        if not data:
            selector.unregister(fd)
            with self._cond:
                if name == "terminal":  # it stays open until close(): write() may be using it
                    self._terminal_ended = True
                else:
                    self._close_fd(name)
                if name == "channel":
                    self.state.channel_open = False
                    self.state.channel_closed_early = self._exit is None
                self._cond.notify_all()
            return False
        with self._cond:
            state = self.state
            if name == "channel":
                messages, stacks, self._partial = _channel.split(self._partial + data)
                state.stacks += stacks
                for line in messages:
                    self._message(_channel.decode(line))
            else:
                state.output.append(
                    "stderr" if name == "stderr" else "terminal" if name == "terminal" else "stdout", data
                )
            self._cond.notify_all()
        return True

    def _message(self, fields: list[str]) -> None:
        kind, pid = fields[0], int(fields[1])
        if self._host_pid is not None:
            pid = self._host_pid(pid)
        rest = fields[2:]
        state = self.state
        if kind == _channel.JOINED:  # before anything else from that pid
            at, parent_text, thread, *how = rest  # how: "exec" for a Python process started by exec
            parent = int(parent_text) if self._host_pid is None else self._host_pid(int(parent_text))
            if self._joined.get(pid) == (parent, at):
                return  # the same line again (a handler wrote while it was on its way: _remote/child.py)
            if how == ["exec"] and (pid == self.pid or (pid in self._joined and self._joined[pid][0] == parent)):
                return  # the child, or a fork that reported in, exec'ing Python again: the same process
            self._joined[pid] = (parent, at)  # a later holder of the number reports in anew
            self._interrupted.discard(pid)
            self._log.record(
                "started",
                None,
                pid=pid,
                parent=parent,
                thread=thread,
                detail=f"started by exec from pid {parent}" if how == ["exec"] else f"forked from pid {parent}",
                at=float(at),
            )
        elif kind == _channel.EVENT:
            at, event_kind, sig, thread, handler, task, detail, message, ended = rest
            signum = int(sig) if sig else None
            self._log.record(
                cast("EventKind", event_kind),  # the child sends only the log's kinds
                signum,
                pid=pid,
                thread=thread,
                handler=handler or None,
                task=task or None,
                detail=detail,
                message=_channel.parse_optional(message),
                at=float(at),
                ended=cast("Ended", ended) if ended else None,
                parent=self._parent(pid),
            )
            if pid == self.pid:
                self._settle(event_kind, signum, handler or None)
        elif kind == _channel.TOP_LEVEL_INTERRUPT and pid != self.pid:
            # A descendant's uncaught KeyboardInterrupt: its end is not
            # watched, so the interpreter's top-level printing is the fact
            # (a program calling sys.excepthook itself raises no audit event).
            if pid in self._interrupted:
                return  # one top level per process (a report can come twice: see the stop note)
            self._interrupted.add(pid)
            at, thread = rest
            self._log.record(
                "keyboard_interrupt",
                signal.SIGINT,
                pid=pid,
                thread=thread,
                detail="propagated to the top level (its end not watched)",
                at=float(at),
                parent=self._parent(pid),
            )
        elif pid != self.pid:
            return
        elif kind == _channel.READY:
            state.ready = True
            if len(rest) >= 2:
                state.channel_fd = int(rest[0]) if rest[0] else None
                state.stack_signal = int(rest[1]) if rest[1] else None
        elif kind == _channel.STARTED:
            state.started = True
        elif kind == _channel.FAILED:
            state.started, state.failure = False, rest[0]
        elif kind == _channel.IGNORED:
            state.ignored = frozenset(int(s) for s in rest[0].split(",") if s)
        elif kind == _channel.DISPOSITION:
            state.dispositions[int(rest[0])] = rest[1]
        elif kind == _channel.TOP_LEVEL_INTERRUPT:
            state.printed_interrupt = (float(rest[0]), rest[1])
        elif kind == _channel.POINT:
            file, first, name, qualname, line = rest
            state.points.append((file, int(first), name, qualname, int(line)))
        elif kind == _channel.AIMED:
            state.aimed = rest[0]
        elif kind == _channel.WITHIN_LEFT:
            state.points_confirmed = len(state.points)

    def _parent(self, pid: int) -> int | None:
        """The pid *pid* was forked from; None for the child itself."""
        joined = None if pid == self.pid else self._joined.get(pid)
        return None if joined is None else joined[0]

    def _close_fd(self, name: str) -> None:
        os.close(self._fds.pop(name))
