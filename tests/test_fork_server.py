"""spawn's fork server: children forked from a warm template are
indistinguishable from a new interpreter for the code under test."""

from __future__ import annotations

import json

import pytest

PROBE = r"""
import atexit, os, signal, sys, threading
import asyncio

async def main():
    return 1

asyncio.run(main())
print(sys.argv, __name__, __file__, __spec__, __package__, type(__loader__).__name__)
print(sys.path[0], os.getcwd(), os.environ.get("PROBE"), "PYTEST_SIGNALS_CHANNEL" in os.environ)
print(sorted(sys.modules))
print([signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGCHLD)])
print(sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])), signal.set_wakeup_fd(-1))
print(os.getpid() == os.getpgid(0) == os.getsid(0))
print(sorted(int(fd) for fd in os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else "-")
atexit.register(print, "atexit ran")
left_open = open("left-open.txt", "w")  # never closed: the exit flushes it
left_open.write(f"written by {sys.argv[1]}")
threading.Thread(target=lambda: print("thread joined")).start()
sys.stdout.flush()
ending = sys.argv[1]
if ending == "keyboard-interrupt":
    signal.raise_signal(signal.SIGINT)
elif ending == "system-exit":
    sys.exit("leaving with a message")
elif ending == "error":
    raise ValueError("at the top level")
"""

TEST_PROBE = """
import json, os, pytest

@pytest.mark.parametrize("ending", ["normal", "keyboard-interrupt", "system-exit", "error"])
def test_probe(spawn, ending, request):
    proc = spawn("sub/probe.py", ending, env={"PROBE": "yes"})
    code = proc.wait()
    method = request.config.getoption("signal_start_method")
    assert proc.forked is (method == "forkserver")
    with open("left-open.txt") as left_open:
        written = left_open.read()
    with open(f"{method}-{ending}.json", "w") as out:
        json.dump([proc.stdout, proc.stderr, code, written], out)
"""

ENDINGS = ["normal", "keyboard-interrupt", "system-exit", "error"]


def test_forked_children_are_indistinguishable_from_new_interpreters(pytester: pytest.Pytester, run) -> None:
    """The same program, forked from the template and started as a new
    interpreter: same output, same traceback, same exit, same modules, fds,
    dispositions, session, argv, path, __main__."""
    pytester.mkdir("sub")
    (pytester.path / "sub" / "probe.py").write_text(PROBE)
    pytester.makepyfile(test_probe=TEST_PROBE)
    for method in ("forkserver", "exec"):
        run(f"--signal-start-method={method}").assert_outcomes(passed=4)
    for ending in ENDINGS:
        forked = json.loads((pytester.path / f"forkserver-{ending}.json").read_text())
        fresh = json.loads((pytester.path / f"exec-{ending}.json").read_text())
        assert forked == fresh, ending
    stdout, stderr, code, written = json.loads((pytester.path / "forkserver-keyboard-interrupt.json").read_text())
    assert written == "written by keyboard-interrupt"
    assert code == -2
    assert stderr.rstrip().endswith("KeyboardInterrupt")
    assert "pytest_signals" not in stderr
    assert "thread joined" in stdout
    assert "atexit ran" in stdout
    stdout, stderr, code, written = json.loads((pytester.path / "forkserver-system-exit.json").read_text())
    assert (code, stderr) == (1, "leaving with a message\n")


def test_default_is_the_fork_server_on_linux(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import sys

        def test_default(spawn):
            proc = spawn("json.tool", "--help")
            assert proc.wait() == 0
            assert proc.forked is (sys.platform == "linux")
        """
    )
    run("--signal-start-method=auto").assert_outcomes(passed=1)


def test_no_state_from_earlier_children(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        child="""
        import asyncio, sys
        print(getattr(asyncio, "LEFT_BEHIND", None), flush=True)
        asyncio.LEFT_BEHIND = sys.argv[1]
        """,
        test_children="""
        def test_each_starts_clean(spawn):
            for n in range(3):
                proc = spawn("child.py", str(n))
                assert proc.wait() == 0 and proc.forked
                assert proc.stdout == "None\\n"
        """,
    )
    run("--signal-start-method=forkserver").assert_outcomes(passed=1)


def test_a_different_start_up_environment_gets_a_new_interpreter(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        mod="VALUE = 'found through PYTHONPATH'\n",
        test_env="""
        import os

        def test_pythonpath(spawn, tmp_path):
            (tmp_path / "elsewhere.py").write_text("VALUE = 'elsewhere'\\n")
            proc = spawn("elsewhere", env={"PYTHONPATH": str(tmp_path)})
            assert proc.wait() == 0
            assert not proc.forked  # PYTHONPATH is read at start-up: a new interpreter reads it
            proc = spawn("mod")  # the template was not started with the PYTHONPATH above
            assert proc.wait() == 0 and proc.forked
            proc = spawn("mod", env={"UNRELATED": "1"})
            assert proc.wait() == 0 and proc.forked
        """,
    )
    run("--signal-start-method=forkserver").assert_outcomes(passed=1)


def test_a_dead_template_means_new_interpreters(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import os, signal
        from pytest_signals._children.fork_server import FORK_SERVER

        def test_template_killed(spawn):
            first = spawn("json.tool", "--help")
            assert first.wait() == 0 and first.forked
            os.kill(FORK_SERVER.pid, signal.SIGKILL)
            with FORK_SERVER._cond:
                assert FORK_SERVER._cond.wait_for(lambda: FORK_SERVER._dead, 5)
            second = spawn("json.tool", "--help")
            assert second.wait() == 0 and not second.forked
        """
    )
    run("--signal-start-method=forkserver").assert_outcomes(passed=1)


# A child that says who it is, or (given "block") waits to be stopped, bounded.
WHO = """
import os, signal, sys
if sys.argv[1] == "block":
    signal.sigtimedwait([signal.SIGUSR1], 60)
    sys.exit(3)
print(sys.argv[1], os.getpid(), flush=True)
"""


def test_a_failed_fork_server_spawn_leaves_no_fd_open(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        who=WHO,
        test_fds="""
        import os, signal, pytest
        from pytest_signals._children.fork_server import FORK_SERVER, ForkServerError

        def open_fds():
            where = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"
            return sorted(int(fd) for fd in os.listdir(where))

        def test_no_leak(spawn):
            assert spawn("who.py", "first").wait() == 0
            before = open_fds()
            os.kill(FORK_SERVER.pid, signal.SIGSTOP)  # the spawn below times out
            try:
                with pytest.raises(ForkServerError):
                    spawn("who.py", "block", timeout=0.2)
                after = open_fds()
            finally:
                os.kill(FORK_SERVER.pid, signal.SIGCONT)
            assert after == before, f"open before the failed spawn: {before}; after: {after}"
        """,
    )
    run("--signal-start-method=forkserver").assert_outcomes(passed=1)
