"""The keeper's parts, with small fakes and real processes it may signal
(test_orphans.py kills pytest itself and watches what the keeper does)."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_signals._remote import keeper as remote

REMOTE = Path(remote.__file__).parent
linux_only = pytest.mark.skipif(
    not hasattr(os, "pidfd_open") or not remote.proc_is_ours(), reason="sessions are swept with pidfds and /proc"
)


# -- stdlib only, and nothing happens on import -------------------------------------


# (what _remote/ imports is checked in test_remote_imports.py)


def test_importing_the_keeper_module_changes_nothing() -> None:
    probe = """
import signal, sys, threading
before = {s: signal.getsignal(s) for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP)}
modules, threads = set(sys.modules), threading.active_count()
import pytest_signals._remote.keeper
after = {s: signal.getsignal(s) for s in before}
loaded = set(sys.modules) - modules - {"pytest_signals", "pytest_signals._remote", "pytest_signals._remote.keeper"}
print(before == after, threading.active_count() == threads, sorted(loaded))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    dispositions, threads, _ = done.stdout.split(" ", 2)
    assert (dispositions, threads) == ("True", "True"), done.stdout


# -- the wire format -----------------------------------------------------------------


def test_a_comm_with_spaces_and_parentheses_ends_at_the_last_parenthesis() -> None:
    line = b"4242 (x) S 1 2 (y) R 17 4242 4242 0 -1 4194560 0 0\n"
    assert remote.stat_fields(line)[:4] == [b"R", b"17", b"4242", b"4242"]


def test_events_round_trip_through_the_registry() -> None:
    registry = remote.Registry()
    registry.handle(remote.watch_event(1, 4242, remote.BY_GROUP).rstrip(b"\n"))
    registry.handle(remote.watch_event(2, 4343, remote.BY_GROUP).rstrip(b"\n"))
    assert registry.children == {1: (4242, None), 2: (4343, None)}
    registry.handle(remote.release_event(1).rstrip(b"\n"))
    registry.handle(remote.release_event(1).rstrip(b"\n"))  # twice: nothing
    assert registry.children == {2: (4343, None)}


@pytest.mark.parametrize("line", [b"kill 1 2 group", b"watch 1 2 pgid", b"watch 1 2", b"release", b"+4242", b""])
def test_an_unknown_event_is_an_error(line: bytes) -> None:
    with pytest.raises(ValueError, match="unknown keeper event"):
        remote.Registry().handle(line)


def test_a_pidfd_event_without_its_pidfd_is_an_error() -> None:
    with pytest.raises(ValueError, match="without its pidfd"):
        remote.Registry().handle(remote.watch_event(1, 4242, remote.BY_PIDFD))


def test_a_watch_kept_by_something_else_is_refused() -> None:
    with pytest.raises(ValueError, match="'pidfd' or 'group'"):
        remote.watch_event(1, 4242, "pid")


# -- sweeping a session, with real processes -------------------------------------------

# A session leader with a member in its group and a worker in a group of its
# own whose command name holds spaces and parentheses; it prints their pids.
FAMILY = """
import os, subprocess, sys
member = subprocess.Popen(["sleep", "600"])
worker = subprocess.Popen([sys.argv[1], "600"], preexec_fn=os.setpgrp)
print(member.pid, worker.pid, flush=True)
if sys.argv[2] == "exit":
    os._exit(0)
sys.stdin.read()
"""


@pytest.fixture
def pidfds() -> Iterator[dict[int, int]]:
    """pid -> pidfd of each process the test starts: SIGKILLed (through the
    pidfd, never a pid that may be reused by then) and closed afterwards."""
    fds: dict[int, int] = {}
    yield fds
    for fd in fds.values():
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(fd, signal.SIGKILL)
        os.close(fd)


def _family(tmp_path: Path, then: str, pidfds: dict[int, int]) -> tuple[subprocess.Popen[str], int, int]:
    """Start FAMILY; returns the leader, its member and its worker. All three
    are in *pidfds*, opened while each pid is surely still theirs."""
    odd = tmp_path / "x) y (z"
    odd.symlink_to("/bin/sleep")
    leader = subprocess.Popen(
        [sys.executable, "-c", FAMILY, str(odd), then],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    pidfds[leader.pid] = os.pidfd_open(leader.pid)  # not reaped before leader.wait()
    assert leader.stdout is not None
    if not select.select([leader.stdout], [], [], 30)[0]:
        raise AssertionError("the family did not say its pids within 30s")
    member, worker = (int(p) for p in leader.stdout.readline().split())
    pidfds.update({pid: os.pidfd_open(pid) for pid in (member, worker)})  # sleeping for 600s
    return leader, member, worker


def _close(leader: subprocess.Popen[str]) -> None:
    leader.kill()
    leader.wait()
    for stream in (leader.stdin, leader.stdout):
        if stream is not None:
            stream.close()


def _exited(pidfd: int, timeout: float) -> bool:
    return bool(select.select([pidfd], [], [], timeout)[0])


@linux_only
def test_kill_session_reaches_every_member_and_names_them(tmp_path: Path, pidfds: dict[int, int]) -> None:
    leader, member, worker = _family(tmp_path, "stay", pidfds)
    sid = leader.pid
    bystander = subprocess.Popen(["sleep", "600"], start_new_session=True)
    pidfds[bystander.pid] = os.pidfd_open(bystander.pid)
    try:
        assert sorted(remote.session_members(sid)) == sorted([sid, member, worker])
        killed = remote.kill_session(sid, pidfds[sid])

        assert sorted(pid for pid, _ in killed) == sorted([sid, member, worker])
        assert killed[-1][0] == sid, "the leader last"
        commands = dict(killed)
        assert commands[worker] == f"{tmp_path / 'x) y (z'} 600"
        assert commands[member] == "sleep 600"
        for pid in (sid, member, worker):
            assert _exited(pidfds[pid], 10), f"pid {pid} still runs 10s after kill_session"
        assert not _exited(pidfds[bystander.pid], 0), "a process of another session was signalled"
    finally:
        _close(leader)
        bystander.kill()
        bystander.wait()


@linux_only
def test_kill_session_signals_nobody_once_the_leader_is_reaped(tmp_path: Path, pidfds: dict[int, int]) -> None:
    leader, member, worker = _family(tmp_path, "exit", pidfds)
    sid = leader.pid
    try:
        leader.wait(timeout=30)  # reaped: nothing vouches for session `sid` any more
        assert sorted(remote.session_members(sid)) == sorted([member, worker])

        assert remote.kill_session(sid, pidfds[sid]) == []
        assert not _exited(pidfds[member], 0)
        assert not _exited(pidfds[worker], 0)
    finally:
        _close(leader)


# -- the keeper process ----------------------------------------------------------------

KEEPER_STATE = """
import os
from pytest_signals._children.keeper import KEEPER

def status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.split(":\\t", 1) for line in f.read().splitlines())

def test_the_keeper(spawn):
    spawn(["true"]).wait()
    keeper = status(KEEPER.pid)
    assert int(keeper["PPid"]) != os.getpid(), "not pytest's child"
    assert os.getsid(KEEPER.pid) not in (os.getsid(0), KEEPER.pid), "in a session of its own, not leading it"
    assert [p for p in os.listdir("/proc") if p.isdigit() and os.getsid(int(p)) == os.getsid(KEEPER.pid)] == [
        str(KEEPER.pid)
    ], "alone in it"
    assert keeper["Threads"] == "1"
    ignored = int(keeper["SigIgn"], 16)
    for sig in (2, 1):  # SIGINT, SIGHUP
        assert ignored & (1 << (sig - 1)), f"signal {sig} not ignored"
"""


@linux_only
def test_the_keeper_is_alone_in_a_session_it_does_not_lead_single_threaded_and_deaf_to_sigint_and_sighup(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_keeper_state=KEEPER_STATE)
    pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=60).assert_outcomes(passed=1)
