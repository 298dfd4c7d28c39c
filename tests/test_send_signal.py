"""The send_signal fixture and the Delivery it returns."""

from __future__ import annotations

import pytest


def test_returns_after_the_handler_ran(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import signal, pytest
        from pytest_signals import Delivery

        @pytest.mark.parametrize("via", ["raise", "kill"])
        @pytest.mark.parametrize("sig", [signal.SIGTERM, 10, "SIGUSR2", "HUP"])
        def test_handled(send_signal, sig, via):
            got = []
            def on_signal(signum, frame):
                got.append(signum)
            num = {"SIGUSR2": signal.SIGUSR2, "HUP": signal.SIGHUP}.get(sig, sig)
            previous = signal.signal(num, on_signal)
            delivery = send_signal(sig, via=via)
            signal.signal(num, previous)
            assert got == [num]
            assert isinstance(delivery, Delivery)
            assert delivery.signal == num and delivery.via == via
            assert delivery.handled and delivery.outcome == "handled" and delivery.done
            assert delivery.handler.endswith("test_handled.<locals>.on_signal")
            assert delivery.wait() is delivery
            assert [e.kind for e in delivery.events] == ["sent", "handled"]
        """
    )
    run().assert_outcomes(passed=8)


def test_handler_exception_propagates(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import signal, sys, pytest
        def test_raises(send_signal):
            def boom(signum, frame):
                raise RuntimeError("handler failed")
            signal.signal(signal.SIGUSR1, boom)
            try:
                with pytest.raises(RuntimeError, match="handler failed"):
                    send_signal(signal.SIGUSR1)
            finally:
                signal.signal(signal.SIGUSR1, signal.SIG_DFL)

        def test_exits(send_signal):
            signal.signal(signal.SIGTERM, lambda s, f: sys.exit(3))
            try:
                with pytest.raises(SystemExit) as excinfo:
                    send_signal(signal.SIGTERM)
                assert excinfo.value.code == 3
            finally:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
        """
    )
    run().assert_outcomes(passed=2)


def test_ignored_and_harmless_defaults(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import signal
        def test_ignored(send_signal, signal_log):
            signal.signal(signal.SIGUSR1, signal.SIG_IGN)
            delivery = send_signal(signal.SIGUSR1)
            signal.signal(signal.SIGUSR1, signal.SIG_DFL)
            assert delivery.outcome == "ignored" and not delivery.handled
            assert signal_log.ignored[0].detail == "SIG_IGN"

        def test_default_ignore(send_signal, signal_log):
            delivery = send_signal(signal.SIGURG)  # (SIGWINCH may have readline's C handler)
            assert delivery.outcome == "ignored"
            assert signal_log.ignored[0].detail == "default action: ignore"
        """
    )
    run().assert_outcomes(passed=2)


def test_blocked_signal_is_pending(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import signal
        def test_blocked(send_signal, signal_log):
            got = []
            signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
            delivery = send_signal(signal.SIGUSR1)
            assert delivery.outcome == "blocked" and got == []
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})
            assert got == [signal.SIGUSR1]
            signal_log.assert_handled(signal.SIGUSR1, times=1)
            signal.signal(signal.SIGUSR1, signal.SIG_DFL)
        """
    )
    run().assert_outcomes(passed=1)


def test_to_another_process(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import signal, subprocess, sys, pytest
        CODE = "import sys; sys.stdout.write('ready\\\\n'); sys.stdout.flush(); sys.stdin.read()"
        def test_child(send_signal, signal_log):
            child = subprocess.Popen(
                [sys.executable, "-c", CODE],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )
            assert child.stdout.readline() == "ready\\n"
            delivery = send_signal("TERM", to=child.pid)
            assert child.wait(timeout=10) == -signal.SIGTERM
            assert delivery.target == child.pid and delivery.outcome == "sent"
            assert signal_log.sent[0].detail == f"via kill, to pid {child.pid}"
            with pytest.raises(ProcessLookupError, match=f"no process with pid {child.pid}"):
                send_signal("TERM", to=child.pid)
        """
    )
    run().assert_outcomes(passed=1)


@pytest.mark.skipif(not hasattr(__import__("os"), "pidfd_open"), reason="the held process is a pidfd (Linux)")
def test_a_process_is_held_before_it_is_signalled(pytester: pytest.Pytester, run) -> None:
    """Between the check that a pid is the test's and the send, its parent
    may reap it and the number go to anyone. The process is held (a pidfd)
    and checked again while held: here the second check says "not ours" (as
    after a recycling), so nothing is sent, and the process lives on."""
    pytester.makepyfile(
        """
        import signal, subprocess, sys, pytest
        from pytest_signals._inproc import procs
        CODE = "import sys; sys.stdout.write('ready\\\\n'); sys.stdout.flush(); sys.stdin.read()"
        def test_child(send_signal, signal_log, monkeypatch):
            child = subprocess.Popen(
                [sys.executable, "-c", CODE],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )
            assert child.stdout.readline() == "ready\\n"
            answers = iter([True, False])  # ours at the first look, a stranger's at the second
            monkeypatch.setattr(procs, "descends_from_me", lambda pid: next(answers))
            with pytest.raises(ProcessLookupError, match=f"pid {child.pid} ended before the signal was sent"):
                send_signal("TERM", to=child.pid)
            monkeypatch.undo()
            assert child.poll() is None  # never signalled
            assert signal_log.sent == []
            child.stdin.close()
            assert child.wait(timeout=10) == 0
        """
    )
    run().assert_outcomes(passed=1)


def test_from_another_thread(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import signal, threading, pytest
        def test_thread(send_signal):
            got, results, errors = [], [], []
            signal.signal(signal.SIGUSR1, lambda s, f: got.append(threading.current_thread().name))
            def worker():
                try:
                    results.append(send_signal(signal.SIGUSR1, via="kill"))
                    send_signal(signal.SIGUSR1)
                except RuntimeError as exc:
                    errors.append(str(exc))
            thread = threading.Thread(target=worker, name="sender")
            thread.start()
            thread.join()
            signal.signal(signal.SIGUSR1, signal.SIG_DFL)
            assert got == ["MainThread"]
            assert results[0].handled
            assert "called from thread 'sender'" in errors[0] and "via='kill'" in errors[0]
        """
    )
    run().assert_outcomes(passed=1)


def test_kill_waits_when_another_thread_takes_the_signal(pytester: pytest.Pytester, run) -> None:
    """os.kill may deliver to any thread that does not block the signal; the call still
    returns only after the main thread ran the handler."""
    pytester.makepyfile(
        """
        import signal, threading
        def test_other_thread_takes_it(send_signal):
            got = []
            signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
            ready, release = threading.Event(), threading.Event()
            def taker():
                ready.set()
                release.wait(30)
            thread = threading.Thread(target=taker)
            thread.start()
            ready.wait(30)
            # block it in the main thread so the kernel must pick the other thread
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
            try:
                delivery = send_signal(signal.SIGUSR1, via="kill")
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})
                release.set()
                thread.join()
                signal.signal(signal.SIGUSR1, signal.SIG_DFL)
            assert delivery.handled and got == [signal.SIGUSR1]
        """
    )
    run().assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            "send_signal(signal.SIGKILL)",
            "(or one of its threads) would kill pytest",
        ),
        (
            "send_signal('SIGSTOP')",
            "(or one of its threads) would freeze pytest",
        ),
        ("send_signal('SIGSEGV')", "send_signal(SIGSEGV) aimed at the test process could end pytest"),
        ("send_signal('SIGNOPE')", "unknown signal 'SIGNOPE'"),
        ("send_signal(4242)", "4242 is not a valid signal number"),
        ("send_signal(2.0)", "2.0 (type float) is not a signal"),
        ("send_signal('TERM', via='smoke')", "via='smoke' is not supported for the test process"),
        ("send_signal('TERM', to=0)", "to=0 would signal a process group"),
        ("send_signal('TERM', to='me')", "to='me' is not a process"),
        ("send_signal('TERM', to=1, via='raise')", "to=1 would signal pid 1"),
        ("send_signal('TERM', timeout=-1)", "timeout=-1 must be a positive, finite number of seconds"),
        ("send_signal('TERM', timeout='soon')", "timeout='soon' is not a number of seconds"),
    ],
)
def test_bad_input_is_a_clear_error(pytester: pytest.Pytester, run, call: str, message: str) -> None:
    pytester.makepyfile(
        f"""
        import signal, pytest
        def test_bad(send_signal, signal_log):
            with pytest.raises((ValueError, RuntimeError)) as excinfo:
                {call}
            assert {message!r} in str(excinfo.value)
            assert len(signal_log.sent) == 0
        """
    )
    run().assert_outcomes(passed=1)


def test_handler_that_never_runs_fails_with_the_timeline(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import signal, threading
        def test_never(send_signal):
            signal.signal(signal.SIGUSR1, lambda s, f: None)
            # Every thread blocks SIGUSR1, so the handler cannot run.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
            try:
                send_signal(signal.SIGUSR1, via="kill", timeout=0.3)
            finally:
                signal.signal(signal.SIGUSR1, signal.SIG_IGN)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})
                signal.signal(signal.SIGUSR1, signal.SIG_DFL)
        """
    )
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*send_signal(SIGUSR1, via='kill'): waited 0.3s for the handler*to run; it did not*blocked*",
            "*sent*SIGUSR1*",
        ]
    )


def test_used_after_its_test_is_an_error(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import signal, pytest
        kept = []
        def test_keep(send_signal):
            kept.append(send_signal)
        def test_reuse():
            with pytest.raises(RuntimeError, match="used outside the test it belongs to"):
                kept[0](signal.SIGUSR1)
        """
    )
    run().assert_outcomes(passed=2)


def test_tracebacks_show_the_tests_line_and_the_users_code_not_the_plugin(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import signal

        def on_term(signum, frame):
            raise RuntimeError("boom in handler")

        def interrupt_me(send_signal):
            send_signal(signal.SIGINT)  # the user's helper

        def test_handler_raises(send_signal):
            signal.signal(signal.SIGTERM, on_term)
            send_signal(signal.SIGTERM)

        def test_keyboard_interrupt_escapes(send_signal):
            interrupt_me(send_signal)
        """
    )
    result = run()
    result.assert_outcomes(failed=2)
    text = result.stdout.str()
    assert "All traceback entries are hidden" not in text
    # No traceback entry of the plugin's ("pytest_signals/...py:N: in ..."). (The handler's
    # frame argument, shown among its arguments, is the frame it interrupted: ours.)
    assert not [line for line in text.splitlines() if "pytest_signals" in line and ": in " in line]
    result.stdout.fnmatch_lines(
        [
            "*def test_handler_raises(send_signal):",
            ">       send_signal(signal.SIGTERM)",
            "*def on_term(signum, frame):",
            '>       raise RuntimeError("boom in handler")',
            "E       RuntimeError: boom in handler",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*def test_keyboard_interrupt_escapes(send_signal):",
            ">       interrupt_me(send_signal)",
            "*def interrupt_me(send_signal):",
            ">       send_signal(signal.SIGINT)  # the user's helper",
            "E       Failed: KeyboardInterrupt from a SIGINT that this test sent to its own process escaped the test.*",
        ]
    )
