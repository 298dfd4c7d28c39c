"""Handlers that misbehave: each is one clear test failure, never a hung or
dead session. (Raising and sys.exit: test_send_signal.py; fatal signals
without a handler: test_nothing_lost.py; pytest-timeout: test_isolation.py.)"""

from __future__ import annotations

import pytest


def test_handler_that_blocks_is_interrupted_and_fails_the_test(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import signal, threading, time

        def test_sleeps(send_signal):
            signal.signal(signal.SIGUSR1, lambda s, f: time.sleep(60))  # noqa: sleep-ok - the fault under test
            send_signal(signal.SIGUSR1, timeout=0.3)

        def test_waits_for_a_lock_nobody_releases(send_signal):
            lock = threading.Lock()
            lock.acquire()
            signal.signal(signal.SIGUSR2, lambda s, f: lock.acquire())
            send_signal(signal.SIGUSR2, timeout=0.3)

        def test_catches_exception_and_waits(send_signal):
            def handler(signum, frame):
                try:
                    threading.Event().wait()
                except Exception:
                    pass
            signal.signal(signal.SIGHUP, handler)
            send_signal(signal.SIGHUP, via="kill", timeout=0.3)

        def test_slow_but_within_the_timeout(send_signal):
            signal.signal(signal.SIGTERM, lambda s, f: threading.Event().wait(0.05))
            assert send_signal(signal.SIGTERM, timeout=5).handled

        def test_after():
            assert signal.getsignal(signal.SIGURG) == signal.SIG_DFL
            for sig in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGHUP, signal.SIGTERM):
                assert signal.getsignal(sig) == signal.SIG_DFL
        """
    )
    result = run("-W", "ignore::pytest_signals.SignalLeakWarning")
    result.assert_outcomes(failed=3, passed=2)
    result.stdout.fnmatch_lines(
        [
            "*send_signal(SIGUSR1, via='raise'): the handler test_*.<lambda> was still running after 0.3s*",
            "*signal timeline:*",
        ]
    )
    result.stdout.fnmatch_lines(["*send_signal(SIGHUP, via='kill'): the handler *handler was still running*"])


def test_handler_in_sigurg_territory_is_left_alone(pytester: pytest.Pytester, run) -> None:
    """Code that handles SIGURG itself keeps it: the watchdog stands aside."""
    pytester.makepyfile(
        """
        import signal

        def test_own_sigurg(send_signal, signal_log):
            got = []
            signal.signal(signal.SIGURG, lambda s, f: got.append(s))
            signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
            send_signal(signal.SIGUSR1)
            send_signal(signal.SIGURG)
            assert got == [signal.SIGUSR1, signal.SIGURG]
            signal.signal(signal.SIGURG, signal.SIG_DFL)
            signal.signal(signal.SIGUSR1, signal.SIG_DFL)
            assert [e.signal_name for e in signal_log.handled] == ["SIGUSR1", "SIGURG"]
        """
    )
    run().assert_outcomes(passed=1)


def test_handler_that_blocks_in_a_child_is_a_clear_failure(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        stuck="""
        import signal, threading
        signal.signal(signal.SIGTERM, lambda s, f: threading.Event().wait())
        print("ready", flush=True)
        for _ in range(600):  # short waits: a SIGTERM sent on "ready" may land just before one starts
            threading.Event().wait(0.05)  # noqa: sleep-ok - the program's own wait
        """,
        test_stuck="""
        import signal

        def test_stuck(spawn, send_signal):
            proc = spawn("stuck.py")
            proc.expect("ready\\n")
            assert send_signal(signal.SIGTERM, to=proc).wait().handled
            proc.wait(timeout=0.3)

        def test_after():
            pass
        """,
    )
    result = run()
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*waited 0.3s for pid * to exit; it is still running*",
            "*pid * ('stuck.py') was still running at the end of the test: stopped*",
        ]
    )
