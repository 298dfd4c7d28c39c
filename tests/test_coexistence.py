"""The promises hold however pytest is run: fixtures requested at run time,
frozen clocks, the debugger."""

from __future__ import annotations

import pytest


def test_fixtures_requested_at_run_time_are_protected(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import signal
        def test_sigint(request):
            send_signal = request.getfixturevalue("send_signal")
            send_signal(signal.SIGINT)
        def test_sigterm(request):
            request.getfixturevalue("send_signal")(signal.SIGTERM)
        def test_after():
            pass
        """
    )
    result = run()
    result.assert_outcomes(failed=2, passed=1)  # once each: not also an error at teardown
    result.stdout.fnmatch_lines(["*KeyboardInterrupt from a SIGINT that this test sent*"])
    result.stdout.fnmatch_lines(["*SIGTERM reached the test process with its default action*"])


def test_pytest_bdd_steps_are_protected(pytester: pytest.Pytester, run) -> None:
    pytest.importorskip("pytest_bdd")
    pytester.makefile(
        ".feature",
        shutdown="""
        Feature: Shutdown
            Scenario: SIGTERM without a handler
                Given a worker
                When it gets SIGTERM
                Then it is still running
        """,
    )
    pytester.makepyfile(
        """
        import signal
        from pytest_bdd import given, scenario, then, when

        @scenario("shutdown.feature", "SIGTERM without a handler")
        def test_shutdown():
            pass

        @given("a worker")
        def worker():
            return {}

        @when("it gets SIGTERM")
        def send(send_signal):
            send_signal(signal.SIGTERM)

        @then("it is still running")
        def running():
            pass

        def test_after():
            pass
        """
    )
    result = run()
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*SIGTERM reached the test process with its default action*"])


def test_doctests_that_use_getfixture_are_protected(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        mod='''
        def stop():
            """
            >>> import signal
            >>> send_signal = getfixture("send_signal")
            >>> send_signal(signal.SIGINT)
            """
        '''
    )
    pytester.makepyfile("def test_after():\n    pass\n")
    result = run("--doctest-modules")  # doctest re-raises KeyboardInterrupt: it would end the session
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*KeyboardInterrupt from a SIGINT that this test sent*"])


def test_a_frozen_clock_removes_no_bound(pytester: pytest.Pytester) -> None:
    pytest.importorskip("freezegun")
    pytester.makepyfile(
        """
        import signal, threading
        from freezegun import freeze_time

        @freeze_time("2020-01-01")
        def test_blocks_under_a_frozen_clock(send_signal, signal_log):
            def blocks(signum, frame):
                threading.Event().wait(30)  # noqa: sleep-ok - the handler's own blocking
            signal.signal(signal.SIGUSR1, blocks)
            try:
                send_signal(signal.SIGUSR1, timeout=1)
            finally:
                assert all(0 <= event.time < 60 for event in signal_log)  # offsets from the real clock
        def test_after():
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=60)
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*still running after 1s*"])


def test_the_debuggers_sigint_handler_is_not_the_tests_leak(pytester: pytest.Pytester) -> None:
    pexpect = pytest.importorskip("pexpect")
    pytester.makepyfile(
        """
        import signal
        def test_debugged(send_signal):
            breakpoint()
            signal.signal(signal.SIGUSR1, signal.SIG_IGN)
            signal.signal(signal.SIGUSR1, signal.SIG_DFL)
        """
    )
    child = pytester.spawn_pytest("-p no:cacheprovider --signal-strict", expect_timeout=30)
    child.expect(r"\(Pdb\)")
    child.sendline("c")  # pdb installs its SIGINT handler on continue, and leaves it
    child.expect(pexpect.EOF)
    out = child.before.decode()
    assert "1 passed" in out, out
    assert "SignalLeak" not in out, out
    assert "signal_strict is on" not in out, out


OUTSIDE = """
import os, threading
def test_first():
    pass
def test_waits(signal_log):
    with open(os.environ["READY_FIFO"], "w") as ready:
        ready.write("ready")
    # Short waits: a signal that lands between CPython's last check and the
    # start of a blocking wait is acted on only when that wait returns.
    for _ in range(1200):
        threading.Event().wait(0.05)  # noqa: sleep-ok - the code under test's own wait
def test_never_runs():
    pass
"""


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP", "SIGQUIT"])
def test_a_signal_from_outside_ends_the_session_cleanly(pytester: pytest.Pytester, name: str) -> None:
    """A CI runner's SIGTERM (or a closed terminal's SIGHUP) ends the run, with its reports."""
    import os
    import signal
    import subprocess
    import sys

    pytester.makepyfile(OUTSIDE)
    fifo = pytester.path / "ready"
    os.mkfifo(fifo)
    env = {**os.environ, "READY_FIFO": str(fifo)}
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--junitxml=report.xml"]
    proc = subprocess.Popen(cmd, cwd=pytester.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    import select

    fd = os.open(fifo, os.O_RDWR)  # a writer too: the open never blocks, and the wait below is bounded
    try:
        if not select.select([fd], [], [], 60)[0]:
            proc.kill()
            out, _ = proc.communicate()
            pytest.fail(f"the inner test did not write 'ready' within 60 s; the inner pytest:\n{out.decode()}")
        assert os.read(fd, 5) == b"ready"
    finally:
        os.close(fd)
    proc.send_signal(getattr(signal, name))
    try:
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:  # a failure must not leave the session running
            proc.kill()
            proc.communicate()
    text = out.decode()
    assert proc.returncode == 128 + getattr(signal, name), text
    assert f"pytest-signals: {name} from outside the test" in text
    assert "1 passed" in text  # the terminal report was written
    report = (pytester.path / "report.xml").read_text()
    assert "test_first" in report
    assert "test_never_runs" not in report


def test_ctrl_z_from_outside_suspends_pytest_until_it_is_resumed(pytester: pytest.Pytester) -> None:
    """SIGTSTP stops pytest as a shell's job would stop; SIGCONT resumes the test."""
    pytester.makepyfile(
        """
        import os
        def test_suspended(signal_log):
            with open("ready", "w") as ready:
                ready.write("ready")
            with open("resumed") as resumed:  # written by the job's shell after SIGCONT
                assert resumed.read() == "resumed"
        """
    )
    import os

    os.mkfifo(pytester.path / "ready")
    os.mkfifo(pytester.path / "resumed")
    # A shell's job: its own process group in a session the "shell" leads, so
    # that the group is not orphaned and the kernel acts on SIGTSTP.
    shell = (
        "import os, signal, subprocess, sys\n"
        "os.setsid()\n"
        "job = subprocess.Popen([sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider'], preexec_fn=os.setpgrp)\n"
        "with open('ready') as f:\n"
        "    assert f.read() == 'ready'\n"
        "os.kill(job.pid, signal.SIGTSTP)\n"
        "_, status = os.waitpid(job.pid, os.WUNTRACED)\n"
        "print('job stopped' if os.WIFSTOPPED(status) else f'job not stopped: {status}', flush=True)\n"
        "os.kill(job.pid, signal.SIGCONT)\n"
        "with open('resumed', 'w') as f:\n"
        "    f.write('resumed')\n"
        "sys.exit(job.wait())\n"
    )
    result = pytester.run(__import__("sys").executable, "-c", shell, timeout=60)
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*job stopped*", "*1 passed*"])
