"""How the template launches a child: the process model it meets (see
``docs/launch.rst``). Runs in the template and in its forks; standard
library only.

* A **plain child** (:func:`anchored`), as ``subprocess.Popen`` starts one:
  a member of a session and a process group it does not lead, so that
  ``setpgrp()`` and ``setsid()`` succeed in it, util-linux ``setsid`` does
  not fork, and a terminal it opens never becomes its controlling terminal.
* A **terminal job** (:func:`terminal_job`), as a shell runs a command in a
  terminal: a small session leader owns the pseudo-terminal and runs the
  program as its foreground job, in a process group of its own. Then Ctrl-Z
  stops it (its group is not orphaned: the leader, its parent, is in the same
  session), SIGCONT resumes it, a hang-up reaches it as it does from a
  shell, and a background helper it leaves behind survives its exit.
* Otherwise the child itself calls ``setsid`` (a service; the template's
  ``_child``).

Both launchers need the template to be a child subreaper with pidfds
(Linux 5.3+): what a launcher leaves comes back to the template.

Alternatives rejected, for the plain child:

* Children in the template's own session and group: nothing would tell one
  child's tree from another's at teardown, or after a SIGKILLed pytest.
* An anchor that ``posix_spawn``s a command (cheaper than its fork): the
  program would start with the anchor as its parent, which exits under it
  (a ``PR_SET_PDEATHSIG`` it set would fire); a fork waits for the word.
* ``clone(CLONE_PARENT)`` through ``ctypes``, so that the child's parent is
  the template from birth: it skips the interpreter's and libc's fork
  handlers.
* An anchor that stays alive and relays the child's statuses: one more live
  process per child, in the child's group, that every group signal reaches.

And for the terminal job: a shell (``sh -c``) as the leader would cost an
exec and could not hold the job's zombie or report its stops; a fork of the
template is ready at once. The leader stays alive (unlike the anchor): a
session whose leader exits hangs its terminal up.
"""

import os
import select
import signal
from typing import Any

ANCHOR_BOUND = 30.0  # a launcher only forks and sets up: what a loaded machine could take
anchors: "dict[int, int]" = {}  # child pid -> the zombie anchor that leads its session and group
jobs: "dict[int, Job]" = {}  # child pid -> its terminal's session leader, while it holds the child


class Job:
    """A terminal job's leader, seen from the template."""

    def __init__(self, leader: int, status: int, release: int) -> None:
        self.leader = leader
        self.status = status  # the leader writes each status of the child here, a line each
        self.release = release  # closing it tells the leader to reap the child and exit
        self.buffer = b""
        self.ended = False  # the child's end was reported


# -- the plain child ----------------------------------------------------------------


def anchored(request: "dict[str, Any]") -> int:
    """Start a plain child. The session is its own all the same, so that what
    it starts can be told from what other children start: a fork of this
    process, the *anchor*, calls ``setsid`` and forks the child, then exits
    at once. The child, orphaned, comes back to this process (a subreaper);
    the anchor stays a zombie, unreaped, for as long as the child is held, so
    that its number, the session's and group's id, can name nothing else
    (``keeper.py``'s proof, with the anchor as the leader).

    Returns the child's pid in this process (once the anchor has ended, and
    the child is this process's child), and 0 in the child (once its parent
    is this process, so that ``os.getppid()`` is, from the program's first
    instruction, what a forked child's is, and a ``PR_SET_PDEATHSIG`` it sets
    is about this process).

    Raises:
        OSError: the fork of the anchor or the child's failed; or the anchor
            did not end within the request's timeout.
    """
    bound = request.get("timeout") or ANCHOR_BOUND
    report_r, report_w = os.pipe()
    go_r, go_w = os.pipe()  # this process's word to the child: it is this process's child now, and known
    anchor = os.fork()
    if anchor == 0:
        child = False
        try:
            os.close(report_r)
            os.close(go_w)
            message = b""
            try:
                os.setsid()
                pid = os.fork()
                if pid == 0:
                    child = True
                    os.close(report_w)
                    if not _word(go_r):  # end of file: this process gave up on it
                        os._exit(0)
                    return 0
                message = b"P %d" % pid
            except OSError as exc:
                message = f"E {exc.errno or 0}".encode()
            except BaseException:
                message = b"E 0"
            os.write(report_w, message)
        finally:
            if not child:  # never back into the template's loop, whatever failed (EPIPE...)
                os._exit(0)
    os.close(report_w)
    os.close(go_r)
    try:
        try:
            kind, _, value = read_all(report_r, bound).decode().partition(" ")
        finally:
            os.close(report_r)
        ended = exited(anchor, bound)
        if kind != "P" or not ended:
            if kind == "P":  # the anchor is stuck (stopped?): its child is not this process's yet
                kill_quietly(int(value))
            kill_quietly(anchor)
            reap_now(anchor)
            if kind == "P":
                raise OSError(0, f"the anchor of the child's session did not end within {bound:g}s")
            number = int(value or 0)
            raise OSError(number, os.strerror(number) if number else "the anchor of the child's session failed")
        os.write(go_w, b"1")
    finally:
        os.close(go_w)  # without the word, a child the anchor forked exits at once, having run nothing
    anchors[int(value)] = anchor
    return int(value)


def _word(go: int) -> bool:
    """In the child: wait for this process's word that it may start."""
    try:
        word = os.read(go, 1)
    except BaseException:
        word = b""
    os.close(go)
    return word == b"1"


# -- the terminal job ---------------------------------------------------------------


def terminal_job(request: "dict[str, Any]", terminal: int) -> int:
    """Start a terminal job: a fork of this process, the *leader*, makes a
    session whose controlling terminal is *terminal* (the slave side of the
    child's pseudo-terminal), forks the child into a process group of its
    own and makes that group the terminal's foreground job, as a shell does;
    then it waits, reporting each status of the child (stops included) to
    this process, and holds the child's zombie until this process closes the
    job's release pipe (:func:`release_job`).

    Returns the child's pid here, and 0 in the child once its group is the
    terminal's foreground job.

    Raises:
        OSError: a fork failed, the terminal could not be taken, or the
            leader did not answer within the request's timeout.
    """
    bound = request.get("timeout") or ANCHOR_BOUND
    report_r, report_w = os.pipe()
    status_r, status_w = os.pipe()
    release_r, release_w = os.pipe()
    go_r, go_w = os.pipe()  # this process's word to the child, once it knows it
    leader = os.fork()
    if leader == 0:
        child = False
        pid = 0
        try:
            for fd in (report_r, status_r, release_w, go_w):
                os.close(fd)
            message = b""
            try:
                import fcntl  # remote-import-ok: stdlib, as the terminal child's own set-up imports it
                import termios  # remote-import-ok: stdlib, as above

                os.setsid()
                fcntl.ioctl(terminal, termios.TIOCSCTTY, 0)
                pid = os.fork()
                if pid == 0:
                    child = True
                    for fd in (report_w, status_w, release_r):
                        os.close(fd)
                    try:  # noqa: SIM105 - contextlib would be one more module to hide
                        os.setpgid(0, 0)
                    except OSError:  # the leader did it first
                        pass
                    if not _word(go_r):  # end of file: the template gave up on it
                        os._exit(0)
                    return 0
                os.close(go_r)
                try:  # noqa: SIM105 - contextlib would be one more module to hide
                    os.setpgid(pid, pid)  # both, as shells do: whichever runs first
                except OSError:
                    pass
                os.tcsetpgrp(terminal, pid)  # before the template's word: the child starts in the foreground
                message = b"P %d" % pid
            except BaseException as exc:
                number = exc.errno if isinstance(exc, OSError) and exc.errno else 0
                message = f"E {number}".encode()
                if pid:
                    kill_quietly(pid)
            os.write(report_w, message)
            os.close(report_w)
            if message.startswith(b"P"):
                _lead(pid, status_w, release_r)
        finally:
            if not child:  # never back into the template's loop, whatever failed
                os._exit(0)
    for fd in (report_w, status_w, release_r, go_r):
        os.close(fd)
    try:
        try:
            kind, _, value = read_all(report_r, bound).decode().partition(" ")
        finally:
            os.close(report_r)
        if kind != "P":
            os.close(status_r)
            os.close(release_w)
            kill_quietly(leader)
            reap_now(leader)
            number = int(value or 0)
            raise OSError(number, os.strerror(number) if number else "the terminal's session leader failed")
        jobs[int(value)] = Job(leader, status_r, release_w)
        try:
            os.write(go_w, b"1")
        except OSError:  # EPIPE: the child is gone (a hang-up of its terminal killed it before the word)
            release_job(int(value), ANCHOR_BOUND)
            raise
    finally:
        os.close(go_w)  # without the word, the child exits at once, having run nothing
    return int(value)


def _lead(pid: int, status: int, release: int) -> "None":
    """The session leader's life: report the job's statuses on *status*,
    pass a hang-up of the terminal on to the job (as a shell does), and,
    once *release* reaches end of file, reap the job and exit. Never returns."""
    try:
        low, high = sorted((status, release))
        # The slave, the channel and the template's own: nothing of the child's
        # (the channel's end of file says the child is gone).
        os.closerange(0, low)
        os.closerange(low + 1, high)
        os.closerange(high + 1, os.sysconf("SC_OPEN_MAX"))
        signal.set_wakeup_fd(-1)
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        for signum in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)  # as an interactive shell: the job's, not its own
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        signal.signal(signal.SIGHUP, lambda signum, frame: None)
        signal.set_wakeup_fd(wake_w)
        ended = _report(pid, status, False)  # it may have changed before the handler was there
        while True:
            readable = select.select([wake_r, release], [], [])[0]
            if wake_r in readable:
                woken = os.read(wake_r, 512)
                if signal.SIGHUP in woken:  # the terminal hung up (its master closed): as bash does
                    for signum in (signal.SIGHUP, signal.SIGCONT):
                        try:  # noqa: SIM105 - contextlib would be one more module to hide
                            os.killpg(pid, signum)
                        except OSError:
                            pass
                ended = _report(pid, status, ended)
            if release in readable:
                reap_now(pid)
                os._exit(0)
    except BaseException:
        os._exit(1)


def _report(pid: int, status: int, ended: bool) -> bool:
    """Write each new status of the job to *status*; whether it has ended."""
    while not ended:
        try:
            result = os.waitid(os.P_PID, pid, os.WSTOPPED | os.WNOHANG)  # takes the stop: the next moves on
        except ChildProcessError:
            result = None
        if result is not None and result.si_code in (os.CLD_STOPPED, os.CLD_TRAPPED):
            os.write(status, b"%d\n" % ((result.si_status << 8) | 0x7F))
            continue
        try:
            result = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)  # held: its numbers stay taken
        except ChildProcessError:
            return True
        if result is None:
            return False
        if result.si_code == os.CLD_EXITED:
            code = (result.si_status & 0xFF) << 8
        else:  # CLD_KILLED, CLD_DUMPED
            code = result.si_status | (0x80 if result.si_code == os.CLD_DUMPED else 0)
        os.write(status, b"%d\n" % code)
        return True
    return ended


def read_statuses(job: Job) -> "list[int] | None":
    """The statuses the job's leader has written since the last call (*job*'s
    status pipe is readable); None once the leader is gone (end of file)."""
    data = os.read(job.status, 4096)
    if not data:
        return None
    job.buffer += data
    *lines, rest = job.buffer.split(b"\n")
    job.buffer = rest
    return [int(line) for line in lines]


def release_job(pid: int, bound: float) -> None:
    """The job *pid* may be reaped: its leader reaps it and exits, and is
    reaped here."""
    job = jobs.pop(pid, None)
    if job is None:
        return
    os.close(job.release)
    try:
        if not exited(job.leader, bound):
            kill_quietly(job.leader)
    except OSError:
        pass
    reap_now(job.leader)
    os.close(job.status)
    try:  # noqa: SIM105 - a leader killed before it reaped the job left its zombie here
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


# -- small helpers -------------------------------------------------------------------


def read_all(fd: int, timeout: float) -> bytes:
    """What comes on *fd* until end of file, or until *timeout* passes without any."""
    data = b""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while True:
        if not poller.poll(timeout * 1000):
            return data
        chunk = os.read(fd, 512)
        if not chunk:
            return data
        data += chunk


def exited(pid: int, timeout: float) -> bool:
    """Wait, bounded by *timeout*, until *pid*, not reaped by anyone but this
    process, has exited (a zombie), through a pidfd: the kernel makes it
    readable only after it has re-parented the process's children. True when
    it did."""
    pidfd = os.pidfd_open(pid)
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        return bool(poller.poll(timeout * 1000))
    finally:
        os.close(pidfd)


def reap_now(pid: int) -> None:
    try:  # noqa: SIM105 - contextlib would be one more module to hide
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def kill_quietly(pid: int) -> None:
    try:  # noqa: SIM105 - contextlib would be one more module to hide
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def release_anchor(pid: int) -> None:
    """The child *pid* was reaped: its anchor's number may go too."""
    anchor = anchors.pop(pid, None)
    if anchor is not None:
        reap_now(anchor)


def launchers() -> "set[int]":
    """The anchors and terminal leaders this process holds: none of them an orphan."""
    return set(anchors.values()) | {job.leader for job in jobs.values()}
