"""The sends_signal and leaves_signal_state markers."""

from __future__ import annotations

import sys

import pytest


def test_registered_with_its_signature(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.sends_signal(*signals): the test sends these signals*"])


def test_strict_markers_accepts_it(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import pytest
        pytestmark = pytest.mark.sends_signal("TERM")
        def test_ok():
            pass
        """
    )
    run("--strict-markers").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("", "@pytest.mark.sends_signal needs at least one signal"),
        ("'SIGBOGUS'", "@pytest.mark.sends_signal('SIGBOGUS'): unknown signal 'SIGBOGUS'"),
        ("1.5", "@pytest.mark.sends_signal(1.5): 1.5 (type float) is not a signal"),
        ("99999", "@pytest.mark.sends_signal(99999): 99999 is not a valid signal number"),
        ("'TERM', timeout=3", "@pytest.mark.sends_signal takes no keyword arguments, got timeout=3"),
    ],
)
def test_bad_arguments_are_a_collection_error(pytester: pytest.Pytester, run, args: str, message: str) -> None:
    pytester.makepyfile(
        f"""
        import pytest
        @pytest.mark.sends_signal({args})
        def test_bad():
            pass
        def test_other():
            pass
        """
    )
    result = run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ERROR collecting*", f"*{message}*"])


@pytest.mark.skipif(sys.platform == "darwin", reason="SIGINFO exists on macOS")
def test_signal_missing_on_this_platform_skips(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.sends_signal("SIGINFO")
        def test_info():
            raise AssertionError("must not run")
        """
    )
    result = run("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*pytest-signals: signal SIGINFO does not exist on*"])


def test_class_and_module_markers_protect(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import os, signal, pytest

        @pytest.mark.sends_signal(signal.SIGUSR1)
        class TestServer:
            def test_kill(self):
                os.kill(os.getpid(), signal.SIGUSR1)
            @pytest.mark.parametrize("n", [1, 2])
            def test_param(self, n):
                os.kill(os.getpid(), signal.SIGUSR2)

        def test_after():
            pass
        """
    )
    result = run()
    result.assert_outcomes(failed=3, passed=1)


def test_leaves_signal_state_restores_without_a_warning(pytester: pytest.Pytester, run) -> None:
    # A CLI's main() installs its handlers for good: the normal shape of a CLI test.
    pytester.makepyfile(
        cli="""
        import signal
        def main():
            signal.signal(signal.SIGTERM, lambda s, f: None)
            signal.signal(signal.SIGHUP, lambda s, f: None)
            return 0
        """,
        test_it="""
        import signal
        import pytest
        import cli

        @pytest.mark.leaves_signal_state(reason="main() installs its handlers for good")
        def test_main():
            assert cli.main() == 0

        @pytest.mark.leaves_signal_state
        def test_main_with_the_fixtures(signal_log):
            assert cli.main() == 0
            assert len(signal_log.filter("installed")) == 2

        def test_after():
            assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
            assert signal.getsignal(signal.SIGHUP) in (signal.SIG_DFL, signal.SIG_IGN)

        def test_unmarked_still_warns(signal_log):
            cli.main()
        """,
    )
    result = run("--signal-strict")
    result.assert_outcomes(passed=4, errors=1)  # the unmarked one passes its call and fails its teardown
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_unmarked_still_warns*"])


def test_leaves_signal_state_rejects_bad_arguments(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.leaves_signal_state(True)
        def test_bad():
            pass
        """
    )
    result = run()
    result.stdout.fnmatch_lines(["*@pytest.mark.leaves_signal_state takes only reason='...', got (True)*"])
    assert result.ret != 0


def test_leaves_signal_state_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.leaves_signal_state(reason=None): *"])
