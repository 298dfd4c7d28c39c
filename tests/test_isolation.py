"""After each test that uses the plugin, the process's signal state is back."""

from __future__ import annotations

import pytest


def test_dispositions_are_restored_and_leaks_reported(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import signal
        def on_usr1(signum, frame):
            pass
        def test_leaks(signal_log):
            signal.signal(signal.SIGUSR1, on_usr1)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
        def test_after():
            assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL
        def test_clean(signal_log):
            previous = signal.signal(signal.SIGUSR1, on_usr1)
            signal.signal(signal.SIGUSR1, previous)
        """
    )
    result = run()
    result.assert_outcomes(passed=3, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*SignalLeakWarning: test left signal state changed (restored now):*",
            "*SIGHUP: handler SIG_IGN was left installed (it was SIG_DFL before the test)*",
            "*SIGUSR1: handler test_dispositions_are_restored_and_leaks_reported.on_usr1 was left installed*",
        ]
    )


def test_strict_turns_a_leak_into_a_failure(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import signal
        def test_leaks(signal_log):
            signal.signal(signal.SIGUSR2, lambda *a: None)
        """
    )
    result = run("--signal-strict")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_leaks*", "*SIGUSR2: handler*", "(signal_strict is on)"])


def test_wakeup_fd_mask_and_timer_are_restored(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import os, signal
        def test_leaks(signal_log):
            r, w = os.pipe()
            os.set_blocking(w, False)
            signal.set_wakeup_fd(w)
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
            signal.alarm(60)
        def test_after():
            assert signal.set_wakeup_fd(-1) == -1
            assert signal.SIGUSR1 not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
            assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        """
    )
    result = run()
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*an alarm/interval timer was left armed*",
            "*the signal mask was left changed (blocked: SIGUSR1; unblocked: -)*",
            "*set_wakeup_fd() was left at fd*",
        ]
    )


def test_pytest_timeout_signal_method_keeps_working(pytester: pytest.Pytester, run) -> None:
    """pytest-timeout owns SIGALRM; a test that uses the plugin and SIGALRM leaves it intact."""
    pytester.makepyfile(
        """
        import signal, threading
        def test_uses_alarm(send_signal, signal_log):
            got = []
            previous = signal.signal(signal.SIGALRM, lambda s, f: got.append(s))
            send_signal(signal.SIGALRM)
            signal.signal(signal.SIGALRM, previous)
            assert got == [signal.SIGALRM]
        def test_hangs(signal_log):
            threading.Event().wait(30)
        def test_after():
            pass
        """
    )
    result = run("--timeout=2", "--timeout-method=signal")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*Failed: Timeout*"])


def test_another_plugins_alarm_bookkeeping_is_not_in_the_timeline(pytester: pytest.Pytester, run) -> None:
    """Another plugin's bookkeeping is not the program's behaviour."""
    pytester.makepyfile(
        """
        import signal

        def on_usr(signum, frame):
            pass

        def test_passes(send_signal, signal_log):
            signal.signal(signal.SIGUSR2, on_usr)
            send_signal(signal.SIGUSR2)
            signal.signal(signal.SIGUSR2, signal.SIG_DFL)
            assert [e.kind for e in signal_log] == ["installed", "sent", "handled", "installed"]
            assert "pytest_timeout" not in signal_log.timeline()

        def test_fails(send_signal):
            signal.signal(signal.SIGUSR1, on_usr)
            send_signal(signal.SIGUSR1)
            signal.signal(signal.SIGUSR1, signal.SIG_DFL)
            assert False
        """
    )
    # func_only: pytest-timeout arms and cancels its SIGALRM around the call
    # phase, while the guard observes (by default it does so outside the test).
    result = run("--timeout=30", "--timeout-method=signal", "-o", "timeout_func_only=true")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*- Captured signal timeline call -*", "+*s  handled*SIGUSR1*"])
    result.stdout.no_fnmatch_line("*pytest_timeout*")


def test_timer_set_by_test_is_replaced_by_the_one_before(pytester: pytest.Pytester, run) -> None:
    """A timer that was armed before the test keeps its deadline."""
    pytester.makeconftest(
        """
        import signal, pytest
        @pytest.fixture(scope="module")  # set up before the test's guard, torn down after it
        def armed():
            signal.setitimer(signal.ITIMER_REAL, 50.0)
            yield
            remaining, _ = signal.getitimer(signal.ITIMER_REAL)
            signal.setitimer(signal.ITIMER_REAL, 0)
            assert 40.0 < remaining <= 50.0
        """
    )
    pytester.makepyfile(
        """
        import signal
        def test_rearm(armed, signal_log):
            signal.alarm(0)
            assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        """
    )
    run().assert_outcomes(passed=1)
