"""No spawned process outlives pytest: not when a test leaves it running (see
test_spawn.py), and not when pytest itself is killed with SIGKILL."""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest

FAMILY = """
import os, signal, subprocess, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
grandchild = subprocess.Popen(
    [sys.executable, "-c",
     "import os, signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
     "print(os.getpid(), flush=True); signal.pause()"],
    stdout=subprocess.PIPE, text=True,
)
print("family", os.getpid(), grandchild.stdout.readline().strip(), flush=True)
while True:
    signal.pause()
"""

# The inner test: spawn the family, say its pids, then wait as *WAIT* says.
TEST_FAMILY = """
import sys, threading

def test_spawns_a_family_and_waits(spawn):
    proc = spawn("family.py")
    match = proc.expect(r"family (\\d+) (\\d+)\\n")
    sys.stdout.write(f"\\nPIDS {match.group(1)} {match.group(2)} READY\\n")
    sys.stdout.flush()
WAIT
"""
HANG = "    threading.Event().wait(60)  # the outer test kills pytest long before"
LOOP = """\
    while True:  # short waits: see SERVER in test_spawn.py
        threading.Event().wait(0.05)  # noqa: sleep-ok - the program's own loop

def test_never_runs():
    pass
"""

# An inner conftest: no pidfds, as on macOS; the keeper kills process groups.
NO_PIDFDS = """
import os
del os.pidfd_open
"""


def _read_line(stream: int, prefix: bytes, timeout: float, seen: bytearray) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        for line in bytes(seen).splitlines(keepends=True):
            if line.startswith(prefix) and line.endswith(b"\n"):  # the test starts a line of its own
                return line
        remaining = deadline - time.monotonic()
        readable, _, _ = select.select([stream], [], [], max(remaining, 0))
        if not readable:
            raise AssertionError(f"waited {timeout}s for a line starting with {prefix!r}; pytest printed:\n{seen!r}")
        chunk = os.read(stream, 4096)
        if not chunk:
            raise AssertionError(f"pytest ended before printing {prefix!r}:\n{seen.decode(errors='replace')}")
        seen.extend(chunk)


def _wait_gone(pidfds: dict[int, int], timeout: float) -> None:
    """A pidfd becomes readable when its process exits: no polling."""
    deadline = time.monotonic() + timeout
    while pidfds:
        remaining = deadline - time.monotonic()
        readable, _, _ = select.select(list(pidfds), [], [], max(remaining, 0))
        if not readable:
            raise AssertionError(
                f"still running {timeout}s after pytest was killed: "
                + "; ".join(f"pid {pid}: {_describe(pid)}" for pid in sorted(pidfds.values()))
            )
        for fd in readable:
            pidfds.pop(fd)
            os.close(fd)


def _describe(pid: int) -> str:
    """State, parent, group, session and command line of *pid*, from /proc (for a failure)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            command = cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError as exc:
        return f"unreadable ({exc})"
    return f"state {fields[0]}, parent {fields[1]}, group {fields[2]}, session {fields[3]}: {command}"


def _kill_left(pidfds: dict[int, int]) -> None:
    """What a failed test left running: through the pidfds, never by a pid
    that may belong to another process by now."""
    for fd in pidfds:
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(fd, signal.SIGKILL)
        os.close(fd)


def sigkill_pytest_and_wait_gone(
    pytester: pytest.Pytester, args: list[str], watched: Callable[[bytes], list[int]]
) -> None:
    """Run pytest in *pytester*'s folder with *args*, read its ``PIDS ...``
    line, open a pidfd on each of the pids *watched* takes from it (it may
    assert on them first), SIGKILL pytest (no teardown, no atexit, nothing)
    and wait, bounded, for every one of them to be gone."""
    pytest_proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-s", "-p", "no:cacheprovider", *args],
        cwd=pytester.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert pytest_proc.stdout is not None
    seen = bytearray()
    pidfds: dict[int, int] = {}
    try:
        line = _read_line(pytest_proc.stdout.fileno(), b"PIDS ", 30, seen)
        pidfds = {os.pidfd_open(pid): pid for pid in watched(line)}

        pytest_proc.kill()
        assert pytest_proc.wait(timeout=30) == -signal.SIGKILL

        _wait_gone(pidfds, timeout=10)
    finally:
        if pytest_proc.poll() is None:
            pytest_proc.kill()
            pytest_proc.wait()
        _kill_left(pidfds)
        pytest_proc.stdout.close()


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="watching unrelated pids needs pidfd_open (Linux)")
@pytest.mark.parametrize("kept_by", ["pidfd", "group"])
def test_sigkilled_pytest_leaves_no_child_and_no_grandchild(pytester: pytest.Pytester, kept_by: str) -> None:
    pytester.makepyfile(family=FAMILY, test_family=TEST_FAMILY.replace("WAIT", HANG))
    if kept_by == "group":
        pytester.makeconftest(NO_PIDFDS)

    def watched(line: bytes) -> list[int]:
        child, grandchild = (int(p) for p in line.split()[1:3])
        return [child, grandchild]

    sigkill_pytest_and_wait_gone(pytester, ["test_family.py"], watched)


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="watching unrelated pids needs pidfd_open (Linux)")
def test_real_ctrl_c_ends_the_session_and_every_child(pytester: pytest.Pytester, interrupt_session) -> None:
    pytester.makepyfile(
        family=FAMILY,
        test_family=TEST_FAMILY.replace("WAIT", LOOP),
    )
    pidfds: dict[int, int] = {}

    def watch(printed: str) -> None:
        pids = [int(p) for p in printed.split("PIDS", 1)[1].split()[:2]]
        pidfds.update({os.pidfd_open(pid): pid for pid in pids})

    rest = interrupt_session(on_ready=watch)

    assert "test_never_runs" not in rest
    assert len(pidfds) == 2
    _wait_gone(pidfds, timeout=10)


# -- a worker that left the child's group but kept its session -------------------

WORKER_FAMILY = FAMILY.replace(
    "stdout=subprocess.PIPE, text=True,", "stdout=subprocess.PIPE, text=True, preexec_fn=os.setpgrp,"
)


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="sweeping a session needs pidfds and /proc (Linux)")
def test_sigkilled_pytest_leaves_no_worker_in_another_group_of_the_session(pytester: pytest.Pytester) -> None:
    assert WORKER_FAMILY != FAMILY
    pytester.makepyfile(family=WORKER_FAMILY, test_family=TEST_FAMILY.replace("WAIT", HANG))

    def watched(line: bytes) -> list[int]:
        child, worker = (int(p) for p in line.split()[1:3])
        assert os.getpgid(worker) == worker != child, "the worker leads a group of its own"
        assert os.getsid(worker) == os.getsid(child), "in the child's session"
        return [child, worker]

    sigkill_pytest_and_wait_gone(pytester, ["test_family.py"], watched)


# -- the keeper is not pytest's child -------------------------------------------------

WAIT_ALL = """
import os, sys
import pytest

def test_spawns_a_command(spawn):
    assert spawn([sys.executable, "-c", "pass"]).wait() == 0  # a command: no fork-server template

def test_reaps_every_child_of_pytest():
    with pytest.raises(ChildProcessError):
        while True:
            os.wait()
"""


def test_a_later_test_that_reaps_every_child_does_not_wait_for_the_keeper(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_wait_all=WAIT_ALL)
    try:
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=30)
    except pytester.TimeoutExpired:
        pytest.fail("os.wait() in the second test hung: a process the plugin started is still pytest's child")
    result.assert_outcomes(passed=2)


# -- a recycled pid is never signalled ------------------------------------------------

# Runs as pid 1 of a new pid namespace, where this is root (a user namespace)
# and can choose the next pid (ns_last_pid). The inner pytest spawns a child
# that exits and is reaped; then an unrelated process that leads its own
# session is started with the child's pid; then pytest is SIGKILLed and,
# once its keeper has exited, the unrelated process must still run.
DRIVER = r"""
import os, select, signal, subprocess, sys
from time import monotonic

def say(*words):
    print(*words, flush=True)

def read_line(proc, prefix, timeout, seen):
    deadline = monotonic() + timeout
    while True:
        for line in seen.decode(errors="replace").splitlines(keepends=True):
            if line.startswith(prefix) and line.endswith("\n"):
                return line
        remaining = deadline - monotonic()
        if remaining <= 0 or not select.select([proc.stdout], [], [], remaining)[0]:
            say("DRIVER-FAIL waited", timeout, "s for", repr(prefix), "; pytest printed:", seen.decode())
            sys.exit(1)
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            say("DRIVER-FAIL pytest ended first:", seen.decode(errors="replace"))
            sys.exit(1)
        seen.extend(chunk)

try:
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write("300")
except OSError as exc:
    say("DRIVER-SKIP cannot choose the next pid in the namespace:", exc)
    sys.exit(0)

pytest_proc = subprocess.Popen(
    [sys.executable, "-m", "pytest", "-s", "-p", "no:cacheprovider", *sys.argv[1:], "test_recycle.py"],
    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
)
seen = bytearray()
words = read_line(pytest_proc, "REAPED ", 60, seen).split()
child, keeper = int(words[1]), int(words[3])
keeper_fd = os.pidfd_open(keeper)

with open("/proc/sys/kernel/ns_last_pid", "w") as f:
    f.write(str(child - 1))
unrelated = subprocess.Popen(["sleep", "600"], start_new_session=True)  # setsid: its pid is its group
if unrelated.pid != child:
    say("DRIVER-FAIL the unrelated process got pid", unrelated.pid, "not the child's", child)
    sys.exit(1)
say("RECYCLED", child, "session", os.getsid(unrelated.pid))

pytest_proc.kill()
pytest_proc.wait(30)
if not select.select([keeper_fd], [], [], 30)[0]:
    say("DRIVER-FAIL the keeper (pid", keeper, ") did not exit within 30s of pytest's death")
    sys.exit(1)
alive = os.waitid(os.P_PID, unrelated.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
say("UNRELATED", "ALIVE" if alive else f"KILLED {unrelated.wait()}")
"""

RECYCLE = """
import sys, threading
from pytest_signals._children.keeper import KEEPER

def test_a_short_child_then_a_long_wait(spawn):
    proc = spawn("short.py")
    assert proc.wait() == 0
    proc.close()  # reaped (until then a zombie keeps its pid taken): its pid is free for anyone
    sys.stdout.write(f"\\nREAPED {proc.pid} KEEPER {KEEPER.pid}\\n")
    sys.stdout.flush()
    threading.Event().wait(60)  # the driver kills pytest long before
"""

# The keeper holds a pidfd of the child and is never told it was reaped.
UNRELEASED = """
from pytest_signals._children.keeper import KEEPER
KEEPER.release = lambda ticket: None
"""


def _pid_namespaces() -> str | None:
    """Why pid namespaces cannot be used here, or None."""
    if shutil.which("unshare") is None:
        return "no unshare command (util-linux)"
    command = ["unshare", "--pid", "--fork", "--user", "--map-root-user", "--mount-proc", "true"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return f"{' '.join(command)} did not finish within 30s"
    if done.returncode != 0:
        return f"{' '.join(command)} failed: {done.stderr.strip() or done.returncode}"
    return None


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="pid namespaces and pidfds are Linux's")
@pytest.mark.parametrize("start_method", ["forkserver", "exec"])
@pytest.mark.parametrize("kept_by", ["pidfd, never released", "group, released when reaped"])
def test_sigkilled_pytest_never_signals_a_recycled_pid(
    pytester: pytest.Pytester, kept_by: str, start_method: str
) -> None:
    why_not = _pid_namespaces()
    if why_not is not None:
        pytest.skip(f"needs an unprivileged pid namespace: {why_not}")
    pytester.makepyfile(driver=DRIVER, test_recycle=RECYCLE, short="")
    pytester.makeconftest(UNRELEASED if kept_by.startswith("pidfd") else NO_PIDFDS)
    command = ["unshare", "--pid", "--fork", "--user", "--map-root-user", "--mount-proc"]
    command += [sys.executable, "driver.py", f"--signal-start-method={start_method}"]
    try:
        done = subprocess.run(command, cwd=pytester.path, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the driver did not finish within 120s; it printed:\n{exc.stdout!r}")
    printed = done.stdout + done.stderr
    if "DRIVER-SKIP" in printed:
        pytest.skip(printed.split("DRIVER-SKIP", 1)[1].strip())
    assert "DRIVER-FAIL" not in printed, printed
    assert "RECYCLED" in printed, printed
    assert "UNRELATED ALIVE" in printed, printed
