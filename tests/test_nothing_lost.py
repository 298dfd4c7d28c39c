"""Promise 1: no signal a test sends can kill, stop or abort the session."""

from __future__ import annotations

import signal
import xml.etree.ElementTree as ET

import pytest

FATAL_BY_DEFAULT = ["SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGQUIT"]


def test_plain_pytest_dies_without_the_plugin(pytester: pytest.Pytester) -> None:
    """The problem the plugin solves, shown: SIGTERM kills the whole run."""
    pytester.makepyfile(
        """
        import os, signal
        def test_kill():
            os.kill(os.getpid(), signal.SIGTERM)
        def test_after():
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:signals")
    assert result.ret == -signal.SIGTERM


@pytest.mark.parametrize("via", ["send_signal", "os.kill", "raise_signal", "marker"])
def test_default_action_fails_only_that_test(pytester: pytest.Pytester, run, via: str) -> None:
    sends = {
        "send_signal": "send_signal(sig)",
        "os.kill": "os.kill(os.getpid(), sig)",
        "raise_signal": "signal.raise_signal(sig)",
        "marker": "os.kill(os.getpid(), sig)",
    }[via]
    fixture = "" if via == "marker" else ("send_signal" if via == "send_signal" else "signal_log")
    mark = "@pytest.mark.sends_signal(*SIGNALS)" if via == "marker" else ""
    pytester.makepyfile(
        f"""
        import os, signal, pytest
        SIGNALS = {FATAL_BY_DEFAULT!r}

        {mark}
        @pytest.mark.parametrize("name", SIGNALS)
        def test_fatal({fixture + ", " if fixture else ""}name):
            sig = getattr(signal, name)
            {sends}
            raise AssertionError("unreachable: the process would have died")

        def test_after():
            pass
        """
    )
    result = run("--junitxml=report.xml")
    result.assert_outcomes(failed=len(FATAL_BY_DEFAULT), passed=1)
    result.stdout.fnmatch_lines(
        ["*SIGTERM reached the test process with its default action (terminate)*would have died*"]
    )
    result.stdout.fnmatch_lines(["*SIGQUIT*default action (core)*"])
    cases = ET.parse(pytester.path / "report.xml").getroot().iter("testcase")
    names = sorted(case.get("name") or "" for case in cases)
    assert names == sorted([f"test_fatal[{n}]" for n in FATAL_BY_DEFAULT] + ["test_after"])


def test_a_swallowed_failure_still_fails(run, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os, signal
        def test_swallow(signal_log):
            try:
                os.kill(os.getpid(), signal.SIGUSR1)
            except BaseException:
                pass
        """
    )
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*SIGUSR1 reached the test process with its default action*"])


def test_stop_signal_does_not_freeze_pytest(run, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import signal
        def test_stop(send_signal):
            send_signal(signal.SIGTSTP)
            # a stopped process does not run on; we do, and the test fails afterwards
        def test_after():
            pass
        """
    )
    result = run()
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*SIGTSTP*default action (stop)*would have been stopped*"])


def test_self_sent_sigint_fails_only_that_test(run, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os, signal, pytest
        def test_send(send_signal):
            send_signal(signal.SIGINT)
        def test_kill(signal_log):
            os.kill(os.getpid(), signal.SIGINT)
        @pytest.mark.sends_signal("SIGINT")
        def test_marker():
            signal.raise_signal(signal.SIGINT)
        def test_expected(send_signal):
            with pytest.raises(KeyboardInterrupt):
                send_signal("INT")
        def test_after():
            pass
        """
    )
    result = run()
    result.assert_outcomes(failed=3, passed=2)
    result.stdout.fnmatch_lines(["*KeyboardInterrupt from a SIGINT that this test sent*"])
    result.stdout.no_fnmatch_line("*no tests ran*")
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_sigint_at_sig_dfl_fails_the_test(run, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import signal
        def test_dfl(send_signal):
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            send_signal(signal.SIGINT)
        def test_after():
            assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        """
    )
    result = run("-W", "ignore::pytest_signals.SignalLeakWarning")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*SIGINT reached the test process with its default action (terminate)*"])


def test_keyboard_interrupt_not_from_a_signal_still_stops_the_session(run, pytester: pytest.Pytester) -> None:
    """Only interrupts the test caused are turned into failures."""
    pytester.makepyfile(
        """
        def test_raise(signal_log):
            raise KeyboardInterrupt
        def test_never_runs():
            pass
        """
    )
    result = run()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*KeyboardInterrupt*"])
    result.stdout.no_fnmatch_line("*1 passed*")


def test_signal_sent_from_fixture_setup_is_covered(run, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os, signal, pytest
        @pytest.fixture
        def server(send_signal):
            send_signal(signal.SIGHUP)
            yield
        def test_uses(server):
            pass
        def test_after():
            pass
        """
    )
    result = run()
    result.assert_outcomes(errors=1, passed=1)
    result.stdout.fnmatch_lines(["*SIGHUP reached the test process*"])


def test_forked_child_keeps_the_real_default_action(run, pytester: pytest.Pytester) -> None:
    """A fork of the test process is not protected: it dies as it would."""
    pytester.makepyfile(
        """
        import os, signal
        def test_fork(signal_log):
            pid = os.fork()
            if pid == 0:
                os.kill(os.getpid(), signal.SIGTERM)
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM
        """
    )
    run().assert_outcomes(passed=1)


def test_sigint_sent_while_a_fixture_tears_down(run, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import signal, pytest
        @pytest.fixture
        def noisy(send_signal):
            yield
            send_signal(signal.SIGINT)
        def test_uses(noisy):
            pass
        def test_after():
            pass
        """
    )
    result = run()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_uses*", "*KeyboardInterrupt from a SIGINT that this test sent*"]
    )
