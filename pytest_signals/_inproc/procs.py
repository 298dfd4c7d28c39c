"""Which processes a signal from the test process would reach.

Promise 3: the plugin only signals processes it can prove are the test's own.
A pid can also be a thread of this process (``kill`` then hits the whole
process), pytest's own ancestors (the xdist controller, the shell, the CI
runner), or pid 1. And code under test that signals its process group (pid 0,
``-pgrp``, ``killpg(0)``) or every process (pid -1) would reach the rest of the
session. On Linux ``/proc`` tells all of this; elsewhere only the parent and
the threads Python knows are checked.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from dataclasses import dataclass

_LINUX = sys.platform.startswith("linux")


def thread_ids() -> set[int]:
    """Kernel ids of this process's threads (native ids)."""
    if _LINUX:
        with contextlib.suppress(OSError):
            return {int(t) for t in os.listdir("/proc/self/task")}
    return {t.native_id for t in threading.enumerate() if t.native_id is not None}


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    pgrp: int
    command: str


def _stat(pid: int) -> Proc | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    # pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
    end = data.rfind(b")")
    fields = data[end + 2 :].split()
    command = _command(pid) or data[data.find(b"(") + 1 : end].decode(errors="replace")
    return Proc(pid, int(fields[1]), int(fields[2]), command)


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            raw = f.read()
    except OSError:
        return ""
    return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)[:200]


def info(pid: int) -> Proc | None:
    if _LINUX:
        return _stat(pid)
    if pid == os.getppid():
        with contextlib.suppress(OSError):
            return Proc(pid, -1, os.getpgid(pid), "")
    return None


def exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def descends_from_me(pid: int) -> bool:
    """Whether *pid* is a descendant of this process: on Linux through the
    parent chain in /proc, elsewhere only a direct child (``waitid`` with
    ``WNOWAIT`` asks without reaping)."""
    me = os.getpid()
    if _LINUX:
        seen = set()
        while pid > 1 and pid not in seen:
            seen.add(pid)
            proc = _stat(pid)
            if proc is None:
                return False
            if proc.ppid == me:
                return True
            pid = proc.ppid
        return False
    try:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    return True


def ancestors() -> list[int]:
    """pytest's parent, its parent... up to (not including) pid 1 or 0."""
    chain: list[int] = []
    pid = os.getppid()
    while pid > 1 and pid not in chain:
        chain.append(pid)
        if not _LINUX:
            break
        proc = _stat(pid)
        if proc is None:
            break
        pid = proc.ppid
    return chain


def table() -> list[Proc]:
    """Every process this one can see (Linux only; empty elsewhere)."""
    if not _LINUX:
        return []
    procs = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            proc = _stat(int(name))
            if proc is not None:
                procs.append(proc)
    return procs


def descendants(root: int, procs: list[Proc]) -> set[int]:
    children: dict[int, list[int]] = {}
    for proc in procs:
        children.setdefault(proc.ppid, []).append(proc.pid)
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


@dataclass(frozen=True)
class Reach:
    """Who a group-wide signal would reach, split into the test's own and the rest."""

    own: tuple[int, ...]  # descendants of the test process in the target group
    outsiders: tuple[Proc, ...]  # everyone else but the test process itself
    everyone: bool = False  # pid -1: every process this user may signal

    def describe(self) -> str:
        if self.everyone:
            return "every process this user may signal"
        shown = ", ".join(f"pid {p.pid}" + (f" ({p.command})" if p.command else "") for p in self.outsiders[:4])
        more = f" and {len(self.outsiders) - 4} more" if len(self.outsiders) > 4 else ""
        return f"{len(self.outsiders)} process(es) outside this test: {shown}{more}"


def group_reach(pgrp: int | None) -> Reach:
    """Who a signal to process group *pgrp* (None: every process) would reach."""
    me = os.getpid()
    procs = table()
    own = descendants(me, procs) if procs else set()
    if pgrp is None:
        return Reach(tuple(sorted(own)), (), everyone=True)
    if not procs:  # not Linux: the parent is the one we can check
        parent = info(os.getppid())
        outsiders = (parent,) if parent is not None and parent.pgrp == pgrp else ()
        return Reach((), outsiders)
    members = [p for p in procs if p.pgrp == pgrp and p.pid != me]
    return Reach(
        tuple(sorted(p.pid for p in members if p.pid in own)),
        tuple(p for p in members if p.pid not in own),
    )
