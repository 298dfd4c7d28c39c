"""The settings: command line, ini file, header, bad values."""

from __future__ import annotations

import pytest

from pytest_signals._options import DEFAULT_OUTPUT_MEMORY, format_size, parse_size


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
        (
            ["--signal-output-memory=lots"],
            "",
            "signal_output_memory='lots' is not a number of bytes (such as 1048576, 512K, 32M or 1G) "
            "(from --signal-output-memory)",
        ),
        (
            [],
            "signal_output_memory = 32MB",
            "signal_output_memory='32MB' is not a number of bytes*(from signal_output_memory in the ini file)",
        ),
        ([], "signal_output_memory = -1", "signal_output_memory='-1' is not a number of bytes*"),
    ],
)
def test_bad_values_are_usage_errors(pytester: pytest.Pytester, run, args: list[str], ini: str, message: str) -> None:
    pytester.makeini(f"[pytest]\nasyncio_default_fixture_loop_scope = function\n{ini}\n")
    pytester.makepyfile("def test_x(): pass")
    result = run(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*pytest-signals: {message}*"])


def test_output_memory_in_the_header_when_chosen(pytester: pytest.Pytester, run) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\nsignal_output_memory = 512K\n")
    pytester.makepyfile("def test_x(): pass")
    run().stdout.fnmatch_lines(["signals: *, output_memory=512KiB"])
    run("--signal-output-memory=1G").stdout.fnmatch_lines(["signals: *, output_memory=1GiB"])
    result = run("--signal-output-memory=32M")
    result.stdout.fnmatch_lines(["signals: timeout=*"])
    result.stdout.no_fnmatch_line("signals: *output_memory*")


@pytest.mark.parametrize(
    ("text", "size"),
    [("0", 0), ("1000", 1000), (" 64k ", 65536), ("32M", DEFAULT_OUTPUT_MEMORY), ("32MiB", 32 << 20), ("1g", 1 << 30)],
)
def test_output_memory_sizes(text: str, size: int) -> None:
    assert parse_size(text, "signal_output_memory") == size


def test_output_memory_is_shown_in_the_largest_unit() -> None:
    assert [format_size(n) for n in (0, 1000, 4096, 32 << 20, 3 << 30)] == ["0B", "1000B", "4KiB", "32MiB", "3GiB"]
