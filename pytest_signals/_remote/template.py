"""The warm template that forks spawned children (the fork server's far side).

Started once per pytest process with the environment a spawned Python child
gets, it imports the heavy standard modules a target is likely to need
(asyncio alone costs tens of milliseconds per interpreter start), then waits
on a socket. For each ``spawn`` it forks; the fork becomes a child that is
indistinguishable from a fresh ``python target`` for the code under test:

* the session its launch gives it (a plain child's is led by an anchor:
  ``launchers.anchored``), default dispositions and an empty signal mask, no wakeup fd;
* stdin, stdout, stderr and the instrumentation channel on fds 0-3, nothing else;
* the requested environment (``TZ`` read again), working directory,
  ``sys.argv`` and ``sys.path[0]``, and the test process's umask and resource
  limits as they are at the ``spawn``;
* a fresh ``__main__``, and ``sys.modules`` as a fresh start has it: the
  preloaded modules are hidden and come back, each with the modules it
  imported, when the program imports them (without running them again);
* the exit a fresh interpreter makes: non-daemon threads joined, ``atexit``
  run, streams flushed, ``SystemExit`` and uncaught exceptions printed, and
  death by SIGINT after an uncaught ``KeyboardInterrupt``.

The template is not pytest's child (``_bootstrap/template.py`` forks once and
the first process exits), so code under test that reaps every child of pytest
never meets it. It reaps its own children and reports every status (stops
included) to pytest, which cannot ``waitpid`` them; with each child's pid it
sends a pidfd (Linux), opened before it could reap the child. It exits when
pytest closes the socket (or dies). The wire format is described in
``_children/fork_server.py``.

It also starts, on Linux, the children that are not forks of it: commands
and Python targets started as new interpreters ("exec": ``posix_spawn``, or
for a terminal, signals to ignore or other resource limits a fork that
execs the program; either way with exactly the environment, fds,
dispositions and working directory ``posix_spawn`` from pytest would give
it). That makes every child's tree its own, for the next paragraph. The
alternatives rejected: pytest as the subreaper (code under test would see
extra SIGCHLDs and adopted zombies); a subreaper shim exec'd in front of
each command (one more process per child, which the program would see as
its parent, and whose signals it would have to relay);
``PR_SET_CHILD_SUBREAPER`` in a ``preexec_fn`` (it is the child that would
adopt, and a daemon's double fork leaves the child first); always a fork of
the template (about 5 ms a start for this large process, against 0.1 ms
for ``posix_spawn``).

On Linux it is a child subreaper (``subreaper.py``): an orphan of a child's
tree, a daemon that left its child's session, is re-parented to it instead
of init. It reaps those that end, kills those left when pytest asks
("sweep", at teardown), and kills every process it has before it exits when
pytest is gone.
"""

import json
import os
import resource
import select
import signal
import socket
import sys
from typing import Any

from . import command_line, launchers, subreaper
from .preload import Reveal, Tracer

CONTROL_FD = 3
CHILD_FDS = 4  # stdin, stdout, stderr, the instrumentation channel
PRELOAD = ("asyncio",)
_MAX_FDS = 16  # per read; one request carries CHILD_FDS
_doomed: set[int] = set()  # ids of requests whose spawn() gave up (their child is reaped at once)
_pidfds = [hasattr(os, "pidfd_open")]  # until pidfd_open fails once (before Linux 5.3, a sandbox)
_subreaper = [False]  # orphans of the forked trees come to this process (subreaper.py)
_SHIELDED = (
    signal.SIGHUP,
    signal.SIGINT,
    signal.SIGQUIT,
    signal.SIGTERM,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGALRM,
)
_at_start: dict[int, Any] = {}  # their dispositions as the template started (Python's defaults)
_held_for: dict[int, int] = {}  # an ended child pytest has not released -> the id of its request
_own_command_line: list["str | None"] = [None]  # command_line.unavailable(), before serving


def serve(base: set[str], tracer: Tracer) -> None:
    """The template's main loop. *base*: the modules a fresh start has;
    *tracer*: recording imports since before this module was imported."""
    tracer.preload(PRELOAD)
    _own_command_line[0] = command_line.unavailable()
    import gc

    gc.collect()
    gc.freeze()  # forks leave the template's objects (and their pages) alone
    control = socket.socket(fileno=CONTROL_FD)
    try:
        control.sendall(f"M {_what_a_fork_has()!r}\n".encode())
        _serve(control, base, tracer.deps)
    except BaseException as exc:  # its last word, for the status of every child it had not reported
        if isinstance(exc, OSError) and _subreaper[0]:
            # The socket broke (EPIPE, ECONNRESET): pytest is gone, as at end of file.
            subreaper.kill_adopted(os.getpid(), set())
        try:  # noqa: SIM105 - contextlib would be one more module to hide
            control.sendall(f"D {exc!r}".replace("\n", " ").encode() + b"\n")
        except OSError:
            pass
        raise


def _what_a_fork_has() -> dict[str, Any]:
    """For pytest, which decides whether a child's import path lets it be
    forked: the installation's path every fork builds on, and the top-level
    names of the modules a fork has loaded already (all of them; and those
    loaded after the instrumentation put a child's path in place)."""
    child_module = sys.modules["pytest_signals._remote.child"]
    loaded = {name.partition(".")[0] for name in sys.modules}
    early = {name.partition(".")[0] for name in child_module._modules_at_bootstrap}
    return {
        "path": list(child_module._installation or []),
        "loaded": sorted(loaded),
        "late": sorted(loaded - early),
        "command_line": _own_command_line[0],
    }


def _serve(control: socket.socket, base: set[str], deps: dict[str, set[str]]) -> None:
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    _subreaper[0] = _pidfds[0] and subreaper.become()  # pidfds: to signal only what it proves its own
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    # A child's parent is this process: a program that signals its parent (a
    # readiness SIGUSR1, a SIGTERM) must not end the fork server. Each fork
    # gets the start's dispositions back (_child).
    for signum in _SHIELDED:
        handler = signal.getsignal(signum)
        _at_start[signum] = signal.Handlers(handler) if isinstance(handler, int) else handler
        signal.signal(signum, signal.SIG_IGN)
    signal.set_wakeup_fd(wake_w)
    buffer = bytearray()
    received: list[int] = []  # fds in the order they came, each request taking its own
    forked: dict[int, int] = {}  # pid -> request id, until it ended
    held: set[int] = set()  # ended, kept as zombies (numbers taken) until pytest releases them
    while True:
        watched: list[Any] = [control, wake_r, *(job.status for job in launchers.jobs.values())]
        readable = select.select(watched, [], [])[0]
        if wake_r in readable:
            os.read(wake_r, 512)
            _reap(control, forked, held)
        for pid, job in list(launchers.jobs.items()):
            if job.status in readable:
                _job_statuses(control, pid, job, forked, held)
        if control not in readable:
            continue
        data, fds, flags, _ = socket.recv_fds(control, 1 << 16, _MAX_FDS)
        received.extend(fds)  # they come with the first byte of their request
        if flags & socket.MSG_CTRUNC:
            raise RuntimeError("the file descriptors of a request were cut off (MSG_CTRUNC)")
        if not data:
            # pytest is gone: its keeper takes care of the children's sessions;
            # this takes every process of their trees, escaped ones included.
            if _subreaper[0]:
                subreaper.kill_adopted(os.getpid(), set())
            return
        buffer += data
        while True:
            header_end = buffer.find(b"\n")
            if header_end < 0:
                break
            size, count = (int(field) for field in buffer[:header_end].split())
            end = header_end + 1 + size
            if len(buffer) < end:
                break
            request = json.loads(buffer[header_end + 1 : end])
            del buffer[:end]
            if len(received) < count:
                raise RuntimeError(f"request {request.get('id')} came without its {count} file descriptors")
            request_fds, received = received[:count], received[count:]
            _handle(request, request_fds, control, forked, held, base, deps)


def _handle(
    request: dict[str, Any],
    fds: list[int],
    control: socket.socket,
    forked: dict[int, int],
    held: set[int],
    base: set[str],
    deps: dict[str, set[str]],
) -> None:
    rid = request["id"]
    if request["op"] == "release":
        # pytest has signalled what was left of the child's group: reap it now.
        pid = request["pid"]
        if pid in held:
            held.discard(pid)
            _held_for.pop(pid, None)
            if pid in launchers.jobs:  # its terminal's session leader holds it
                launchers.release_job(pid, launchers.ANCHOR_BOUND)
            else:
                try:  # noqa: SIM105 - contextlib would be one more module to hide
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
            launchers.release_anchor(pid)
        control.sendall(f"R {pid}\n".encode())  # reaped (or never held): its numbers are free
        return
    if request["op"] == "sync":
        # Every message about what it did before reading this is on its way already.
        control.sendall(f"A {rid}\n".encode())
        return
    if request["op"] == "sweep":
        # The test's children have ended: what is left of their trees is re-parented here.
        killed = None
        ended: list[int] = []
        if _subreaper[0]:
            killed = subreaper.kill_adopted(os.getpid(), _ours(forked, held), ended)
        for pid in ended:  # had ended on their own: told, as _reap does
            control.sendall(f"O {pid}\n".encode())
        control.sendall(f"S {rid} {json.dumps(killed)}\n".encode())
        return
    if request["op"] == "kill":
        # Its spawn() gave up. Not reaped yet, the pid is still that child's
        # (and its group's, once the child has made it).
        _doomed.add(rid)  # nobody will release it: reaped as soon as it ends
        for pid, ended_for in list(_held_for.items()):
            if ended_for == rid:  # it ended before this came (and was told): nobody will release it either
                del _held_for[pid]
                held.discard(pid)
                _reap_held(pid)
        for pid, forked_for in list(forked.items()):
            if forked_for == rid:
                for kill, number in ((os.kill, pid), (os.killpg, launchers.anchors.get(pid, pid))):
                    try:  # noqa: SIM105 - contextlib would be one more module to hide
                        kill(number, signal.SIGKILL)
                    except OSError:
                        pass
        return
    if request["op"] == "exec":
        _exec(request, fds, control, forked)
        return
    try:
        pid = _launch(request, fds)
    except OSError as exc:
        for fd in fds:
            os.close(fd)
        control.sendall(f"E {rid} {exc}".replace("\n", " ").encode() + b"\n")
        return
    if pid == 0:
        _child(request, fds, base, deps, control)
    forked[pid] = rid
    for fd in fds:
        os.close(fd)
    _reply(control, rid, pid)


def _plain(request: dict[str, Any]) -> bool:
    """A plain child (``launchers.anchored``): only without a terminal, and
    where this process is a subreaper with pidfds."""
    return bool(request.get("plain")) and not request.get("tty") and _subreaper[0]


def _job(request: dict[str, Any]) -> bool:
    """A terminal job (``launchers.terminal_job``): where this process is a
    subreaper with pidfds."""
    return bool(request.get("tty")) and bool(request.get("job")) and _subreaper[0]


def _launch(request: dict[str, Any], fds: list[int]) -> int:
    """Fork the child as its launch asks (``launchers.py``): 0 in the child."""
    if _plain(request):
        return launchers.anchored(request)
    if _job(request):
        return launchers.terminal_job(request, fds[0])  # fds 0-2 are the terminal's slave side
    return os.fork()


def _reap_held(pid: int) -> None:
    """Reap the ended child *pid* (through its terminal's leader, for a job),
    and its anchor."""
    if pid in launchers.jobs:
        launchers.release_job(pid, launchers.ANCHOR_BOUND)
    else:
        launchers.reap_now(pid)
    launchers.release_anchor(pid)


def _ours(forked: dict[int, int], held: set[int]) -> set[int]:
    """The children pytest holds, and their launchers: none of them an orphan."""
    return set(forked) | held | launchers.launchers()


def _exec(request: dict[str, Any], fds: list[int], control: socket.socket, forked: dict[int, int]) -> None:
    """Start a program: a command, or a Python target started as a new
    interpreter. It is this process's child, so that the orphans of its tree
    come here as a forked child's do. Through ``posix_spawn`` where that
    gives it all it asks (:func:`_spawn_directly`), else a fork that sets it
    up and execs it. Either way the pid goes to pytest only once the exec
    happened or failed (the fork's report pipe, close-on-exec, is at its
    end), as ``posix_spawn`` returns: nothing can signal it before it is the
    program."""
    rid = request["id"]
    try:
        # A plain child is a fork that waits for its anchor to end before it
        # execs (posix_spawn cannot wait: the program would start with the
        # anchor as its parent, which then exits under it).
        pid = None if _plain(request) else _spawn_directly(request, fds)
    except _Failed as failed:  # as posix_spawn from pytest raised it
        for fd in fds:
            os.close(fd)
        control.sendall(f"F {rid} {failed.args[0]} {failed.args[1]}\n".encode())
        return
    if pid is not None:
        for fd in fds:
            os.close(fd)
        forked[pid] = rid
        _reply(control, rid, pid)
        return
    report_r = report_w = -1
    try:
        report_r, report_w = os.pipe()  # not inheritable: closed by the exec
        pid = _launch(request, fds)
    except OSError as exc:
        for fd in (*fds, report_r, report_w):
            if fd >= 0:
                os.close(fd)
        control.sendall(f"E {rid} {exc}".replace("\n", " ").encode() + b"\n")
        return
    if pid == 0:
        _exec_child(request, fds, report_w)
    os.close(report_w)
    for fd in fds:
        os.close(fd)
    try:
        # A few system calls away; bounded by the spawn's own timeout, after
        # which a late failure shows as its exit status 127.
        ready = select.select([report_r], [], [], request.get("timeout"))[0]
        failure = os.read(report_r, 512).decode(errors="replace").split() if ready else []
    finally:
        os.close(report_r)
    if failure:  # it exits at once: reap it here, pytest never hears of it
        _reap_held(pid)
        control.sendall(f"F {rid} {' '.join(failure)}\n".encode())
        return
    forked[pid] = rid
    _reply(control, rid, pid)


def _spawn_directly(request: dict[str, Any], fds: list[int]) -> int | None:
    """Start the program with ``posix_spawn`` (a fork of this large process
    costs milliseconds), when that gives it everything the request asks:
    not for a terminal (the controlling terminal), signals to ignore (this
    process would have to ignore them, SIGCHLD included, for an instant) or
    resource limits other than this process's. The working directory and
    umask are this process's for the instant of the call (it has no other
    thread). None when it cannot; the exec's error is raised."""
    if not _can_spawn_directly(request):
        return None
    actions: list[tuple[int, ...]] = [(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in enumerate(fds)]
    actions += [(os.POSIX_SPAWN_CLOSE, fd) for fd in sorted(set(fds))]  # received inheritable, all above 3
    if len(fds) <= CONTROL_FD:
        actions.append((os.POSIX_SPAWN_CLOSE, CONTROL_FD))
    everything = {int(s) for s in signal.valid_signals()} - {int(signal.SIGKILL), int(signal.SIGSTOP)}
    if not _no_leaks[0]:
        _close_on_exec()
    here = os.open(".", os.O_RDONLY | os.O_CLOEXEC)
    mask = os.umask(request["umask"])
    try:
        try:
            os.chdir(request["cwd"])
        except OSError as exc:
            raise _Failed(exc.errno or 0, "chdir") from None
        try:
            return os.posix_spawn(
                request["executable"],
                request["argv"],
                request["env"],
                file_actions=actions,
                setsid=not _plain(request),  # a plain child is in its anchor's session
                setsigdef=everything,
                setsigmask=(),
            )
        except OSError as exc:
            raise _Failed(exc.errno or 0, "exec") from None
    finally:
        os.umask(mask)
        os.fchdir(here)
        os.close(here)


def _can_spawn_directly(request: dict[str, Any]) -> bool:
    if request.get("tty") or request.get("ignore") or not hasattr(os, "POSIX_SPAWN_DUP2"):
        return False
    return all(resource.getrlimit(int(number)) == (soft, hard) for number, (soft, hard) in request["rlimits"].items())


class _Failed(Exception):
    """(errno, step): the program could not be started."""


_no_leaks = [False]  # every fd this process had from its start is close-on-exec


def _close_on_exec() -> None:
    """What this process inherited from pytest above fd 3 (a fd the test had
    made inheritable when the template started) must not reach a program it
    spawns: a fork closes them, ``posix_spawn`` cannot."""
    _no_leaks[0] = True
    try:
        numbers = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        numbers = list(range(CHILD_FDS, 256))
    for fd in numbers:
        if fd > CONTROL_FD:
            try:  # noqa: SIM105 - contextlib would be one more module to hide
                os.set_inheritable(fd, False)
            except OSError:
                pass


def _reply(control: socket.socket, rid: int, pid: int) -> None:
    """Hand pytest *pid*, started for request *rid*, with its pidfd; the id
    of its session, its own pid or its launcher's (with the launcher's
    pidfd: the launcher, a session leader, vouches for the session); and
    its process group's id (a plain child's is its anchor's)."""
    pidfd = _pidfd(pid)
    anchor = launchers.anchors.get(pid)
    job = launchers.jobs.get(pid)
    leader = anchor if anchor is not None else job.leader if job is not None else None
    leader_pidfd = None if leader is None or pidfd is None else _pidfd(leader)
    group = anchor or pid
    flags = f"{0 if pidfd is None else 1} {leader or pid} {0 if leader_pidfd is None else 1} {group}"
    reply = f"P {rid} {pid} {flags}\n".encode()
    sending = [fd for fd in (pidfd, leader_pidfd) if fd is not None]
    if not sending:
        control.sendall(reply)
        return
    try:
        sent = socket.send_fds(control, [reply], sending)
    finally:
        for fd in sending:
            os.close(fd)
    control.sendall(reply[sent:])


def _pidfd(pid: int) -> int | None:
    """A pidfd for *pid*, a child not reaped yet: it can only ever name that child."""
    if not _pidfds[0]:
        return None
    try:
        return os.pidfd_open(pid)
    except OSError:
        _pidfds[0] = False
        return None


def _reap(control: socket.socket, forked: dict[int, int], held: set[int]) -> None:
    """Report each child's stops and its end. An ended child is not reaped
    (``WNOWAIT``): a zombie keeps its pid, group and session numbers taken, so
    that pytest can still signal what is left of its group, until it sends
    "release". One ``waitid`` per child, not ``waitpid(-1)``, which would reap."""
    if not hasattr(os, "waitid"):  # macOS before Python 3.13: reaped at once, held by nobody
        _reap_at_once(control, forked)
        return
    for pid in list(forked):
        if pid in launchers.jobs:  # its terminal's session leader reports it (_job_statuses)
            continue
        try:
            result = os.waitid(os.P_PID, pid, os.WEXITED | os.WSTOPPED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            forked.pop(pid, None)
            continue
        if result is None:
            continue
        code = result.si_code
        if code in (os.CLD_STOPPED, os.CLD_TRAPPED):
            try:  # noqa: SIM105 - contextlib would be one more module to hide
                os.waitid(os.P_PID, pid, os.WSTOPPED | os.WNOHANG)  # take this stop: the next wait moves on
            except ChildProcessError:
                pass
            status = (result.si_status << 8) | 0x7F  # as waitpid reports a stop
        else:
            forked_for = forked.pop(pid, None)
            if forked_for in _doomed:
                _reap_held(pid)
            else:
                held.add(pid)
                if forked_for is not None:
                    _held_for[pid] = forked_for
            if code == os.CLD_EXITED:
                status = (result.si_status & 0xFF) << 8
            else:  # CLD_KILLED, CLD_DUMPED
                status = result.si_status | (0x80 if code == os.CLD_DUMPED else 0)
        control.sendall(f"X {pid} {status}\n".encode())
    if _subreaper[0]:
        # Told before any later request is read: an answer to one sent once
        # an orphan's pid was seen free comes after the orphan's "O".
        for pid in subreaper.reap_ended(os.getpid(), _ours(forked, held)):
            control.sendall(f"O {pid}\n".encode())


def _job_statuses(control: socket.socket, pid: int, job: launchers.Job, forked: dict[int, int], held: set[int]) -> None:
    """Report what the terminal's session leader says of its job *pid*. If
    the leader is gone (killed), the job, re-parented here, is this
    process's child from then on: :func:`_reap` watches it."""
    statuses = launchers.read_statuses(job)
    if statuses is None:
        launchers.jobs.pop(pid, None)
        os.close(job.status)
        os.close(job.release)
        try:  # noqa: SIM105 - contextlib would be one more module to hide
            launchers.exited(job.leader, launchers.ANCHOR_BOUND)  # then its child is re-parented here
        except OSError:
            pass
        launchers.reap_now(job.leader)
        if not job.ended:
            _reap(control, forked, held)
        return
    for status in statuses:
        if not os.WIFSTOPPED(status):
            job.ended = True
            forked_for = forked.pop(pid, None)
            if forked_for in _doomed:
                launchers.release_job(pid, launchers.ANCHOR_BOUND)
            else:
                held.add(pid)
                if forked_for is not None:
                    _held_for[pid] = forked_for
        control.sendall(f"X {pid} {status}\n".encode())


def _reap_at_once(control: socket.socket, forked: dict[int, int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG | os.WUNTRACED)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if not os.WIFSTOPPED(status):
            forked.pop(pid, None)
        control.sendall(f"X {pid} {status}\n".encode())


# -- in the forked child ---------------------------------------------------------


def _exec_child(request: dict[str, Any], fds: list[int], report: int) -> None:
    """Become the program: what ``posix_spawn`` from pytest made of it (a
    session of its own, default dispositions but *ignore*, an empty mask,
    *fds* as 0-N and nothing else) plus the test process's working
    directory, umask and resource limits; never returns. A failure writes
    ``errno step`` to *report*."""
    step = "set up"
    try:
        import fcntl

        report = fcntl.fcntl(report, fcntl.F_DUPFD_CLOEXEC, CHILD_FDS)  # out of the way of 0-3
        step = "setsid"
        if not _plain(request) and not _job(request):  # else in its launcher's session already
            os.setsid()
        step = "signals"
        signal.set_wakeup_fd(-1)
        ignore = set(request.get("ignore", ()))
        # As posix_spawn's setsigdef: every valid signal (glibc's own 32 and
        # 33 are not, and stay as posix_spawn leaves them: ignored).
        for signum in signal.valid_signals():
            if signum not in (signal.SIGKILL, signal.SIGSTOP):
                try:  # noqa: SIM105 - contextlib would be one more module to hide
                    signal.signal(signum, signal.SIG_IGN if signum in ignore else signal.SIG_DFL)
                except (OSError, ValueError):  # one the platform does not let a program set
                    pass
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        step = "fds"
        for target, fd in enumerate(fds):  # received fds are all above 3
            os.dup2(fd, target)
        os.closerange(len(fds), report)
        os.closerange(report + 1, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 1024)
        if request.get("tty") and not _job(request):  # fds 0-2 are a pseudo-terminal's slave side
            import termios

            step = "terminal"
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        step = "limits"
        os.umask(request["umask"])
        for number, (soft, hard) in request["rlimits"].items():
            if resource.getrlimit(int(number)) != (soft, hard):
                resource.setrlimit(int(number), (soft, hard))
        step = "chdir"
        os.chdir(request["cwd"])
        step = "exec"
        os.execve(request["executable"], request["argv"], request["env"])
    except OSError as exc:
        os.write(report, f"{exc.errno or 0} {step}".encode())
    except BaseException:
        os.write(report, f"0 {step}".encode())
    os._exit(127)


def _child(
    request: dict[str, Any],
    fds: list[int],
    base: set[str],
    deps: dict[str, set[str]],
    control: socket.socket,
) -> None:
    """Become the child and run the target; never returns."""
    try:
        control.detach()  # fd 3 becomes the child's channel: the socket must not close it
        if not _plain(request) and not _job(request):  # else in its launcher's session already
            os.setsid()
        threading = sys.modules.get("threading")
        set_native_id = getattr(threading and threading.main_thread(), "_set_native_id", None)
        if set_native_id is not None:  # a fork keeps the template's thread id there; a fresh start has its own
            set_native_id()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for signum, handler in _at_start.items():
            signal.signal(signum, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        for signum in request.get("ignore", ()):  # as its launcher (nohup, cmd &) left them
            signal.signal(signum, signal.SIG_IGN)
        for target, fd in enumerate(fds):  # received fds are all above 3
            os.dup2(fd, target)
        os.closerange(CHILD_FDS, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 1024)
        if request.get("tty"):
            _take_terminal(take=not _job(request))  # a job's session leader took it
        # The world of the test process now, as an exec'd child inherits it.
        os.umask(request["umask"])
        for number, (soft, hard) in request["rlimits"].items():
            if resource.getrlimit(int(number)) != (soft, hard):
                resource.setrlimit(int(number), (soft, hard))
        os.chdir(request["cwd"])
        environ = request["env"]
        for key in list(os.environ):
            if key not in environ:
                del os.environ[key]
        os.environ.update(environ)
        clock = sys.modules.get("time")
        if clock is not None:  # TZ is read when time is first imported: as it was in the template
            clock.tzset()
        kind, argv = request["kind"], request["argv"]
        sys.orig_argv[:] = argv
        if kind == "file":
            sys.argv[:] = argv[1:]
            path = os.path.abspath(argv[1])
            entry = os.path.dirname(os.path.realpath(path))
        elif kind == "module":
            sys.argv[:] = ["-m", *argv[3:]]
            entry = os.getcwd()
        else:  # -c
            sys.argv[:] = ["-c", *argv[3:]]
            entry = ""
        if not getattr(sys.flags, "safe_path", False):
            sys.path[0] = entry
        child_module = sys.modules["pytest_signals._remote.child"]
        child_module.bootstrap(forked=True)  # instrumentation (and sys.path), as a fresh start's sitecustomize
        if _own_command_line[0] == "":  # what ps, pgrep -f and psutil read: the program's, not the template's
            command_line.set_own(argv, os.environb)
        hidden = {}
        for name in list(sys.modules):
            if name not in base and name != child_module.PRIVATE_NAME:
                hidden[name] = sys.modules.pop(name)
        sys.modules.pop(__name__, None)
        if hidden:
            sys.meta_path.insert(0, Reveal(hidden, deps))
        main = type(sys)("__main__")
        main.__dict__["__builtins__"] = sys.modules["builtins"]
        sys.modules["__main__"] = main
    except BaseException as exc:  # the start failed: say so, as a fresh interpreter would
        os.write(2, f"pytest-signals: the fork server could not start the child: {exc!r}\n".encode())
        os._exit(1)
    _run(kind, argv, main, child_module)


def _take_terminal(take: bool = True) -> None:
    """fds 0-2 are a pseudo-terminal's slave side: make it the controlling
    terminal of this new session (whose group is then its foreground job),
    and buffer stdio as a fresh interpreter does on a terminal (line by line;
    the template's were made for /dev/null)."""
    import fcntl
    import termios

    if take:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    # CPython line-buffers stdin and stdout on a terminal unless stdio is
    # unbuffered (-u, PYTHONUNBUFFERED), which the template's write_through shows.
    stdout: Any = sys.stdout
    if stdout is not None and not stdout.write_through:
        for stream in (sys.stdin, sys.stdout):
            if stream is not None:
                stream.reconfigure(line_buffering=True)  # type: ignore[union-attr]


def _run(kind: str, argv: list[str], main: Any, child_module: Any) -> None:
    """Run the target, then exit as the interpreter would, without tearing
    down the template's modules: a fork that frees the template's objects
    copies every page they live on (tens of milliseconds)."""
    interrupted = False
    code = 0
    try:
        if kind == "module":
            import runpy

            runpy._run_module_as_main(argv[2])  # type: ignore[attr-defined]
        else:
            source: bytes | str
            if kind == "file":
                path = os.path.abspath(argv[1])
                with open(path, "rb") as source_file:
                    source = source_file.read()
                main.__file__ = path
                main.__cached__ = None
                loader_type = type(sys.modules["_frozen_importlib_external"].SourceFileLoader("x", path))
                main.__loader__ = loader_type("__main__", path)
            else:
                source, path = argv[2], "<string>"
                main.__loader__ = sys.modules["_frozen_importlib"].BuiltinImporter
            main.__spec__ = main.__package__ = main.__doc__ = None
            compiled = compile(source, path, "exec", dont_inherit=True)
            if kind != "file":  # Python 3.13 keeps -c code in linecache, for tracebacks
                register = getattr(__import__("linecache"), "_register_code", None)
                if register is not None:
                    register(compiled, source, path)
            del source
            exec(compiled, main.__dict__)
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException as exc:
        interrupted = isinstance(exc, KeyboardInterrupt)
        _print_uncaught(exc, child_module)
        code = 128 + signal.SIGINT if interrupted else 1
    _finalize(main)
    if interrupted:  # as CPython does after an uncaught KeyboardInterrupt (130 if SIGINT is blocked)
        child_module._real_signal(int(signal.SIGINT), 0)  # SIG_DFL; not the program's doing: not reported
        os.kill(os.getpid(), signal.SIGINT)
    os._exit(code)


def _print_uncaught(exc: BaseException, child_module: Any) -> None:
    """What the interpreter's top level (PyErr_Print) does with an uncaught
    exception: its traceback without the template's frames, ``sys.last_*``
    set, the "sys.excepthook" audit event (the instrumentation learns of a
    KeyboardInterrupt from it, as the program's own audit hooks would), then
    the hook."""
    tb = child_module._without_own_frames(exc.__traceback__, exc)
    sys.last_type, sys.last_value, sys.last_traceback = type(exc), exc, tb
    if sys.version_info >= (3, 12):
        sys.last_exc = exc
    hook = getattr(sys, "excepthook", None)
    try:
        sys.audit("sys.excepthook", hook, type(exc), exc, tb)
    except RuntimeError:  # an audit hook refused: CPython prints nothing then
        return
    (hook or sys.__excepthook__)(type(exc), exc, tb)


def _exit_code(exc: SystemExit) -> int:
    value = exc.code
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    try:  # noqa: SIM105 - contextlib would be one more module to hide
        sys.stderr.write(f"{value}\n")
    except Exception:
        pass
    return 1


def _finalize(main: Any) -> None:
    """Py_FinalizeEx's steps that a program can see: threads joined, atexit,
    streams flushed, and the program's own ``__main__`` globals released (so
    their ``__del__`` runs and files it left open are flushed), in the order
    CPython clears a module: names with a leading underscore first."""
    threading = sys.modules.get("threading")
    try:
        if threading is not None:
            threading._shutdown()
    except BaseException:
        pass
    atexit = sys.modules.get("atexit") or __import__("atexit")
    atexit._run_exitfuncs()
    _flush()
    namespace = main.__dict__
    for first in (True, False):
        for name in list(namespace):
            if name != "__builtins__" and name.startswith("_") == first:
                namespace[name] = None
    gc = sys.modules.get("gc") or __import__("gc")
    gc.collect()  # the template's objects are frozen: only the program's are looked at
    _flush()


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:
            pass
