"""signal_timeout and signal_strict: command line, ini file, header, bad values."""

from __future__ import annotations

import pytest


def test_header_shows_defaults(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile("def test_x(): pass")
    run().stdout.fnmatch_lines(["signals: timeout=5s (default), strict=off (default)*"])


def test_start_method_in_the_header_when_chosen(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile("def test_x(): pass")
    run("--signal-start-method=exec").stdout.fnmatch_lines(["signals: *, start_method=exec"])


def test_ini_values(pytester: pytest.Pytester, run) -> None:
    pytester.makeini(
        """
        [pytest]
        asyncio_default_fixture_loop_scope = function
        signal_timeout = 2.5
        signal_strict = true
        """
    )
    pytester.makepyfile("def test_x(): pass")
    run().stdout.fnmatch_lines(
        ["signals: timeout=2.5s (signal_timeout in the ini file), strict=on (signal_strict in the ini file)*"]
    )


@pytest.mark.parametrize(("text", "shown"), [("yes", "on"), ("on", "on"), ("1", "on"), ("no", "off"), ("0", "off")])
def test_switches_are_pytest_bools(pytester: pytest.Pytester, run, text: str, shown: str) -> None:
    pytester.makeini(f"[pytest]\nasyncio_default_fixture_loop_scope = function\nsignal_strict = {text}\n")
    pytester.makepyfile("def test_x(): pass")
    run().stdout.fnmatch_lines([f"signals: *strict={shown} (signal_strict in the ini file)*"])


@pytest.mark.skipif(int(pytest.__version__.split(".")[0]) < 9, reason="[tool.pytest] with native types is pytest 9")
def test_switches_in_native_toml(pytester: pytest.Pytester, run) -> None:
    table = '[tool.pytest]\nasyncio_default_fixture_loop_scope = "function"\n'
    pytester.makepyfile("def test_x(): pass")
    pytester.makepyprojecttoml(table + "signal_strict = true\n")
    run().stdout.fnmatch_lines(["signals: *strict=on (signal_strict in the ini file)*"])
    pytester.makepyprojecttoml(table + 'signal_report = "yes"\n')
    result = run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*pytest-signals: signal_report in the ini file is not a boolean*expects a bool*"])


def test_command_line_wins_over_ini(pytester: pytest.Pytester, run) -> None:
    pytester.makeini(
        """
        [pytest]
        asyncio_default_fixture_loop_scope = function
        signal_timeout = 2.5
        signal_strict = false
        """
    )
    pytester.makepyfile("def test_x(): pass")
    run("--signal-timeout=0.5", "--signal-strict").stdout.fnmatch_lines(
        ["signals: timeout=0.5s (--signal-timeout), strict=on (--signal-strict)*"]
    )


def test_timeout_bounds_the_wait(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import signal
        def test_never(send_signal):
            signal.signal(signal.SIGUSR1, lambda s, f: None)
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
            try:
                send_signal(signal.SIGUSR1, via="kill")
            finally:
                signal.signal(signal.SIGUSR1, signal.SIG_IGN)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})
                signal.signal(signal.SIGUSR1, signal.SIG_DFL)
        """
    )
    result = run("--signal-timeout=0.2")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*waited 0.2s for the handler*"])


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (
            ["--signal-timeout=-1"],
            "",
            "signal_timeout='-1' must be a positive, finite number of seconds (from --signal-timeout)",
        ),
        (["--signal-timeout=abc"], "", "signal_timeout='abc' is not a number of seconds (from --signal-timeout)"),
        ([], "signal_timeout = nan", "signal_timeout='nan' must be a positive*(from signal_timeout in the ini file)"),
        ([], "signal_timeout = 0", "signal_timeout='0' must be a positive*"),
        ([], "signal_strict = maybe", "signal_strict in the ini file is not a boolean (use true or false): *'maybe'*"),
        ([], "signal_strict =", "signal_strict in the ini file is not a boolean*"),
        ([], "signal_report = sometimes", "signal_report in the ini file is not a boolean*'sometimes'*"),
    ],
)
def test_bad_values_are_usage_errors(pytester: pytest.Pytester, run, args: list[str], ini: str, message: str) -> None:
    pytester.makeini(f"[pytest]\nasyncio_default_fixture_loop_scope = function\n{ini}\n")
    pytester.makepyfile("def test_x(): pass")
    result = run(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*pytest-signals: {message}*"])
