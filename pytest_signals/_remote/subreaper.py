"""The fork server's template as a child subreaper (Linux): where an orphan
of a spawned tree goes, so that nothing escapes, not even a daemon.

Standard library only: the template imports it (``_remote/template.py``), and
the test process reads process trees with :func:`tree` and :func:`describe`.

Why a subreaper, and why the template. A descendant that calls ``setsid``
(a daemon's double fork) leaves the child's session and group, and once its
parent exits it is re-parented to init: from then on nothing on the machine
says it came from the test, and a pid alone never proves it (numbers are
recycled). ``prctl(PR_SET_CHILD_SUBREAPER)`` makes a process the one its
orphaned descendants are re-parented to instead of init. It must be an
ancestor of every child, and not pytest: pytest as a subreaper would get the
orphans of the code under test in the test process as its zombies. The
template is the parent of every forked child already, it is not pytest's
child, and it outlives pytest long enough to clean up: it reads end of file
when pytest dies, however it dies.

The alternatives rejected:

* the instrumentation's fork reports: they see only instrumented Python
  processes (``sh -c 'setsid daemon &'`` is invisible) and a reported pid
  proves nothing once its process may have ended;
* a cgroup: needs a writable cgroup v2 delegation, which CI runners and
  containers seldom give without root or systemd;
* a per-spawn shim as the program's parent: it would change the program's
  ``os.getppid()`` and need the template's status relay anyway.

What the code under test sees. A forked child's parent is the template, as
before. An orphan of its tree sees the template's pid from ``os.getppid()``
instead of 1 (or of whatever subreaper is above pytest: a systemd user
manager, tini, a container runtime's shim); a program cannot rely on 1 there
either. The attribute is not inherited across fork, so no process of the
tree becomes a subreaper itself, and nothing else changes.

Why it can never signal an unrelated process. A process whose parent is the
template is the template's child; only the template can reap it, so while it
is listed as one of the template's children its pid cannot be recycled. The
template opens a pidfd of it, then reads its parent again: a pid that ended
and was reaped between the listing and the opening (by the template: it is
single-threaded, so not meanwhile) is not listed. It then signals through the
pidfd only. It never signals a forked child that pytest holds (pytest stops
those itself) and never a process that is not its child: a descendant
further down is reached only once its own parent has died and it has been
re-parented to the template, which is why the sweep goes in rounds.
"""

import os
import select
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
_ROUNDS = 64  # a tree as deep as this is killed in one sweep; deeper, in the next
_ROUND_BOUND = 5.0  # seconds for the killed processes of one round to end (SIGKILL: at once)


def become() -> bool:
    """Make this process a child subreaper; False where that is not possible
    (not Linux, or a sandbox that refuses ``prctl``)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent, state) of *pid* from ``/proc``, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            stat = file.read()
        fields = stat[stat.rindex(b")") + 1 :].split()
        return int(fields[1]), fields[0].decode()
    except (OSError, ValueError, IndexError):
        return None


def command_line(pid: int) -> str:
    """The command line of *pid*, its arguments joined by spaces ("" when gone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            return file.read().rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def parents() -> dict[int, tuple[int, str]]:
    """Every process ``/proc`` shows, pid to (parent, state). A snapshot."""
    found = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return {}
    for name in names:
        if name.isdigit():
            stat = _stat(int(name))
            if stat is not None:
                found[int(name)] = stat
    return found


def tree(
    roots: "list[int]", table: "dict[int, tuple[int, str]] | None" = None, zombies: bool = False
) -> "list[tuple[int, int]]":
    """(pid, parent) of every live process below *roots* (the roots left
    out), parents before their children; *zombies*: the ended ones not reaped
    yet too (a zombie has no children: they were re-parented as it ended).
    A snapshot to read, never to signal."""
    table = parents() if table is None else table
    below: dict[int, list[int]] = {}
    for pid, (parent, state) in table.items():
        if zombies or state != "Z":
            below.setdefault(parent, []).append(pid)
    found: list[tuple[int, int]] = []
    todo = list(roots)
    seen = set(todo)
    while todo:
        parent = todo.pop(0)
        for pid in sorted(below.get(parent, ())):
            if pid not in seen:
                seen.add(pid)
                found.append((pid, parent))
                todo.append(pid)
    return found


def children(me: int) -> "dict[int, str]":
    """The children of *me*, pid to state: from its threads' ``children``
    files where the kernel has them (``CONFIG_PROC_CHILDREN``), else from
    every process's parent. A snapshot, and a fast one that may leave some
    out: a child that exits while the file is read can make the kernel skip
    another (proc_tid_children(5)). Only for :func:`reap_ended`, which that
    exit's SIGCHLD runs again."""
    try:
        tasks = os.listdir(f"/proc/{me}/task")
        pids: set[int] = set()
        for task in tasks:
            with open(f"/proc/{me}/task/{task}/children", "rb") as file:
                pids.update(int(p) for p in file.read().split())
    except (OSError, ValueError):
        return {pid: state for pid, (parent, state) in parents().items() if parent == me}
    found = {}
    for pid in pids:
        stat = _stat(pid)
        if stat is not None and stat[0] == me:
            found[pid] = stat[1]
    return found


def adopted(me: int, held: "set[int]", table: "dict[int, tuple[int, str]] | None" = None) -> "list[int]":
    """The children of *me* (the template) that it did not fork for pytest
    (*held*): the orphans re-parented to it, live or ended. From every
    process's parent (*table*, read now if None), not the ``children``
    files: those can leave a live orphan out while another child exits, and
    a sweep would then stop before it, or a listing miss it."""
    table = parents() if table is None else table
    return sorted(pid for pid, (parent, _) in table.items() if parent == me and pid not in held)


def reap_ended(me: int, held: "set[int]") -> "list[int]":
    """Reap the orphans that ended: nobody else can, and a zombie is kept
    for ever otherwise. The template's forked children (*held*) are left.
    Returns the pids reaped (each number is free from then on)."""
    reaped = []
    for pid, state in children(me).items():
        if pid not in held and state == "Z":
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    reaped.append(pid)
            except ChildProcessError:
                pass
    return sorted(reaped)


def kill_adopted(me: int, held: "set[int]", ended: "list[int] | None" = None) -> "list[tuple[int, str]]":
    """SIGKILL every orphan re-parented to this process and, round by round,
    what is re-parented to it as those die; (pid, command line) of each.
    *held* (the forked children pytest still holds) are never signalled.
    *ended* gets the pids of the orphans that had ended on their own, reaped."""
    killed: list[tuple[int, str]] = []
    for _ in range(_ROUNDS):
        pidfds = []
        for pid in adopted(me, held):
            try:
                pidfd = os.pidfd_open(pid)
            except OSError:
                continue
            stat = _stat(pid)
            if stat is None or stat[0] != me:
                os.close(pidfd)  # not our child after all: never signalled
                continue
            if stat[1] == "Z":
                os.close(pidfd)
                continue
            command = command_line(pid)
            try:
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                killed.append((pid, command))
                pidfds.append((pid, pidfd))
            except OSError:
                os.close(pidfd)
        if not pidfds:
            reaped = reap_ended(me, held)
            (ended if ended is not None else []).extend(reaped)
            if not reaped:
                return killed
            # One of them may have died while this round read /proc (killed by the
            # keeper): its children came here after the listing. Look again.
            continue
        # Their ends re-parent their children to this process before the
        # pidfds turn readable: the next round sees those.
        waiting = [fd for _, fd in pidfds]
        deadline = time.monotonic() + _ROUND_BOUND
        while waiting:
            left = deadline - time.monotonic()
            ready = select.select(waiting, [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                break  # stuck in the kernel (D state): the next round or the next sweep
            waiting = [fd for fd in waiting if fd not in ready]
        for pid, pidfd in pidfds:
            try:  # noqa: SIM105 - contextlib would be one more module to hide
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            os.close(pidfd)
    return killed
