"""The test side of ``spawn(..., as_init=True)``: a child that runs as pid 1
of a new pid namespace, started through ``_remote/init_launcher.py`` (whose
docstring says how and why there is a process in between).

The test sees pid 1 by its host pid: that is :attr:`SpawnedProcess.pid`, the
number it is signalled by (through a pidfd opened while the launcher, its
parent, holds it, and kept only once ``/proc`` shows the launcher as its
parent), and the number its events carry: an instrumented pid 1 reports
``os.getpid()`` = 1, and :meth:`InitProcess.host_pid` maps that (and its
forks' numbers, through ``NSpid`` in ``/proc/<pid>/status``) back.

Its end comes from the launcher, which reports pid 1's stops and its status
on the control socket and holds it as a zombie until :meth:`release`, as the
fork server's template does for a forked child: :class:`~.watch.ChildWatch`
treats it the same way.

Availability is probed once per process (:func:`unavailable`), by running the
launcher's ``--probe``; ``PYTEST_SIGNALS_NO_PID_NAMESPACES`` set to a reason
makes the probe report that reason instead (for testing the skip).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from typing import Literal

from .._compat import monotonic
from .._remote import init_launcher as _launcher
from .._remote import keeper as remote
from .status import StatusUnknown

ENV_UNAVAILABLE = "PYTEST_SIGNALS_NO_PID_NAMESPACES"
_PROBE_TIMEOUT = 30.0
_REAP_BOUND = 5.0
_probed: str | bool | None = False  # False: not probed yet


def unavailable() -> str | None:
    """Why pid 1 of a new pid namespace cannot be had here, or None. Probed
    once (a launcher that unshares and forks a pid 1 that exits at once)."""
    global _probed
    forced = os.environ.get(ENV_UNAVAILABLE)
    if forced:
        return f"{forced} ({ENV_UNAVAILABLE} is set)"
    if _probed is not False:
        return _probed if isinstance(_probed, str) else None
    _probed = _probe()
    return _probed


def _probe() -> str | None:
    if not sys.platform.startswith("linux"):
        return f"pid namespaces are Linux's (this is {sys.platform})"
    if not hasattr(os, "pidfd_open"):
        return "it needs pidfds (Linux 5.3 and Python 3.9 or later)"
    if not remote.proc_is_ours():
        return "this process's /proc shows another pid namespace, so pid 1's identity cannot be proven"
    command = [sys.executable, "-I", "-S", _launcher.__file__, "--probe"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=_PROBE_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return f"the namespace probe did not finish within {_PROBE_TIMEOUT:g}s"
    if done.returncode == 0:
        return None
    why = (done.stdout + done.stderr).strip() or f"exit status {done.returncode}"
    return f"no pid namespace could be created ({why}); unprivileged user namespaces may be disabled " + (
        "(kernel.unprivileged_userns_clone, user.max_user_namespaces, kernel.apparmor_restrict_unprivileged_userns)"
    )


class InitError(RuntimeError):
    """The launcher could not make the namespace or start the program."""


class InitProcess:
    """The launcher of one pid 1, seen from pytest: pid 1's host pid and
    pidfd, its statuses, and its release."""

    def __init__(self, launcher: int, launcher_pidfd: int | None, control: socket.socket) -> None:
        self.launcher = launcher
        self.launcher_pidfd = launcher_pidfd
        self._control = control
        self._buffer = b""
        self._lock = threading.Lock()
        self._gone = False
        self.pid = -1
        self.pidfd: int | None = None
        self.own_proc: bool | None = None  # pid 1 has a /proc of its own
        self.proc_refused = ""  # why not
        self._ns: str | None = None
        self._mapped: dict[int, int] = {}  # namespace pid -> host pid, the last found

    def describe(self) -> str:
        """What pid 1 runs as, for people."""
        where = "its own /proc" if self.own_proc else f"its parent's /proc ({self.proc_refused})"
        return f"pid 1 of a new pid namespace, with {where}"

    def _line(self, deadline: float | None) -> str | None:
        """The next line from the launcher; None at end of file or past *deadline*."""
        while b"\n" not in self._buffer:
            if deadline is not None:
                left = deadline - monotonic()
                if left <= 0 or not select.select([self._control], [], [], left)[0]:
                    return None
            try:
                data = self._control.recv(4096)
            except OSError:
                data = b""
            if not data:
                return None
            self._buffer += data
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode(errors="replace")

    def started(self, timeout: float) -> None:
        """Wait (bounded) for pid 1's host pid, its /proc and its exec; open its pidfd.

        Raises:
            InitError: the namespace or the start failed, or nothing came in time.
        """
        deadline = monotonic() + timeout
        seen: list[str] = []
        running = False
        while not running:
            line = self._line(deadline)
            if line is None:
                raise InitError(
                    f"the pid-namespace launcher (pid {self.launcher}) did not report pid 1 within "
                    f"{timeout:g}s; it said: {seen or 'nothing'}"
                )
            seen.append(line)
            word, _, rest = line.partition(" ")
            if word == "failed":
                raise InitError(f"spawn(as_init=True): {rest}")
            if word == "exec":
                running = True
            if word == "pid":
                self.pid = int(rest)
                from .keeper import open_pidfd

                self.pidfd = open_pidfd(self.pid, self.launcher)
                if self.pidfd is None:
                    raise InitError(f"no pidfd of pid 1 (host pid {self.pid}) could be opened and proven")
            elif word == "proc":
                self.own_proc = rest.startswith("1")
                self.proc_refused = rest[2:]

    def wait_status(self) -> int:
        """Block until the launcher reports a stop or the end of pid 1 (a raw
        wait status, as ``waitpid`` with ``WUNTRACED``).

        Raises:
            StatusUnknown: the launcher died first.
        """
        line = self._line(None)
        while line is not None and not line.startswith("status "):
            line = self._line(None)
        if line is None:
            with self._lock:
                self._gone = True
            raise StatusUnknown(
                f"the pid-namespace launcher (pid {self.launcher}) died before it reported how pid 1 ended"
            )
        return int(line.split()[1])

    @property
    def alive(self) -> bool:
        """The launcher still holds pid 1 (not reaped)."""
        with self._lock:
            return not self._gone

    def release(self) -> None:
        """Let the launcher reap pid 1 (which ended), then reap the launcher, bounded."""
        with self._lock:
            self._gone = True
        with contextlib.suppress(OSError):
            self._control.sendall(b"release\n")
        if self.launcher_pidfd is not None:
            select.select([self.launcher_pidfd], [], [], _REAP_BOUND)
            with contextlib.suppress(OSError):
                os.waitid(os.P_PIDFD, self.launcher_pidfd, os.WEXITED | os.WNOHANG)
        self.close()

    def kill(self) -> None:
        """SIGKILL pid 1 (and so its namespace) and the launcher: a start that failed half-way."""
        for fd in (self.pidfd, self.launcher_pidfd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    signal.pidfd_send_signal(fd, signal.SIGKILL)
        if self.launcher_pidfd is not None:
            with contextlib.suppress(OSError):
                os.waitid(os.P_PIDFD, self.launcher_pidfd, os.WEXITED)
        self.close()

    def close(self) -> None:
        self._control.close()
        if self.launcher_pidfd is not None:
            with contextlib.suppress(OSError):
                os.close(self.launcher_pidfd)
            self.launcher_pidfd = None

    def disposition(self, signum: int) -> Literal["caught", "ignored", "default"] | None:
        """What pid 1 does with *signum* now, as the kernel's table in ``/proc``
        says (a C-level handler or a shell's ``trap`` is ``"caught"`` too);
        None where that cannot be read."""
        if not remote.proc_is_ours():
            return None
        try:
            with open(f"/proc/{self.pid}/status", encoding="ascii", errors="replace") as file:
                fields = dict(line.split(":", 1) for line in file if ":" in line)
            caught, ignored = (int(fields[name].strip(), 16) for name in ("SigCgt", "SigIgn"))
        except (OSError, KeyError, ValueError):
            return None
        bit = 1 << (signum - 1)
        return "caught" if caught & bit else "ignored" if ignored & bit else "default"

    def host_pid(self, pid: int) -> int:
        """The host pid of *pid* as a process of the namespace reported it
        (``os.getpid()``): 1 is pid 1's; another is looked up in ``/proc``
        (``NSpid``), and its last answer is checked again before it is
        used. A process that ended keeps the host pid it was last seen
        with (its reports are read after it ended); one never seen alive
        gets ``-pid``, its namespace number negated: never a host pid,
        so ``process=`` and ``tree=`` cannot name an unrelated process
        (namespace pid 2 is not the host's kthreadd)."""
        if pid == 1:
            return self.pid
        if self._ns is None:
            with contextlib.suppress(OSError):
                self._ns = os.readlink(f"/proc/{self.pid}/ns/pid")
        if self._ns is None or not remote.proc_is_ours():
            return -pid
        known = self._mapped.get(pid)
        if known is not None and self._nspid(str(known)) == pid:
            return known
        for entry in os.listdir("/proc"):
            if entry.isdigit() and self._nspid(entry) == pid:
                self._mapped[pid] = int(entry)
                return int(entry)
        return known if known is not None else -pid

    def _nspid(self, entry: str) -> int | None:
        """The pid in this namespace of the process ``/proc/<entry>``, if it is in it."""
        try:
            if os.readlink(f"/proc/{entry}/ns/pid") != self._ns:
                return None
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as file:
                nspid = next((line.split()[1:] for line in file if line.startswith("NSpid:")), [])
        except OSError:
            return None
        return int(nspid[-1]) if nspid else None


def start(
    executable: str,
    argv: list[str],
    env: dict[str, str],
    cwd: str | None,
    actions: list[tuple[int, int, int]],
    ignore: tuple[int, ...],
    sigdef: set[int],
    timeout: float,
) -> InitProcess:
    """Start the launcher with the program's fds (*actions*, the posix_spawn
    file actions of a plain child) and wait for pid 1.

    Raises:
        InitError: the namespace or the start failed.
    """
    ours, theirs = socket.socketpair()
    high = -1
    try:
        high = _high_fd(theirs.fileno())
        command = [sys.executable, "-I", "-S", _launcher.__file__, cwd or "", ",".join(map(str, ignore))]
        pid = os.posix_spawn(
            sys.executable,
            [*command, executable, *argv],
            env,
            file_actions=[*actions, (os.POSIX_SPAWN_DUP2, high, _launcher.CONTROL_FD)],
            setsid=True,
            setsigdef=sigdef,
            setsigmask=(),
        )
    finally:
        theirs.close()
        if high >= 0:
            os.close(high)
    from .keeper import open_pidfd

    init = InitProcess(pid, open_pidfd(pid, os.getpid()), ours)
    try:
        init.started(timeout)
    except BaseException:
        init.kill()
        if init.launcher_pidfd is None:
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
        raise
    return init


def _high_fd(fd: int) -> int:
    """A close-on-exec copy of *fd* above the numbers the child's fds are moved to."""
    import fcntl

    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
