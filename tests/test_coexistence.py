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
