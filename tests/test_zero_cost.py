"""Tests that use neither fixture nor marker run exactly as without the plugin."""

from __future__ import annotations

import pytest


def test_no_autouse_fixture_and_no_heavy_imports(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import signal, sys
        def test_untouched(request):
            assert not any(name.startswith("_signal") or "signal" in name for name in request.fixturenames)
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
            import _signal
            assert _signal.signal.__module__ in (None, "_signal")
            assert "pexpect" not in sys.modules
        """
    )
    run().assert_outcomes(passed=1)


def test_plugin_module_imports_nothing_heavy(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import subprocess, sys
        def test_imports():
            code = (
                "import sys; import pytest_signals.plugin; "
                "heavy = [m for m in ('asyncio', 'pexpect', 'anyio', 'trio', 'pytest_asyncio') if m in sys.modules]; "
                "print(heavy)"
            )
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            assert out.stdout.strip() == "[]"
        """
    )
    pytester.runpytest_subprocess("-p", "no:signals").assert_outcomes(passed=1)


def test_entry_point_name_disables_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(signal_log): pass")
    result = pytester.runpytest_subprocess("-p", "no:signals")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'signal_log' not found*"])


def test_windows_skips_with_a_clear_reason(pytester: pytest.Pytester, run) -> None:
    """On Windows the plugin imports, and every test that uses it is skipped."""
    pytester.makeconftest(
        """
        import sys
        import pytest

        @pytest.hookimpl(tryfirst=True)
        def pytest_runtest_setup(item):
            sys.platform = "win32"  # what the fixture checks at run time

        @pytest.hookimpl(trylast=True)
        def pytest_runtest_teardown(item):
            sys.platform = "linux"
        """
    )
    pytester.makepyfile(
        """
        import pytest
        def test_fixture(send_signal):
            raise AssertionError("must not run")
        @pytest.mark.sends_signal("SIGTERM")
        def test_marker():
            raise AssertionError("must not run")
        def test_plain():
            pass
        """
    )
    result = run("-rs")
    result.assert_outcomes(skipped=2, passed=1)
    result.stdout.fnmatch_lines(["*pytest-signals: POSIX signals are not available on Windows*"])
