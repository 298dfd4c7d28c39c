"""The keeper: it kills what pytest's children left running when pytest dies
without a teardown (SIGKILL, the OOM killer). It runs as ``python -I -S
keeper.py``; the test side is ``_children/keeper.py``. Standard library
only; importing it from the test process changes nothing, and the test
process uses :func:`kill_session` and :func:`session_members` from here too.

Starting. pytest spawns this script in a session of its own with a Unix
socket on fd 0 and a pipe on fd 3. The script forks at once and the first
process exits, so pytest reaps it straight away and the keeper, the fork, is
re-parented to init (or a subreaper): a test that reaps every child of
pytest (``os.wait()`` until ``ChildProcessError``) never waits for it. The
keeper writes its pid on fd 3 and closes it; pytest reads that pipe up to
end of file, which comes only once the first process has closed its copy by
exiting, so the wait for it is over in a moment. The keeper is not the leader
of its session, so it can never acquire a controlling terminal; it ignores
SIGINT and SIGHUP; it is single-threaded.

The wire format is one event per line on the socket::

    watch <ticket> <sid> pidfd     with a pidfd of the child (SCM_RIGHTS)
    watch <ticket> <pgid> group    where pidfds are unavailable
    release <ticket>               the child was reaped

Each child leads a session of its own, so its pid is its process group and
its session id; or, for a plain child (``template.py``'s ``_anchored``), it
is a member of a session whose leader, its anchor, is a zombie the template
holds as long as it holds the child: the anchor is then listed too, with its
own pidfd, and vouches for that session as a leader does below. When the
socket reaches end of file (pytest is gone, however it died), the keeper
kills every child still listed and exits.

Why it cannot reach an unrelated process. A pid can be handed out again only
once no process uses that number as its pid, process group or session id
(Linux frees the number when the last of them lets go of it; the BSDs, macOS
included, skip numbers in use as a group or session). A process joins a
session only by being forked from a member, and ``setsid`` creates a session
whose id is the caller's own pid. So while the leader of session *sid* is
alive or a zombie, nobody can create another session *sid*, and every process
whose session id is *sid* descends from the leader.

With a pidfd of the child (Linux 5.3 and later):

1. The test side opens the pidfd right after starting the child, before its
   parent can have reaped it, and keeps it only if the process it refers to
   is still that parent's child after the opening. A pidfd names one process
   and never follows its pid to another one.
2. ``kill_session`` checks, through the pidfd, that the leader is not yet
   reaped (``pidfd_send_signal(fd, 0)`` succeeds for a live or zombie
   process, fails once it is reaped). A reaped leader vouches for nothing:
   the keeper signals nobody for it.
3. It lists the processes whose session id is *sid* (``/proc/<pid>/stat``,
   read only where ``/proc`` is the keeper's own pid namespace's). The list
   is a snapshot: by the time it is used, a listed pid may have been reused.
4. For each, it opens a pidfd, then reads the session id again. If the
   process of that pidfd still exists when it is signalled, it held the pid
   all along, so the second reading was its own: a pid recycled between the
   listing and the opening shows another session and is skipped.
5. Just before signalling it, it checks the leader again (as in 2). The
   leader was unreaped at that moment, so at the second reading session
   *sid* was the child's, and the process is the child's descendant.
6. ``pidfd_send_signal(member, SIGKILL)``: it reaches that process or, when
   it is gone, nothing. Rounds repeat while they find new members (bounded),
   to catch what a member forked meanwhile; the leader is killed last,
   through its own pidfd, and one more round takes what it forked just
   before. (Killing it first would let init reap it and end the vouching.)

A process that called ``setsid`` left the session and is out of the
keeper's reach, as are the descendants of a child that was reaped before
pytest died: no process vouches for its session any more. For a forked
child, the fork server's template, a subreaper, has adopted such orphans
and stops them itself when pytest dies (``subreaper.py``).

Without pidfds (macOS, old Linux), the keeper can only ``killpg`` a number.
That number is the child's while the child is not reaped. So the test side
sends ``release`` from the thread that reaps the child, right when the
status comes back (``Keeper.reaping``), and the keeper signals only groups
still listed. One window is left, between the reaping and the ``release``:
the number would have to be handed out again within those microseconds,
which takes a full turn of the pid space.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket

WATCH = "watch"
RELEASE = "release"
BY_PIDFD = "pidfd"  # the identifier is the child's session id; a pidfd of it comes along
BY_GROUP = "group"  # the identifier is the child's process group
READY_FD = 3
MAX_FDS = 64  # per read: more than one never arrives, one send carries at most one
_ROUNDS = 8


# -- the wire format -------------------------------------------------------------


def watch_event(ticket: int, ident: int, how: str) -> bytes:
    """The line that lists a child; *how* is BY_PIDFD (send it with the pidfd) or BY_GROUP."""
    if how not in (BY_PIDFD, BY_GROUP):
        raise ValueError(f"a child is kept by {BY_PIDFD!r} or {BY_GROUP!r}, not {how!r}")
    return f"{WATCH} {ticket} {ident} {how}\n".encode()


def release_event(ticket: int) -> bytes:
    return f"{RELEASE} {ticket}\n".encode()


class Registry:
    """The children the keeper holds: per ticket, the child's id and a pidfd
    of it (None when kept by its process group)."""

    def __init__(self) -> None:
        self.children: dict[int, tuple[int, int | None]] = {}
        self._fds: list[int] = []  # received, not yet claimed by their event

    def receive(self, fds: list[int]) -> None:
        """File descriptors arrive with (or before) the bytes of their event."""
        self._fds.extend(fds)

    def handle(self, line: bytes) -> None:
        """Apply one event.

        Raises:
            ValueError: an unknown or malformed event (a bug on the test side).
        """
        event, *fields = line.decode("ascii").split() or [""]
        if event == WATCH and len(fields) == 3 and fields[2] in (BY_PIDFD, BY_GROUP):
            ticket, ident = int(fields[0]), int(fields[1])
            pidfd = None
            if fields[2] == BY_PIDFD:
                if not self._fds:
                    raise ValueError(f"keeper event {line!r} came without its pidfd")
                pidfd = self._fds.pop(0)
                if pidfd_pid(pidfd) not in (ident, None):  # gone already, or not that child
                    os.close(pidfd)
                    return
            self.children[ticket] = (ident, pidfd)
        elif event == RELEASE and len(fields) == 1:
            _, pidfd = self.children.pop(int(fields[0]), (0, None))
            if pidfd is not None:
                os.close(pidfd)
        else:
            raise ValueError(f"unknown keeper event {line!r}")

    def kill_all(self) -> None:
        """pytest is gone: kill every child still listed, and its session."""
        for ident, pidfd in self.children.values():
            if pidfd is not None:
                kill_session(ident, pidfd)
                continue
            with contextlib.suppress(OSError):
                os.killpg(ident, signal.SIGKILL)


# -- processes and sessions (Linux /proc) ----------------------------------------------


def proc_is_ours() -> bool:
    """Whether ``/proc`` shows this process's pid namespace: in a pid
    namespace without its own /proc mount, /proc/<n> is another process."""
    try:
        return os.readlink("/proc/self") == str(os.getpid())
    except OSError:
        return False


def stat_fields(stat: bytes) -> list[bytes]:
    """The fields of a ``/proc/<pid>/stat`` line after the command name
    (state, ppid, pgrp, session, ...). The name is in parentheses and may hold
    spaces and parentheses itself: it ends at the last ``)``."""
    return stat[stat.rindex(b")") + 1 :].split()


def proc_stat(pid: int) -> tuple[int, int, int] | None:
    """Parent, process group and session of *pid* as ``/proc`` shows them
    now, or None (gone, or no ``/proc``). A zombie shows group and session 0."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            fields = stat_fields(file.read())
        return int(fields[1]), int(fields[2]), int(fields[3])
    except (OSError, ValueError, IndexError):
        return None


def _session_of(pid: int) -> int | None:
    status = proc_stat(pid)
    return None if status is None else status[2]


def pidfd_pid(pidfd: int) -> int | None:
    """The pid of *pidfd*'s process (-1 once it is reaped); None where
    ``/proc`` cannot tell."""
    if not proc_is_ours():
        return None
    try:
        with open(f"/proc/self/fdinfo/{pidfd}", "rb") as file:
            for line in file:
                if line.startswith(b"Pid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def session_members(sid: int) -> list[int]:
    """The pids whose session id is *sid* right now, except the caller's and a
    zombie leader's (/proc shows a zombie in session 0). A snapshot, to read
    only: any of them may be reused by the time it is used; signal them with
    :func:`kill_session`. Empty where ``/proc`` is not this pid namespace's."""
    if not proc_is_ours():
        return []
    me = os.getpid()
    members = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != me and _session_of(int(name)) == sid:
            members.append(int(name))
    return members


def _alive(pidfd: int) -> bool:
    """Not reaped yet: running, stopped, or a zombie."""
    try:
        signal.pidfd_send_signal(pidfd, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def command_line(pid: int) -> str:
    """The command line of *pid*, its arguments joined by spaces ("" when gone)."""
    return _command_line(pid)


def _command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            return file.read().rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def kill_session(sid: int, leader: int) -> list[tuple[int, str]]:
    """SIGKILL the session *sid* whose leader is the process of the pidfd
    *leader*: every member, in whatever process group, then the leader.
    Returns the pid and command line of each process signalled.

    Signals nobody once the leader is reaped (nothing vouches for *sid* then)
    and nobody where pidfds or this namespace's ``/proc`` are unavailable
    (the leader alone is still killed without ``/proc``). The module
    docstring says why each step cannot reach an unrelated process.
    """
    if not hasattr(signal, "pidfd_send_signal") or not hasattr(os, "pidfd_open") or not _alive(leader):
        return []
    seen = {sid}  # the leader: last, through its own pidfd
    killed = _sweep(sid, leader, seen)
    command = _command_line(sid)  # before the kill: a zombie has none; the kill vouches for the reading
    try:
        signal.pidfd_send_signal(leader, signal.SIGKILL)
        killed.append((sid, command))
    except (ProcessLookupError, PermissionError):
        pass
    return killed + _sweep(sid, leader, seen)


def _sweep(sid: int, leader: int, seen: set[int]) -> list[tuple[int, str]]:
    killed: list[tuple[int, str]] = []
    for _ in range(_ROUNDS):
        fresh = [pid for pid in session_members(sid) if pid not in seen]
        if not fresh:
            break
        for pid in fresh:
            seen.add(pid)
            try:
                member = os.pidfd_open(pid)
            except OSError:
                continue  # gone already
            try:
                if _session_of(pid) != sid:
                    continue  # the pid was recycled after the listing, or it left
                command = _command_line(pid)
                if not _alive(leader):
                    return killed  # reaped meanwhile: from now on *sid* proves nothing
                signal.pidfd_send_signal(member, signal.SIGKILL)
                killed.append((pid, command))
            except (ProcessLookupError, PermissionError):
                pass
            finally:
                os.close(member)
    return killed


# -- the keeper process ---------------------------------------------------------


def serve(sock: socket.socket) -> None:
    """Hold what pytest lists until end of file, then kill it."""
    registry = Registry()
    pending = b""
    while True:
        try:
            data, fds, flags, _ = socket.recv_fds(sock, 1 << 16, MAX_FDS)
        except OSError:
            break  # as good as end of file: pytest's side is gone
        registry.receive(fds)
        if flags & getattr(socket, "MSG_CTRUNC", 0):
            raise ValueError("the keeper lost file descriptors in transit")
        if not data:
            break
        *lines, pending = (pending + data).split(b"\n")
        for line in lines:
            registry.handle(line)
    registry.kill_all()


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    if os.fork():
        os._exit(0)  # the first process: pytest reaps it at once
    os.chdir("/")
    os.write(READY_FD, f"{os.getpid()}\n".encode())
    os.close(READY_FD)
    serve(socket.socket(fileno=0))


if __name__ == "__main__":
    main()
