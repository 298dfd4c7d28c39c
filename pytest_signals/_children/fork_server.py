"""Where Python children are forked from a warm template instead of started
as new interpreters (the pytest side; the template is ``_remote/template.py``).

A fresh interpreter that imports asyncio costs tens of milliseconds; a fork of
a template that already has costs about one. The template is started on the
first ``spawn`` that can use it, with the environment such a child gets (but
no PYTHONPATH), and serves every later one whose start-up environment
(``PYTHON*`` and ``LC_*`` variables, ``LANG``) is the same apart from
PYTHONPATH, and whose resource limits a fork can reach. Others, terminal
children, and every child on platforms where forking is not the choice
(``signal_start_method``), start as a new interpreter; the child's
``exec_reason`` says which reason it was (:meth:`ForkServer.refusal`).

PYTHONPATH and the test's import path are applied in the fork (``_remote/child.py``
builds the child's sys.path as site would have), when that is faithful: a
new interpreter finds each module it imports on that path, while a fork
already has the modules the template imported. So a child whose path has,
in a folder the template's lacks, a module or regular package named like one
the template had loaded (or a ``sitecustomize``/``usercustomize``, which only
a new interpreter runs as it starts) starts as a new interpreter. Names are
checked against what the template reports it has (the ``M`` message): for
PYTHONPATH folders, every module; for the test's entries, which a new
interpreter's instrumentation adds only once its start-up imports are done,
those loaded after that.

The template is not pytest's child: it forks once at its start and the first
process exits, so code under test that reaps every child (``waitpid(-1)``)
never meets it. It is the parent of the children it forks: it reaps them and
reports each status here, where :meth:`ForkServer.wait_status` hands it to the
child's watcher in place of ``waitpid``; and, on Linux, it opens a pidfd for
each child before it could reap it, so the pidfd it sends with its reply can
only ever name that child.

The wire format, over one stream socket. pytest sends requests: a line
``"<size> <number of fds>"``, then *size* bytes of JSON with ``op``
(``"spawn"``, ``"exec"``, ``"kill"``, ``"release"``, ``"sweep"`` or
``"sync"``) and the request's ``id``; the fds (SCM_RIGHTS) ride with the
request's first byte. The template sends lines:

* ``T pid``: its own pid, first;
* ``M {...}``: then, once it has imported what it preloads, what every fork
  has (a Python literal: the installation's sys.path, the top-level names of
  its modules);
* ``P id pid 0|1 session 0|1 group``: the child forked for request *id*,
  with its pidfd attached when the first flag is 1; *session*, the id of
  its session (its own pid, or its launcher's: a plain child's anchor, a
  terminal job's session leader), with the launcher's pidfd attached after
  the child's when the second flag is 1; *group*, its process group's id;
* ``E id reason``: no child for request *id* (fork failed);
* ``F id errno step``: the child of an ``exec`` request failed at *step*
  (``exec``, ``chdir``...) with *errno*, and was reaped;
* ``X pid status``: a status of one of its children (stops included);
* ``S id [[pid, command], ...]``: the answer to ``sweep``, the orphans of the
  forked trees it killed (``null`` where it is no subreaper: not Linux);
* ``O pid``: an orphan of the forked trees ended and it reaped it (its pid is
  free from then on);
* ``A id``: the answer to ``sync``, once it has sent every message about
  what it did before it read the request;
* ``D reason``: its last word, when it fails.

A ``spawn`` that gives up waiting (its timeout) sends ``kill`` for its
request: the template stops that child and its group once it has forked it
(it has not reaped it, so the pid is still that child's). Such a late child is
never handed to anyone; :meth:`ForkServer.late_notes` says what became of it.
"""

from __future__ import annotations

import array
import contextlib
import json
import os
import select
import signal
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from typing import NamedTuple

from .._compat import monotonic
from .._remote import channel as _channel
from .._threads import join_thread, start_thread
from .status import StatusUnknown

_TEMPLATE_MAIN = os.path.join(os.path.dirname(os.path.dirname(__file__)), "_bootstrap", "template.py")
_PER_SPAWN = (
    _channel.ENV_CHANNEL,
    _channel.ENV_MODULE,
    _channel.ENV_FUNCTION,
    _channel.ENV_PATH,
    _channel.ENV_PYTHONPATH,
)
_MAX_FDS = 16  # per read; one reply carries at most two (the child's pidfd, its launcher's)
_NO_SIGPIPE = getattr(socket, "MSG_NOSIGNAL", 0)  # a test may have set SIGPIPE to SIG_DFL
_CLOEXEC = getattr(socket, "MSG_CMSG_CLOEXEC", 0)
_RELEASE_BOUND = 5.0  # for the template to reap a released child (a zombie: at once)
_START_BOUND = 30.0  # the template's one start: an interpreter that imports asyncio on a loaded machine
_KILL_GRACE = 1.0  # to send a "kill" after a spawn gave up: a few bytes, into a socket the template reads
_RLIMITS: list[int] = []  # resource's RLIMIT_* numbers, once read
_SILENT_DEATH = "ended without a last word (killed: SIGKILL, the OOM killer; or it crashed)"


def startup_environment(env: Mapping[str, str]) -> dict[str, str]:
    """What an interpreter reads from *env* when it starts."""
    return {k: v for k, v in env.items() if k.startswith(("PYTHON", "LC_")) or k == "LANG"}


def _differences(env: Mapping[str, str], template: Mapping[str, str]) -> list[str]:
    """The start-up variables of *env* that differ from *template*'s, but
    PYTHONPATH (which a fork applies)."""
    mine, theirs = startup_environment(env), startup_environment(template)
    return sorted(k for k in set(mine) | set(theirs) if k != "PYTHONPATH" and mine.get(k) != theirs.get(k))


_AT_START = ("sitecustomize", "usercustomize")  # imported by site as an interpreter starts
_listings: dict[tuple[str, int, int], dict[str, str]] = {}


def _importable(folder: str) -> dict[str, str] | None:
    """The top-level modules and regular packages in *folder*, by name (to
    the file's name); None when it is not a folder. A folder without
    ``__init__`` is a namespace portion, which never hides a module."""
    try:
        info = os.stat(folder)
    except OSError:
        return {}  # missing: it hides nothing
    import stat

    if not stat.S_ISDIR(info.st_mode):
        return None
    key = (folder, info.st_ino, info.st_mtime_ns)
    found = _listings.get(key)
    if found is None:
        from importlib.machinery import EXTENSION_SUFFIXES

        suffixes = (".py", ".pyc", *EXTENSION_SUFFIXES)
        found = {}
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name.endswith(suffixes):
                    found.setdefault(name.partition(".")[0], name)
                elif entry.is_dir() and any(os.path.exists(os.path.join(entry.path, "__init__" + s)) for s in suffixes):
                    found.setdefault(name, name + os.sep)
        _listings[key] = found
    return found


def _hides(folder: str, names: set[str], where: str, at_start: bool = True) -> str | None:
    """Why *folder* on a child's import path keeps it from being forked, or
    None. *at_start*: it is on the path while site imports ``sitecustomize``."""
    found = _importable(folder)
    if found is None:
        return (
            f"{where} {folder} is not a folder (a zip archive?): its modules cannot be checked against the template's"
        )
    for name in _AT_START if at_start else ():
        if name in found:
            return f"{where} {folder} has {found[name]}, which a new interpreter runs as it starts (a fork cannot)"
    hidden = sorted(names & set(found))
    if not hidden:
        return None
    return (
        f"{where} {folder} has {found[hidden[0]]}, which would hide the module {hidden[0]!r} that the fork "
        "server's template had imported"
    )


def read_umask() -> int:
    """The test process's umask. Linux shows it; elsewhere it can only be read
    by setting it, for an instant (to the strictest value, so that a file
    another thread creates meanwhile is never more open than intended)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o777)
    os.umask(mask)
    return mask


def read_rlimits() -> dict[int, tuple[int, int]]:
    """Every resource limit of the test process that can be read: (soft, hard)."""
    import resource

    if not _RLIMITS:
        _RLIMITS.extend(sorted({getattr(resource, name) for name in dir(resource) if name.startswith("RLIMIT_")}))
    limits = {}
    for number in _RLIMITS:
        with contextlib.suppress(ValueError, OSError):
            limits[number] = resource.getrlimit(number)
    return limits


def _at_most(value: int, bound: int) -> bool:
    import resource

    infinity = resource.RLIM_INFINITY  # -1 on Linux, the largest value elsewhere
    return bound == infinity or (value != infinity and value <= bound)


class ForkServerError(RuntimeError):
    pass


class ForkServerTimeout(ForkServerError):
    """The template did not answer a spawn within its timeout (the late child is stopped)."""


class Forked(NamedTuple):
    """A child the template forked for :meth:`ForkServer.spawn`."""

    pid: int
    pidfd: int | None
    """A pidfd for the child, which the caller owns (and closes); None where
    pidfds are not available (before Linux 5.3, macOS)."""
    session: int = 0
    """The id of the child's session: its own pid, or its launcher's (a plain
    child's anchor, a terminal job's session leader: ``_remote/launchers.py``)."""
    session_pidfd: int | None = None
    """A pidfd of that launcher (the template holds it while it holds the
    child), which the caller owns; None when the child leads its session."""
    group: int = 0
    """The id of the child's process group: its own pid, or its anchor's."""


class _ExecFailed(NamedTuple):
    """An ``exec`` request's child failed before it became the program (``F``)."""

    errno: int
    step: str


class ForkServer:
    """One template per pytest process (per xdist worker), started on first use."""

    def __init__(self) -> None:
        self.pid = -1
        self._owner = -1
        self._sock: socket.socket | None = None
        self._startup: dict[str, str] = {}
        self._limits: dict[int, tuple[int, int]] = {}  # the template's: a fork can lower a hard limit, not raise it
        self._lock = threading.Lock()  # one request at a time
        self._cond = threading.Condition()
        self._next_id = 0
        self._replies: dict[int, Forked | str | _ExecFailed] = {}  # request id -> the child, or why there is none
        self._statuses: dict[int, list[int]] = {}
        self._abandoned: set[int] = set()  # requests whose spawn() gave up, not answered yet
        self._late: dict[int, int] = {}  # pid -> request id: forked after its spawn() gave up, not reaped yet
        self._released: set[int] = set()  # pids the template reaped on release, until release() sees it
        self._forked: set[int] = set()  # its children pytest was handed and has not released
        # A child's pid -> its launcher's (an anchor, a terminal's leader): the template's own, no orphan.
        self._launchers: dict[int, int] = {}
        self._swept: dict[int, list[tuple[int, str]] | None] = {}  # sweep request id -> its answer
        self._synced: set[int] = set()  # sync request ids answered
        # pid -> the number of the last orphan end (O) that had it; the
        # count goes on across templates, never reused.
        self._orphan_ends: dict[int, int] = {}
        self._orphans_ended = 0
        self._overdue: set[int] = set()  # request ids already reported as not settled
        self._notes: list[str] = []
        self._dead = False
        self._death = ""  # how the template ended, for people
        self._baseline: dict[str, str] = {}
        self._installation: set[str] = set()  # the template's sys.path (M)
        self._loaded: set[str] = set()  # top-level names of its modules (M)
        self._loaded_late: set[str] = set()  # those loaded after its instrumentation's bootstrap (M)
        self._command_line_refused = ""  # why its forks could not show their own command line (M)
        # The reader of the template's messages runs only while a call waits
        # on them (_await): between tests no thread of ours is left.
        self._reader: threading.Thread | None = None
        self._waiters = 0
        self._wake: tuple[int, int] | None = None  # a pipe: the last waiter gone, the reader stops
        self._pending = bytearray()  # the start of a message not all read yet
        self._pending_fds: list[int] = []  # fds received, each waiting for the reply it came with
        self._drained = 0  # how many times the reader found the socket empty
        self._pidfd: int | None = None  # the template's (Linux): to resume it, never another process
        # A child's pidfd, while a call waits for its status -> its pid, and
        # (its pid, its launcher's pid and pidfd) when its launcher can be stopped.
        self._ends: dict[int, tuple[int, tuple[int, int, int] | None]] = {}

    def refusal(
        self,
        env: Mapping[str, str],
        baseline: Mapping[str, str],
        *,
        timeout: float,
        cwd: str | None = None,
        first: str | None = None,
    ) -> str | None:
        """Why a child with *env*, working directory *cwd* and *first* as its
        ``sys.path[0]`` cannot be forked from the template; None when it can. On first use, starts the
        template with *baseline* (the environment of a child spawned without
        ``env=``, without PYTHONPATH) and the test process's resource limits:
        whether a child's import path can be forked depends on what the
        template has imported.

        Raises:
            ForkServerError: the template did not start within *timeout*.
        """
        with self._lock:
            if self._owner != os.getpid():
                if _differences(env, baseline):
                    return self._refused_environment(env, baseline)
                self._baseline = dict(baseline)
                self._start(baseline, monotonic() + timeout, timeout)
        with self._cond:
            self._refresh()
            if self._dead:
                return f"the fork server's template (pid {self.pid}) {self._death}"
        if self._command_line_refused:
            return (
                "a fork would show the template's command line in /proc/<pid>/cmdline (ps, pgrep -f, psutil): "
                f"this kernel refused to give it the program's ({self._command_line_refused})"
            )
        if _differences(env, self._startup):
            return self._refused_environment(env, self._startup)
        for number, (_, hard) in read_rlimits().items():
            template = self._limits.get(number)
            if template is None or not _at_most(hard, template[1]):
                # only a new interpreter, started from here, has that hard limit
                return f"its hard limit of {_rlimit_name(number)} is above the template's, which a fork cannot raise"
        return self._refused_path(env, cwd, first)

    def _refused_environment(self, env: Mapping[str, str], template: Mapping[str, str]) -> str:
        names = ", ".join(_differences(env, template))
        return (
            f"its start-up environment differs from the fork server's template's in {names}, which an "
            "interpreter reads as it starts (a fork cannot apply it)"
        )

    def _refused_path(self, env: Mapping[str, str], cwd: str | None, first: str | None) -> str | None:
        here = cwd or os.getcwd()
        if first is not None:  # comes in front of everything once the interpreter has started (as the test's do)
            why = _hides(first, self._loaded_late, "its sys.path[0] folder", at_start=False)
            if why is not None:
                return why
        pythonpath = env.get(_channel.ENV_PYTHONPATH)  # the child's own (PYTHONPATH starts with the bootstrap's)
        own = [] if not pythonpath else [os.path.normpath(os.path.join(here, p)) for p in pythonpath.split(os.pathsep)]
        for folder in dict.fromkeys(own):
            why = _hides(folder, self._loaded, "the PYTHONPATH entry")
            if why is not None:
                return why
        for folder in _channel.decode_paths(env.get(_channel.ENV_PATH, "")):
            if folder not in self._installation and folder not in own:
                why = _hides(folder, self._loaded_late, "the test's sys.path entry")
                if why is not None:
                    return why
        return None

    def exec_refusal(self, baseline: Mapping[str, str], *, timeout: float) -> str | None:
        """Why the template cannot start a program by fork and exec (so that
        the orphans of its tree come to the template); None when it can.
        Starts the template with *baseline* on first use."""
        if not sys.platform.startswith("linux") or not hasattr(os, "pidfd_open"):
            return f"the fork server's template is a subreaper only on Linux (here: {sys.platform})"
        with self._lock:
            if self._owner != os.getpid():
                self._baseline = dict(baseline)
                try:
                    self._start(baseline, monotonic() + timeout, timeout)
                except ForkServerError as exc:
                    return str(exc)
        with self._cond:
            self._refresh()
            if self._dead:
                return f"the fork server's template (pid {self.pid}) {self._death}"
        for number, (_, hard) in read_rlimits().items():
            template = self._limits.get(number)
            if template is None or not _at_most(hard, template[1]):
                return f"its hard limit of {_rlimit_name(number)} is above the template's, which a fork cannot raise"
        return None

    def spawn(self, request: dict[str, object], fds: list[int], timeout: float, op: str = "spawn") -> Forked:
        """Fork a child for *request* (``kind``, ``argv``, ``env``, ``cwd``)
        with *fds* as its fds 0-3; with *op* ``"exec"``, the fork execs
        ``executable`` (and *fds* are its fds 0-N). It also gets the test process's current
        working directory (when ``cwd`` is None), umask and resource limits.

        Raises:
            OSError: the exec failed (as ``posix_spawn`` raises it).
            ForkServerError: the template did not answer within *timeout* (the
                child it forks later is stopped: see :meth:`late_notes`),
                could not fork, or is gone.
        """
        env = request["env"]
        assert isinstance(env, dict)
        deadline = monotonic() + timeout
        with self._lock:
            if self._owner != os.getpid():
                self._start(self._baseline or env, deadline, timeout)
            self._next_id += 1
            rid = self._next_id
            message = {**request, "op": op, "id": rid, "umask": read_umask(), "rlimits": read_rlimits()}
            if op == "exec":
                message["timeout"] = timeout
            if message["cwd"] is None:
                message["cwd"] = os.getcwd()
            self._send(message, fds, deadline, timeout)
            waited = False
            try:
                with self._cond:
                    self._await(lambda: rid in self._replies, max(0.0, deadline - monotonic()))
                    reply = self._replies.pop(rid, None)
                    dead, death = self._dead, self._death
                    if reply is None and not dead:
                        self._abandoned.add(rid)
                    waited = True
            finally:
                if not waited:  # interrupted while it waited (a KeyboardInterrupt): nobody takes its child
                    self._give_up(rid)
            if reply is None:
                if dead:
                    raise ForkServerError(f"the fork server's template (pid {self.pid}) {death}")
                resumed = self.resume_if_stopped()  # first: the "kill" below would resume it unsaid
                with contextlib.suppress(ForkServerError):  # unsent, the pidfd sent with the reply stops it
                    self._send({"op": "kill", "id": rid}, [], monotonic() + _KILL_GRACE, _KILL_GRACE)
                raise ForkServerTimeout(
                    f"the fork server's template (pid {self.pid}) did not answer within {timeout:g}s"
                    + ("" if resumed is None else f": {resumed}")
                )
        if isinstance(reply, _ExecFailed):
            errno, step = reply.errno, reply.step
            filename = request["executable"] if step == "exec" else request.get("cwd")
            error = OSError(errno, os.strerror(errno), filename)  # FileNotFoundError, PermissionError...
            if step != "exec":
                error.strerror = f"{error.strerror} (at {step}, before exec)"
            raise error
        if isinstance(reply, str):
            raise ForkServerError(f"the fork server's template (pid {self.pid}) could not fork: {reply}")
        return reply

    def _give_up(self, rid: int) -> None:
        """A spawn() interrupted while it waited for request *rid*: its child,
        forked already or later, is stopped as one forked after its spawn()
        gave up (:meth:`late_notes`). Holds the lock."""
        with self._cond:
            reply, dead = self._replies.pop(rid, None), self._dead
            if isinstance(reply, Forked):
                if not dead:
                    self._late[reply.pid] = rid
                if reply.pidfd is not None:
                    with contextlib.suppress(OSError):
                        signal.pidfd_send_signal(reply.pidfd, signal.SIGKILL)
                    os.close(reply.pidfd)
                if reply.session_pidfd is not None:
                    os.close(reply.session_pidfd)
            elif reply is None and not dead:
                self._abandoned.add(rid)
            if dead or not (reply is None or isinstance(reply, Forked)):
                return  # no template, or no child (the fork or the exec failed)
        with contextlib.suppress(ForkServerError):  # the template stops it, and its group, and reaps it
            self._send({"op": "kill", "id": rid}, [], monotonic() + _KILL_GRACE, _KILL_GRACE)

    def release(self, pid: int) -> None:
        """The template may reap *pid*, which ended and whose group pytest has
        signalled: until then its zombie keeps its numbers taken."""
        with self._lock:
            if self._owner != os.getpid() or self._dead:
                return
            with contextlib.suppress(ForkServerError):  # gone: its zombies went with it
                self._send({"op": "release", "id": 0, "pid": pid}, [], monotonic() + _KILL_GRACE, _KILL_GRACE)
            with self._cond:  # its answer, once reaped: the next holder of the number is not this child
                self._await(lambda: pid in self._released, _RELEASE_BOUND)
                self._released.discard(pid)

    def sweep(self, timeout: float) -> list[tuple[int, str]] | None:
        """Have the template SIGKILL every orphan of the forked trees that was
        re-parented to it (a daemon that left its session, and what it started),
        and return (pid, command line) of each; None where it cannot (no
        template, no subreaper). Children pytest still holds are left alone."""
        with self._lock:
            if self._owner != os.getpid() or self._dead:
                return None
            self._next_id += 1
            rid = self._next_id
            try:
                self._send({"op": "sweep", "id": rid}, [], monotonic() + timeout, timeout)
            except ForkServerError:
                return None
            with self._cond:
                self._await(lambda: rid in self._swept, timeout)
                return self._swept.pop(rid, None)

    def orphan_ends(self) -> int:
        """How many ends of adopted orphans were told so far: a mark for
        :meth:`orphan_ended`, taken before a child is forked."""
        with self._cond:
            if self._owner == os.getpid() and not self._dead:
                drained = self._drained
                self._await(lambda: self._drained > drained, _KILL_GRACE, nudge=True)  # what it told so far, read
            return self._orphans_ended

    def orphan_ended(self, pid: int, since: int, timeout: float) -> bool:
        """Whether an orphan the template adopted had *pid* and ended (was
        reaped by it, not killed by a sweep) after the mark *since*
        (:meth:`orphan_ends`). Asks the template first (bounded by
        *timeout*), so that an end it saw before is known here: call it once
        *pid* was seen free."""
        with self._lock:
            if self._owner != os.getpid() or self._dead:
                with self._cond:
                    return self._orphan_ends.get(pid, -1) >= since
            self._next_id += 1
            rid = self._next_id
            with contextlib.suppress(ForkServerError):
                self._send({"op": "sync", "id": rid}, [], monotonic() + timeout, timeout)
            with self._cond:
                self._await(lambda: rid in self._synced, timeout)
                self._synced.discard(rid)
                return self._orphan_ends.get(pid, -1) >= since

    def _orphan_end(self, pid: int) -> None:
        self._orphan_ends[pid] = self._orphans_ended
        self._orphans_ended += 1

    def is_launcher(self, pid: int) -> bool:
        """Whether *pid* is a launcher of a child pytest holds (a plain child's
        anchor, a terminal job's session leader): the template's, never the test's."""
        with self._cond:
            return pid in self._launchers.values()

    def adopted(self) -> list[int]:
        """The template's children that pytest was never handed: orphans of
        the forked trees, re-parented to it (Linux; a snapshot, to read only)."""
        with self._cond:
            if self._owner != os.getpid() or self._dead or self.pid <= 0:
                return []
            held = set(self._forked) | set(self._launchers.values())  # a launcher is no orphan
        from .._remote import keeper as remote
        from .._remote import subreaper

        if not remote.proc_is_ours():
            return []
        return subreaper.adopted(self.pid, held)

    @property
    def alive(self) -> bool:
        """The template runs (so a child it holds has not been reaped by anyone else)."""
        with self._cond:
            self._refresh()
            return self._owner == os.getpid() and not self._dead

    def wait_status(self, pid: int, pidfd: int | None = None, launcher: tuple[int, int] | None = None) -> int:
        """Block until the template reports a status for *pid* (as ``waitpid``
        with ``WUNTRACED``). With the child's *pidfd*, the reader also sees
        the child end, which is when it looks whether the template was
        stopped (:meth:`resume_if_stopped`).

        Raises:
            StatusUnknown: the template is gone and had not reported it.
        """
        with self._cond:
            if pidfd is not None:
                self._ends[pidfd] = (pid, (pid, *launcher) if launcher is not None else None)
            try:
                self._await(lambda: bool(self._statuses.get(pid)), nudge=pidfd is not None)
            finally:
                if pidfd is not None:
                    self._ends.pop(pidfd, None)
            pending = self._statuses.get(pid)
            if not pending:
                raise StatusUnknown(
                    f"the fork server's template (pid {self.pid}) {self._death}, before it reported how pid {pid} ended"
                )
            status = pending.pop(0)
            if not pending and not os.WIFSTOPPED(status):
                del self._statuses[pid]
            return status

    def resume_if_stopped(self, child: tuple[int, int, int] | None = None) -> str | None:
        """Resume the template if something stopped it, and, with *child*
        (its pid, its launcher's pid and the launcher's pidfd), a terminal
        job's leader, which is that job's parent; what happened, for a
        failure message, or None.

        Code under test can stop them: a plain child's parent is the
        template, a terminal job's its leader, so ``os.kill(os.getppid(),
        signal.SIGSTOP)`` there stops it (without the plugin, that would have
        stopped pytest). A stopped template answers nothing: every later spawn
        and teardown of the session would wait out its bound; a stopped leader
        does not tell its job's end. They are the plugin's processes, not the
        test's, so they are resumed (through a pidfd: never another process):
        the template before each request; both when a child whose status a
        call awaits ends (its pidfd turns readable: they should tell, and
        stopped ones would not), which is what teardown, ``stop_sequence``
        and ``wait`` wait for; and when a spawn or a wait on one of its
        children gives up. The report says so, once per test. No timer looks
        in between (nothing tells pytest of a stop as it happens): a template
        stopped while a spawn waits for its reply (a child that stops its
        parent the moment it starts) makes that spawn fail after its timeout,
        saying so. Only a plain stop: a traced one (a debugger attached to it)
        is left alone. Linux only (``/proc`` and a pidfd)."""
        with self._cond:
            if self._pidfd is None or self._dead or self._owner != os.getpid():
                return None
            said = []
            if _resume(self.pid, self._pidfd):
                said.append(
                    f"the fork server's template (pid {self.pid}), the parent of the forked children, was stopped "
                    "(a SIGSTOP from the code under test: os.kill(os.getppid(), SIGSTOP) in a child?): "
                    "the plugin resumed it with SIGCONT; while it was stopped, no child could start and no child's "
                    "end was told"
                )
            if child is not None and child[1] != child[0] and _resume(child[1], child[2]):
                said.append(
                    f"the terminal's session leader (pid {child[1]}) of pid {child[0]}, its parent, was stopped "
                    "(a SIGSTOP from the code under test: os.kill(os.getppid(), SIGSTOP)?): the plugin resumed it "
                    f"with SIGCONT; while it was stopped, the end of pid {child[0]} was not told"
                )
            for note in said:
                if note not in self._notes:  # a child that stops it again and again: said once
                    self._notes.append(note)
            return "; ".join(said) or None

    def late_notes(self, timeout: float) -> list[str]:
        """What became of the children forked after their ``spawn()`` had
        given up, for the report: waits up to *timeout* for each to be stopped
        and reaped. Each note is returned once."""
        with self._cond:

            def unsettled() -> set[int]:
                return (self._abandoned | set(self._late.values())) - self._overdue

            if unsettled() and not self._dead:
                self._await(lambda: not unsettled(), timeout)
            notes, self._notes = self._notes, []
            end = f"the template {self._death}" if self._dead else f"not settled {timeout:g}s later"
            for _ in self._abandoned - self._overdue:
                notes.append(f"a spawn() gave up on the fork server's template (pid {self.pid}), never answered: {end}")
            for pid, rid in sorted(self._late.items()):
                if rid not in self._overdue:
                    notes.append(f"a child forked after its spawn() had given up (pid {pid}) was sent SIGKILL: {end}")
            self._overdue |= unsettled()
            return notes

    # -- the wire --------------------------------------------------------------------

    def _send(self, message: dict[str, object], fds: list[int], deadline: float, bound: float) -> None:
        """Write one request, its *fds* attached, by *deadline*. A request cut
        short leaves the stream out of step: the template is then shut down."""
        sock = self._sock
        assert sock is not None
        self.resume_if_stopped()
        payload = json.dumps(message).encode()
        data = memoryview(f"{len(payload)} {len(fds)}\n".encode() + payload)
        ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
        poller = select.poll()
        poller.register(sock, select.POLLOUT)
        started = False
        while data:
            remaining = deadline - monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                problem = f"did not read a request within {bound:g}s"
                if started:
                    self._shut_down(f"was shut down: it {problem}")
                raise ForkServerError(f"the fork server's template (pid {self.pid}) {problem}")
            try:
                sent = sock.sendmsg([data], ancillary, socket.MSG_DONTWAIT | _NO_SIGPIPE)
            except BlockingIOError:
                continue
            except OSError as exc:
                with self._cond:
                    self._await(lambda: False, bound)  # its reader names how it ended
                    death = self._death or _SILENT_DEATH
                raise ForkServerError(f"the fork server's template (pid {self.pid}) {death} ({exc})") from None
            data, ancillary, started = data[sent:], [], True

    def _shut_down(self, why: str) -> None:
        with self._cond:
            self._death = self._death or why
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)  # the reader sees the end; the template, end of file

    def _start(self, env: Mapping[str, str], deadline: float, bound: float) -> None:
        # Its one start is bounded on its own: a first spawn with a short timeout
        # must not leave every later child of the session without a template.
        bound = max(bound, _START_BOUND)
        deadline = max(deadline, monotonic() + _START_BOUND)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        template_env = {k: v for k, v in env.items() if k not in _PER_SPAWN}
        limits = read_rlimits()  # the template's, inherited
        try:
            first = os.posix_spawn(
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
        try:
            self.pid, has = _first_messages(ours, deadline, bound)
        except BaseException as exc:
            ours.close()
            with contextlib.suppress(OSError):
                os.killpg(first, signal.SIGKILL)  # the first process and the template, if it got that far
            with self._cond:  # later children start as new interpreters
                self._owner, self._dead, self._death = os.getpid(), True, f"did not start ({exc})"
            raise
        finally:
            _reap_first(first, deadline)
        pidfd = _template_pidfd(self.pid, ours)
        with self._cond:
            if self._pidfd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._pidfd)
            self._pidfd = pidfd
            self._sock, self._owner, self._dead, self._death = ours, os.getpid(), False, ""
            for fd in (*(self._wake or ()), *self._pending_fds):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._wake, self._reader, self._waiters = os.pipe(), None, 0
            os.set_blocking(self._wake[1], False)
            self._pending, self._pending_fds = bytearray(), []
            self._startup = startup_environment(env)
            self._limits = limits
            self._installation = set(has["path"])
            self._loaded, self._loaded_late = set(has["loaded"]), set(has["late"])
            refused = has.get("command_line")
            self._command_line_refused = refused if isinstance(refused, str) else ""
            self._forked.clear()
            self._launchers.clear()
            self._swept.clear()
            self._synced.clear()
            for table in (self._replies, self._statuses, self._abandoned, self._late, self._overdue, self._released):
                table.clear()

    # -- the reader ----------------------------------------------------------------------

    def _await(self, ready: Callable[[], object], timeout: float | None = None, *, nudge: bool = False) -> None:
        """Until *ready()* or the template's end, bounded by *timeout* (None:
        none), with the template's messages read meanwhile. Holds the condition.

        The reader is a thread (blocking every signal, so that no interruption
        of the main thread can cut a message in two) that runs only while some
        call waits here, and stops when the last one is done."""
        self._waiters += 1
        try:
            if self._reader is None and not self._dead and self._sock is not None:
                self._reader = start_thread(self._read, "pytest-signals fork server", (self._sock,))
            elif nudge and self._wake is not None:  # a reader waiting on an empty socket: look again
                with contextlib.suppress(OSError):
                    os.write(self._wake[1], b"\0")
            self._cond.wait_for(lambda: ready() or self._dead, timeout)
        finally:
            self._waiters -= 1
            if not self._waiters:
                self._stop_reader()

    def _stop_reader(self) -> None:
        """The last waiter is done: the reader stops, and is gone before this
        returns (unless another call came to wait meanwhile). Holds the condition."""
        reader = self._reader
        if reader is None or reader is threading.current_thread() or self._wake is None:
            return
        with contextlib.suppress(OSError):  # full: it is awake anyway
            os.write(self._wake[1], b"\0")
        self._cond.wait_for(lambda: self._reader is not reader or self._waiters > 0, _RELEASE_BOUND)
        if self._reader is not reader:
            self._cond.release()
            try:
                join_thread(reader, _RELEASE_BOUND)
            finally:
                self._cond.acquire()

    def _refresh(self) -> None:
        """Read what the template sent while no call waited (its end among
        it), before a decision that depends on it. Costs a poll when there is
        nothing. Holds the condition."""
        sock = self._sock
        if self._dead or sock is None or self._owner != os.getpid():
            return
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        if poller.poll(0):
            drained = self._drained
            self._await(lambda: self._drained > drained, _KILL_GRACE, nudge=True)

    def quiesce(self) -> None:
        """The reader stopped, and gone, unless a call waits: a test's end leaves no thread of ours."""
        with self._cond:
            if not self._waiters:
                self._stop_reader()

    def _read(self, sock: socket.socket) -> None:
        death = _SILENT_DEATH
        try:
            if self._read_while_waited_on(sock) == "idle":
                return
        except OSError:
            pass
        except _ProtocolError as exc:
            death = f"was shut down: {exc}"
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        with self._cond:
            if self._reader is threading.current_thread():
                self._reader = None
            if self._sock is sock:
                for fd in self._pending_fds:
                    with contextlib.suppress(OSError):
                        os.close(fd)
                self._pending_fds = []
                self._dead = True
                self._death = self._death or death
            self._cond.notify_all()

    def _read_while_waited_on(self, sock: socket.socket) -> str:
        """Read and handle messages until the last waiter is gone ("idle") or
        the stream ends ("ended"). Each time it finds the socket empty it says
        so (``_drained``)."""
        with self._cond:
            wake = self._wake
        assert wake is not None
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        poller.register(wake[0], select.POLLIN)
        watched: set[int] = set()  # pidfds of children whose status a call awaits
        ended: set[tuple[int, int]] = set()  # (pidfd, pid) of those seen readable (they stay so)
        while True:
            self._watch_ends(poller, watched, ended)
            events = dict(poller.poll(0))
            if sock.fileno() not in events:
                with self._cond:
                    self._drained += 1
                    self._cond.notify_all()
                    if not self._waiters:
                        self._reader = None
                        self._cond.notify_all()
                        return "idle"
                if watched.isdisjoint(events):
                    events = dict(poller.poll())
            if not watched.isdisjoint(events):
                # A child ended: the template (and a terminal job's leader) tells its end next, unless stopped.
                for fd in watched & set(events):
                    with self._cond:
                        pid, child = self._ends.get(fd, (0, None))
                    ended.add((fd, pid))
                    self.resume_if_stopped(child)
            if wake[0] in events:
                with contextlib.suppress(OSError):
                    os.read(wake[0], 512)
            if sock.fileno() not in events:
                continue
            data, flags = _receive(sock, self._pending_fds)
            if flags & socket.MSG_CTRUNC:
                raise _ProtocolError("a reply's file descriptors were cut off (MSG_CTRUNC)")
            if not data:
                return "ended"
            with self._cond:
                self._pending += data
                *lines, rest = self._pending.split(b"\n")
                self._pending = bytearray(rest)
                try:
                    for line in lines:
                        try:
                            self._on_message(line.decode(), self._pending_fds)
                        except (ValueError, IndexError):
                            raise _ProtocolError(f"it sent {bytes(line[:80])!r}, a malformed message") from None
                finally:
                    self._cond.notify_all()

    def _watch_ends(self, poller: select.poll, watched: set[int], ended: set[tuple[int, int]]) -> None:
        """In the reader: poll the pidfds of the children whose status a call
        awaits, each until it has been seen readable (a pidfd number closed
        and given to a later child is that child's: (pidfd, pid) tell them apart)."""
        with self._cond:
            awaited = {(fd, pid) for fd, (pid, _) in self._ends.items()}
        ended &= awaited
        wanted = {fd for fd, _ in awaited - ended}
        for fd in watched - wanted:
            poller.unregister(fd)
        for fd in wanted - watched:
            poller.register(fd, select.POLLIN)
        watched.clear()
        watched.update(wanted)

    def _on_message(self, line: str, fds: list[int]) -> None:
        """One line from the template. Holds the condition."""
        kind, _, rest = line.partition(" ")
        fields = rest.split(" ")
        if kind == "P":
            rid, pid, session, group = int(fields[0]), int(fields[1]), int(fields[3]), int(fields[5])
            wanted = (fields[2] == "1") + (fields[4] == "1")
            if len(fds) < wanted:
                raise _ProtocolError(f"the reply {line!r} came without its pidfds")
            pidfd = fds.pop(0) if fields[2] == "1" else None
            session_pidfd = fds.pop(0) if fields[4] == "1" else None
            self._forked.add(pid)
            if session not in (0, pid):
                self._launchers[pid] = session
            if rid not in self._abandoned:
                self._replies[rid] = Forked(pid, pidfd, session, session_pidfd, group)
                return
            # Its spawn() gave up: the template stops it and its group (the
            # "kill" that followed the request); the pidfd does it sooner.
            self._abandoned.discard(rid)
            self._late[pid] = rid
            if session_pidfd is not None:
                os.close(session_pidfd)
            if pidfd is not None:
                with contextlib.suppress(OSError):
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                os.close(pidfd)
        elif kind == "E":
            rid = int(fields[0])
            if rid in self._abandoned:
                self._abandoned.discard(rid)
            else:
                self._replies[rid] = rest.partition(" ")[2]
        elif kind == "F":
            rid = int(fields[0])
            if rid in self._abandoned:
                self._abandoned.discard(rid)
            else:
                self._replies[rid] = _ExecFailed(int(fields[1]), fields[2])
        elif kind == "X":
            pid, status = int(fields[0]), int(fields[1])
            if pid not in self._late:
                self._statuses.setdefault(pid, []).append(status)
            elif not os.WIFSTOPPED(status):
                self._late.pop(pid)
                self._forked.discard(pid)  # reaped at once
                self._launchers.pop(pid, None)
                self._notes.append(_late_note(pid, status))
        elif kind == "R":
            self._released.add(int(fields[0]))
            self._forked.discard(int(fields[0]))
            self._launchers.pop(int(fields[0]), None)
        elif kind == "S":
            answer = json.loads(rest.partition(" ")[2])
            self._swept[int(fields[0])] = None if answer is None else [(int(p), str(c)) for p, c in answer]
        elif kind == "O":
            self._orphan_end(int(fields[0]))
        elif kind == "A":
            self._synced.add(int(fields[0]))
        elif kind == "D":
            self._death = f"failed: {rest}"
        else:
            raise _ProtocolError(f"it sent {line[:80]!r}, which is no message of the fork server")


class _ProtocolError(Exception):
    pass


def _resume(pid: int, pidfd: int) -> bool:
    """SIGCONT through *pidfd* if ``/proc`` shows *pid* stopped (state ``T``,
    not a debugger's ``t``) or about to stop (a SIGSTOP pending: sent, but
    the process has not run since to act on it, which SIGCONT cancels);
    whether it was."""
    from .._remote.keeper import proc_is_ours

    try:
        with open(f"/proc/{pid}/status", "rb") as file:
            fields = dict(line.split(b":", 1) for line in file.read().splitlines() if b":" in line)
        state = fields[b"State"].split()[0]
        pending = int(fields[b"SigPnd"], 16) | int(fields[b"ShdPnd"], 16)
    except (OSError, ValueError, IndexError, KeyError):
        return False
    if state != b"T" and not pending & (1 << (signal.SIGSTOP - 1)):
        return False
    if not proc_is_ours():
        return False
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGCONT)
    except OSError:
        return False  # gone (or reaped): nothing of ours to resume
    return True


def _template_pidfd(pid: int, sock: socket.socket) -> int | None:
    """A pidfd for the template (Linux 5.3+), or None. The template holds the
    other end of *sock*: while that end is open after the pidfd was opened,
    the pid was still the template's (no later holder of the number)."""
    if not hasattr(os, "pidfd_open") or not hasattr(select, "POLLRDHUP"):
        return None
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return None
    poller = select.poll()
    poller.register(sock, select.POLLRDHUP)
    if poller.poll(0):
        os.close(pidfd)
        return None
    return pidfd


def _receive(sock: socket.socket, fds: list[int]) -> tuple[bytes, int]:
    """Read from *sock*; the fds that came along join *fds*, none of them
    inherited by the children pytest execs. (``socket.recv_fds`` ignores its
    flags before Python 3.12.)"""
    data, ancillary, flags, _ = sock.recvmsg(1 << 16, socket.CMSG_LEN(_MAX_FDS * 4), _CLOEXEC)
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            received = array.array("i")
            received.frombytes(payload[: len(payload) - len(payload) % received.itemsize])
            for fd in received:
                if not _CLOEXEC:
                    os.set_inheritable(fd, False)
                fds.append(fd)
    return data, flags


def _late_note(pid: int, status: int) -> str:
    what = f"a child forked after its spawn() had given up (pid {pid})"
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
        return f"{what} was stopped"
    code = os.waitstatus_to_exitcode(status)
    ended = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
    return f"{what} ended before it could be stopped ({ended})"


def _first_messages(sock: socket.socket, deadline: float, bound: float) -> tuple[int, dict[str, list[str]]]:
    """The template's pid, which it sends first (it is the first process's
    child), and what every fork has (``M``), which it sends once ready."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    data = b""
    while data.count(b"\n") < 2:
        remaining = deadline - monotonic()
        if remaining <= 0 or not poller.poll(remaining * 1000):
            raise ForkServerError(f"the fork server's template did not start within {bound:g}s")
        chunk = sock.recv(1 << 16)  # nothing follows these two lines until pytest sends a request
        if not chunk:
            raise ForkServerError(f"the fork server's template exited as it started (it sent {data[:200]!r})")
        data += chunk
    first, second = data.decode(errors="surrogateescape").split("\n")[:2]
    kind, _, pid = first.partition(" ")
    if kind != "T" or not pid.isdigit():
        raise ForkServerError(f"the fork server's template started with {first[:200]!r}, not its pid")
    kind, _, literal = second.partition(" ")
    import ast

    try:
        has = ast.literal_eval(literal) if kind == "M" else None
    except (ValueError, SyntaxError):
        has = None
    if not isinstance(has, dict) or not all(isinstance(has.get(k), list) for k in ("path", "loaded", "late")):
        raise ForkServerError(f"the fork server's template sent {second[:200]!r}, not what its forks have")
    return int(pid), has


def _rlimit_name(number: int) -> str:
    import resource

    names = [name for name in dir(resource) if name.startswith("RLIMIT_") and getattr(resource, name) == number]
    return names[0] if names else f"resource {number}"


def _reap_first(pid: int, deadline: float) -> None:
    """Reap the template's first process, which only forks and exits."""
    pidfd = None
    if hasattr(os, "pidfd_open"):
        with contextlib.suppress(OSError):
            pidfd = os.pidfd_open(pid)
    if pidfd is not None:
        try:
            poller = select.poll()
            poller.register(pidfd, select.POLLIN)
            if not poller.poll(max(0.0, deadline - monotonic()) * 1000):
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)  # bounded: it is done either way
        finally:
            os.close(pidfd)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


FORK_SERVER = ForkServer()
