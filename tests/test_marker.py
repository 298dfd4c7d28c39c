"""The sends_signal marker."""

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
