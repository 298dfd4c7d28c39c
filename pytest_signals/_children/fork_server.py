"""Where Python children are forked from a warm template instead of started
as new interpreters (the pytest side; the template is ``_template.py``).

A fresh interpreter that imports asyncio costs tens of milliseconds; a fork of
a template that already has costs about one. The template is started on the
first ``spawn`` that can use it, with the environment such a child gets, and
serves every later one whose start-up environment (``PYTHON*`` variables and
the locale) is the same. Others, terminal children, and every child on
platforms where forking is not the choice (``signal_start_method``), start as
a new interpreter.

The template, not pytest, is the children's parent: it reaps them and reports
each status here, where :meth:`ForkServer.wait_status` hands it to the child's
watcher in place of ``waitpid``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
import threading
from collections.abc import Mapping

from .._threads import start_thread

_TEMPLATE_MAIN = os.path.join(os.path.dirname(os.path.dirname(__file__)), "_bootstrap", "template.py")
_START_VARIABLES = ("LANG", "LC_ALL", "LC_CTYPE")
_PER_SPAWN = ("PYTEST_SIGNALS_CHANNEL", "PYTEST_SIGNALS_MODULE", "PYTEST_SIGNALS_FUNCTION")


def startup_environment(env: Mapping[str, str]) -> dict[str, str]:
    """What an interpreter reads from *env* when it starts."""
    return {k: v for k, v in env.items() if k.startswith("PYTHON") or k in _START_VARIABLES}


class ForkServerError(RuntimeError):
    pass


class ForkServer:
    """One template per pytest process (per xdist worker), started on first use."""

    def __init__(self) -> None:
        self.pid = -1
        self._owner = -1
        self._sock: socket.socket | None = None
        self._startup: dict[str, str] = {}
        self._lock = threading.Lock()  # one request at a time
        self._cond = threading.Condition()
        self._replies: list[str] = []
        self._statuses: dict[int, list[int]] = {}
        self._dead = False
        self._baseline: dict[str, str] = {}

    def serves(self, env: Mapping[str, str], baseline: Mapping[str, str]) -> bool:
        """Whether a child with *env* can be forked from the template, which is
        started (on first use) with *baseline*, the environment of a child
        spawned without ``env=``."""
        if self._owner != os.getpid():
            self._baseline = dict(baseline)
            return startup_environment(env) == startup_environment(baseline)
        return not self._dead and startup_environment(env) == self._startup

    def spawn(self, request: dict[str, object], fds: list[int], timeout: float) -> int:
        """Fork a child for *request* with *fds* as its fds 0-3; return its pid."""
        env = request["env"]
        assert isinstance(env, dict)
        with self._lock:
            if self._owner != os.getpid():
                self._start(self._baseline or env)
            assert self._sock is not None
            payload = json.dumps(request).encode()
            message = f"{len(payload)}\n".encode() + payload
            sent = socket.send_fds(self._sock, [message], fds)
            if sent < len(message):
                self._sock.sendall(message[sent:])
            with self._cond:
                if not self._cond.wait_for(lambda: self._replies or self._dead, timeout):
                    raise ForkServerError(f"the fork server (pid {self.pid}) did not answer within {timeout:g}s")
                if not self._replies:
                    raise ForkServerError(f"the fork server (pid {self.pid}) is gone")
                reply = self._replies.pop(0)
        return int(reply)

    def wait_status(self, pid: int) -> int:
        """Block until the template reports a status for *pid* (as ``waitpid``)."""
        with self._cond:
            self._cond.wait_for(lambda: self._statuses.get(pid) or self._dead)
            pending = self._statuses.get(pid)
            if not pending:
                raise ChildProcessError(f"the fork server is gone; the status of pid {pid} is lost")
            status = pending.pop(0)
            if not pending and not os.WIFSTOPPED(status):
                del self._statuses[pid]
            return status

    def _start(self, env: Mapping[str, str]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        template_env = {k: v for k, v in env.items() if k not in _PER_SPAWN}
        try:
            self.pid = os.posix_spawn(
                sys.executable,
                [sys.executable, _TEMPLATE_MAIN],
                template_env,
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                    (os.POSIX_SPAWN_DUP2, theirs.fileno(), 3),
                ],
                setsid=True,
                setsigdef={int(s) for s in signal.valid_signals()} - {int(signal.SIGKILL), int(signal.SIGSTOP)},
                setsigmask=(),
            )
        finally:
            theirs.close()
        self._sock, self._owner, self._dead = ours, os.getpid(), False
        self._startup = startup_environment(env)
        self._replies.clear()
        self._statuses.clear()
        start_thread(self._dispatch, "pytest-signals fork server", (ours,))

    def _dispatch(self, sock: socket.socket) -> None:
        pending = b""
        try:
            while True:
                data = sock.recv(1 << 16)
                if not data:
                    break
                *lines, pending = (pending + data).split(b"\n")
                with self._cond:
                    for line in lines:
                        kind, *fields = line.decode().split()
                        if kind == "P":
                            self._replies.append(fields[0])
                        elif kind == "X":
                            self._statuses.setdefault(int(fields[0]), []).append(int(fields[1]))
                    self._cond.notify_all()
        except OSError:
            pass
        finally:
            with self._cond:
                self._dead = True
                self._cond.notify_all()
            with contextlib.suppress(OSError):
                os.waitpid(self.pid, 0)


FORK_SERVER = ForkServer()
