"""The signal_log recorder: events, views, assertions and the failure timeline."""

from __future__ import annotations

import pytest


def test_events_in_order_with_all_fields(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import os, signal, threading, pytest
        from pytest_signals import SignalEvent, SignalLog

        def on_hup(signum, frame):
            pass

        def test_log(send_signal, signal_log):
            assert isinstance(signal_log, SignalLog) and len(signal_log) == 0
            signal.signal(signal.SIGHUP, on_hup)
            send_signal(signal.SIGHUP)
            with pytest.raises(KeyboardInterrupt):
                send_signal(signal.SIGINT)
            signal.signal(signal.SIGHUP, signal.SIG_DFL)
            kinds = [(e.kind, e.signal_name) for e in signal_log]
            assert kinds == [
                ("installed", "SIGHUP"), ("sent", "SIGHUP"), ("handled", "SIGHUP"),
                ("sent", "SIGINT"), ("handled", "SIGINT"), ("keyboard_interrupt", "SIGINT"),
                ("installed", "SIGHUP"),
            ]
            first = signal_log[0]
            assert isinstance(first, SignalEvent)
            assert first.handler == "test_events_in_order_with_all_fields.on_hup" and first.detail == "replaces SIG_DFL"
            assert first.pid == os.getpid() and first.thread == "MainThread" and first.task is None
            times = [e.time for e in signal_log]
            assert times == sorted(times) and 0 <= times[0] < 5
            assert signal_log[2].detail == "sent by the test"
            assert [e.signal for e in signal_log.sent] == [signal.SIGHUP, signal.SIGINT]
            assert [e.handler for e in signal_log.handled] == [first.handler, "default_int_handler"]
            assert len(signal_log.keyboard_interrupts) == 1 and len(signal_log.installed) == 2
            assert signal_log.filter("handled", "SIGHUP") == signal_log.handled[:1]
            assert signal_log.filter(process=os.getpid()) == list(signal_log)
            assert signal_log[-1].handler == "SIG_DFL"
            signal_log.assert_keyboard_interrupt()
            signal_log.clear()
            assert len(signal_log) == 0 and list(signal_log) == []
        """
    )
    run().assert_outcomes(passed=1)


def test_records_signals_the_test_did_not_send_itself(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import os, select, signal

        def test_alarm_and_kill(signal_log):
            r, w = os.pipe()
            def on_alarm(signum, frame):
                os.write(w, b"x")  # not Event.set(): a handler must not take a lock
            signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, 0.01)
            for _ in range(200):  # short waits: an alarm that fires just before select() starts waits for its end
                if select.select([r], [], [], 0.05)[0] == [r]:
                    break
            else:
                raise AssertionError("no SIGALRM within 10s")
            signal.signal(signal.SIGUSR1, lambda s, f: None)
            os.kill(os.getpid(), signal.SIGUSR1)
            signal.raise_signal(signal.SIGUSR1)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.signal(signal.SIGUSR1, signal.SIG_DFL)
            signal_log.assert_handled(signal.SIGALRM, times=1, by=on_alarm)
            signal_log.assert_handled("USR1", times=2, by="<lambda>")
            signal_log.assert_not_handled(signal.SIGTERM)
            assert signal_log.sent == []
        """
    )
    run().assert_outcomes(passed=1)


def test_handlers_installed_before_the_test_are_observed(pytester: pytest.Pytester, run) -> None:
    pytester.makeconftest(
        """
        import signal
        def session_handler(signum, frame):
            pass
        signal.signal(signal.SIGUSR2, session_handler)
        """
    )
    pytester.makepyfile(
        """
        import signal
        def test_observed(send_signal, signal_log):
            assert signal.getsignal(signal.SIGUSR2).__name__ == "session_handler"
            send_signal(signal.SIGUSR2)
            signal_log.assert_handled(signal.SIGUSR2, by="session_handler")
        def test_after():
            assert signal.getsignal(signal.SIGUSR2).__name__ == "session_handler"
        """
    )
    run().assert_outcomes(passed=2)


def test_assertion_messages_say_expected_observed_and_timeline(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import signal

        def on_term(signum, frame):
            pass

        def test_times(send_signal, signal_log):
            signal.signal(signal.SIGTERM, on_term)
            send_signal(signal.SIGTERM)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal_log.assert_handled(signal.SIGTERM, times=2)

        def test_by(send_signal, signal_log):
            signal.signal(signal.SIGTERM, on_term)
            send_signal(signal.SIGTERM)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal_log.assert_handled(signal.SIGTERM, by="shutdown")

        def test_not(send_signal, signal_log):
            signal.signal(signal.SIGTERM, on_term)
            send_signal(signal.SIGTERM)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal_log.assert_not_handled("TERM")

        def test_sent(signal_log):
            signal_log.assert_sent("SIGHUP")
        """
    )
    result = run()
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: expected SIGTERM to be handled 2 time(s), observed 1 matching call(s).",
            "*handler calls for SIGTERM: test_assertion_messages_*.on_term in pid * at +*s",
            "*signal timeline:",
            "*installed*SIGTERM*handler=*on_term*replaces SIG_DFL*",
        ]
    )
    result.stdout.fnmatch_lines(["*expected SIGTERM to be handled by shutdown at least once, observed 0*"])
    result.stdout.fnmatch_lines(["*expected no handler for SIGTERM to run, observed 1 call(s)*"])
    result.stdout.fnmatch_lines(["*expected SIGHUP to be sent at least once, observed 0*"])
    # The helpers hide their own frames: the failure points at the test's line.
    result.stdout.no_fnmatch_line("*_events.py*")


def test_failed_test_report_has_a_signal_timeline_section(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import signal
        def test_fails(send_signal):
            signal.signal(signal.SIGHUP, lambda s, f: None)
            send_signal(signal.SIGHUP)
            signal.signal(signal.SIGHUP, signal.SIG_DFL)
            assert False, "boom"
        def test_passes(send_signal):
            signal.signal(signal.SIGHUP, lambda s, f: None)
            send_signal(signal.SIGHUP)
            signal.signal(signal.SIGHUP, signal.SIG_DFL)
        """
    )
    # pytest keeps every report's sections for the whole session: a passing
    # test's timeline is kept only when -rP/-rA will show it.
    pytester.makeconftest(
        """
        def pytest_runtest_logreport(report):
            if report.passed and report.when == "call":
                with open("passed-sections.txt", "a") as f:
                    f.write(repr([title for title, _ in report.sections]) + "\\n")
        """
    )
    result = run()
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*- Captured signal timeline call -*",
            "+*s  installed*SIGHUP*",
            "+*s  sent*SIGHUP*via raise, to the test process*",
            "+*s  handled*SIGHUP*sent by the test*",
        ]
    )
    assert result.stdout.str().count("signal timeline") == 1
    assert "signal timeline" not in (pytester.path / "passed-sections.txt").read_text()
    shown = run("-rP")
    shown.stdout.fnmatch_lines(["*PASSES*", "*- Captured signal timeline call -*", "+*s  handled*SIGHUP*"])


def test_a_helper_s_failure_shows_the_timeline_once(pytester: pytest.Pytester, run) -> None:
    """In the assertion message (which says what was expected and observed),
    not again in the phase's "signal timeline" section."""
    pytester.makepyfile(
        """
        import signal, pytest

        def on_hup(signum, frame):
            pass

        def hup_once(send_signal):
            signal.signal(signal.SIGHUP, on_hup)
            send_signal(signal.SIGHUP)
            signal.signal(signal.SIGHUP, signal.SIG_DFL)

        def test_helper_fails(send_signal, signal_log):
            hup_once(send_signal)
            signal_log.assert_handled(signal.SIGHUP, times=2)

        def test_caught_then_a_plain_assert_fails(send_signal, signal_log):
            hup_once(send_signal)
            with pytest.raises(AssertionError):
                signal_log.assert_not_handled(signal.SIGHUP)
            assert False, "boom"
        """
    )
    helper = run("-k", "helper_fails")
    helper.assert_outcomes(failed=1)
    helper.stdout.fnmatch_lines(
        [
            "*AssertionError: expected SIGHUP to be handled 2 time(s), observed 1 matching call(s).",
            "*signal timeline:",
            "*installed*SIGHUP*",
        ]
    )
    # (Under CI=true pytest prints the whole message again in the short summary.)
    report = helper.stdout.str().split("short test summary info")[0]
    assert report.count("signal timeline") == 1
    assert report.count("handled             SIGHUP") == 1
    plain = run("-k", "plain_assert")
    plain.assert_outcomes(failed=1)
    plain.stdout.fnmatch_lines(["*- Captured signal timeline call -*", "+*s  handled*SIGHUP*"])


def test_bad_arguments_to_the_helpers(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import pytest
        def test_bad(signal_log):
            with pytest.raises(ValueError, match="unknown signal 'SIGBAD'"):
                signal_log.assert_handled("SIGBAD")
            with pytest.raises(ValueError, match="times=-1 must be a whole number"):
                signal_log.assert_handled("TERM", times=-1)
            with pytest.raises(ValueError, match="unknown event kind 'nope'"):
                signal_log.filter("nope")
        """
    )
    run().assert_outcomes(passed=1)


def test_an_event_loop_s_internal_handler_is_not_logged(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import asyncio, signal

        def test_loop(send_signal, signal_log):
            got = []
            async def main():
                loop = asyncio.get_running_loop()
                loop.add_signal_handler(signal.SIGUSR1, got.append, "usr1")
                assert send_signal(signal.SIGUSR1).outcome == "queued"
                while not got:
                    await asyncio.sleep(0)
                loop.remove_signal_handler(signal.SIGUSR1)
            asyncio.run(main())
            assert got == ["usr1"]
            names = [e.handler for e in signal_log if e.handler]
            assert not any("noop" in name for name in names), names
            assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL
        """
    )
    run().assert_outcomes(passed=1)


class _Server:
    def on_term(self, signum: int, frame: object) -> None:
        pass


def _on_hup(signum: int, frame: object) -> None:
    pass


def test_by_sees_through_partials_and_bound_methods() -> None:
    """Matching only: a log filled by hand, no signal involved."""
    import functools
    import signal

    from pytest_signals import SignalLog
    from pytest_signals._remote.names import handler_name

    server = _Server()
    log = SignalLog()
    log.record("handled", signal.SIGINT, handler="partial(asyncio.runners.Runner._on_sigint)")
    log.record("handled", signal.SIGTERM, handler=handler_name(functools.partial(server.on_term)))
    log.record("handled", signal.SIGHUP, handler=handler_name(server.on_term))
    log.record("handled", signal.SIGUSR1, handler=handler_name(functools.partial(functools.partial(_on_hup, 1))))

    for by in ("Runner._on_sigint", "_on_sigint", "asyncio.runners.Runner._on_sigint", "partial(Runner._on_sigint)"):
        log.assert_handled(signal.SIGINT, times=1, by=by)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        for by in ("_Server.on_term", "on_term", server.on_term, _Server.on_term, functools.partial(server.on_term)):
            log.assert_handled(sig, times=1, by=by)
    log.assert_handled(signal.SIGUSR1, times=1, by="_on_hup")
    log.assert_handled(signal.SIGUSR1, times=1, by=_on_hup)
    for sig, by in ((signal.SIGINT, "runners"), (signal.SIGINT, "Runner"), (signal.SIGTERM, "Server.on_term")):
        with pytest.raises(AssertionError, match="observed 0 matching call"):
            log.assert_handled(sig, by=by)
