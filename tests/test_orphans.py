"""No spawned process outlives pytest: not when a test leaves it running (see
test_spawn.py), and not when pytest itself is killed with SIGKILL."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time

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
            raise AssertionError(f"still running {timeout}s after pytest was killed: pids {sorted(pidfds.values())}")
        for fd in readable:
            pidfds.pop(fd)
            os.close(fd)


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="watching unrelated pids needs pidfd_open (Linux)")
def test_sigkilled_pytest_leaves_no_child_and_no_grandchild(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(family=FAMILY, test_family=TEST_FAMILY.replace("WAIT", HANG))
    pytest_proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-s", "-p", "no:cacheprovider", "test_family.py"],
        cwd=pytester.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert pytest_proc.stdout is not None
    seen = bytearray()
    pidfds: dict[int, int] = {}
    try:
        line = _read_line(pytest_proc.stdout.fileno(), b"PIDS ", 30, seen)
        child, grandchild = (int(p) for p in line.split()[1:3])
        pidfds = {os.pidfd_open(pid): pid for pid in (child, grandchild)}

        pytest_proc.kill()  # SIGKILL: no teardown, no atexit, nothing
        assert pytest_proc.wait(timeout=30) == -signal.SIGKILL

        _wait_gone(pidfds, timeout=10)
    finally:
        if pytest_proc.poll() is None:
            pytest_proc.kill()
            pytest_proc.wait()
        for fd, pid in pidfds.items():
            os.close(fd)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        pytest_proc.stdout.close()


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
