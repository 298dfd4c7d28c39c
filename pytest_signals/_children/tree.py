"""The live processes of a spawned child's tree, for people and assertions:
:class:`Descendant` records, read from ``/proc`` on Linux and from ``ps``
elsewhere. A listing is a snapshot to read: nothing here signals anything
(teardown's sweeps prove each process's identity through a pidfd first:
``_remote/keeper.py``, ``_remote/subreaper.py``).

On Linux the tree is the child's descendants by parent in ``/proc``, plus
the orphans of forked trees that the fork server's template, a subreaper,
adopted when their parents ended (the template cannot tell which of the
test's forked children each came from, so each forked child lists them).
Elsewhere (macOS) there is no subreaper: ``ps`` shows the descendants whose
parents still run, and an orphan re-parented to launchd is not listed. On
Linux where ``/proc`` is another pid namespace's, nothing is listed (``ps``
would read the same ``/proc``).
"""

from __future__ import annotations

import dataclasses
import os
import sys

from .._remote import keeper as remote
from .._remote import subreaper


@dataclasses.dataclass(frozen=True)
class Descendant:
    """A live process of a spawned child's tree, as :meth:`SpawnedProcess.descendants`
    lists it.

    Attributes:
        pid: its pid.
        parent: its parent's pid: a process of the tree, or the fork server's
            template for an orphan it adopted (see :attr:`orphan`).
        command: its command line, arguments joined by spaces ("" when unreadable).
        orphan: True when its parent ended and it was re-parented to the fork
            server's template (a daemon's double fork), or is below such a one.
    """

    pid: int
    parent: int
    command: str
    orphan: bool = False

    __module__ = "pytest_signals"  # as users import it

    def __str__(self) -> str:
        return f"pid {self.pid} (parent {self.parent}): {self.command or '?'}"


def descendants(root: int, adopters: list[int], adopter: int, ended: bool = False) -> list[Descendant] | None:
    """The live tree below *root*, then below each of *adopters* (orphans
    adopted by the process *adopter*); None where it cannot be read.
    *ended*: the zombies too (ended, not reaped yet: still the test's)."""
    if remote.proc_is_ours():
        table = subreaper.parents()
        below = subreaper.tree([root], table, zombies=ended)
        found = [Descendant(pid, parent, subreaper.command_line(pid)) for pid, parent in below]
        seen = {d.pid for d in found} | {root}
        live = [pid for pid in adopters if pid in table and (ended or table[pid][1] != "Z") and pid not in seen]
        orphans = [(pid, adopter) for pid in live] + subreaper.tree(live, table, zombies=ended)
        found += [Descendant(pid, parent, subreaper.command_line(pid), orphan=True) for pid, parent in orphans]
        return found
    if sys.platform.startswith("linux"):
        return None  # ps would read the same /proc, another pid namespace's
    return _from_ps(root)


def _from_ps(root: int) -> list[Descendant] | None:
    """``ps`` where there is no ``/proc`` of this pid namespace (macOS)."""
    import subprocess

    try:
        listing = subprocess.run(
            ["ps", "-A", "-o", "pid=", "-o", "ppid=", "-o", "stat=", "-o", "command="],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if listing.returncode != 0:
        return None
    return parse_ps(listing.stdout, root)


def parse_ps(text: str, root: int) -> list[Descendant]:
    """The tree below *root* in ``ps -o pid=,ppid=,stat=,command=`` output."""
    table: dict[int, tuple[int, str]] = {}
    commands: dict[int, str] = {}
    for line in text.splitlines():
        fields = line.split(None, 3)
        if len(fields) < 3 or not fields[0].isdigit() or not fields[1].isdigit():
            continue
        pid = int(fields[0])
        table[pid] = (int(fields[1]), fields[2][:1])
        commands[pid] = fields[3].strip() if len(fields) > 3 else ""
    return [Descendant(pid, parent, commands.get(pid, "")) for pid, parent in subreaper.tree([root], table)]


def command_line(pid: int) -> str:
    """The command line of *pid* ("" when gone or unreadable)."""
    return subreaper.command_line(pid)


def parent_chain(pid: int, limit: int = 64) -> list[int]:
    """*pid*'s parent, its parent's parent... as ``/proc`` shows them now, up
    to pid 1 or a process gone (Linux; empty elsewhere). For people."""
    chain: list[int] = []
    if not remote.proc_is_ours():
        return chain
    while len(chain) < limit:
        status = remote.proc_stat(pid)
        if status is None or status[0] in chain or status[0] <= 0:
            break
        chain.append(status[0])
        if status[0] == 1:
            break
        pid = status[0]
    return chain


def in_forked_tree(pid: int) -> bool:
    """Whether *pid* descends from the fork server's template of this pytest
    process (and is not the template): a process of a forked child's tree, or
    an orphan the template adopted. Read from ``/proc`` (Linux)."""
    fork_server = sys.modules.get("pytest_signals._children.fork_server")
    if fork_server is None or not fork_server.FORK_SERVER.alive:
        return False
    template = fork_server.FORK_SERVER.pid
    return pid != template and template in parent_chain(pid)


def why_not_ours(pid: int) -> str:
    """Why *pid* cannot be proven a process of the test, for an error message."""
    chain = parent_chain(pid)
    if not chain:
        return f"pid {pid}'s parents cannot be read here"
    shown = " -> ".join(str(p) for p in [pid, *chain])
    fork_server = sys.modules.get("pytest_signals._children.fork_server")
    template = fork_server.FORK_SERVER.pid if fork_server is not None else -1
    if template in chain or os.getpid() in chain:  # wait_descendant's tree is one child's, not all of them
        through = "the fork server's template" if template in chain else "the test process"
        return f"its parent chain ({shown}) reaches {through}, but not through this child's tree"
    if chain[0] == 1:
        return (
            f"its parent is pid 1 ({shown}): it was re-parented to init when its parent ended, and nothing "
            "proves where it came from (only the orphans of children the fork server's template started "
            "are adopted by it; a child pytest started itself, where the template cannot, has no subreaper)"
        )
    return f"no process of its parent chain ({shown}) is the test process or the fork server's template"
