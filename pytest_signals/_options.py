"""Settings: ``signal_timeout``, ``signal_strict``, ``signal_report``,
``signal_start_method`` and ``signal_output_memory``, each a command-line
option and an ini key with one help text. The command line wins over the ini
file; a bad value is a ``pytest.UsageError`` that names the setting and where
it came from.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass

import pytest

DEFAULT_TIMEOUT = 5.0

TIMEOUT_HELP = (
    "Seconds every wait of pytest-signals may take before it fails the test "
    f"(a handler to run, a child to get ready). Default {DEFAULT_TIMEOUT:g}."
)
STRICT_HELP = "Fail a test that leaves a signal handler, mask, wakeup fd or timer changed, instead of warning."
START_METHODS = ("auto", "forkserver", "exec")
START_HELP = (
    "How spawn() starts Python children: forkserver (forked from a warm template that has imported "
    "asyncio: a few milliseconds), exec (a new interpreter each time), or auto (forkserver on Linux, "
    "exec elsewhere). Default auto."
)
REPORT_HELP = (
    "End the run with a signal coverage summary: for each signal, how many tests sent it and how it was "
    "received, and the handlers installed that no test delivered a signal to. Works under xdist."
)
DEFAULT_OUTPUT_MEMORY = 32 * 1024 * 1024
OUTPUT_MEMORY_HELP = (
    "Bytes of a spawned child's output kept in memory (K, M and G are binary: 1M = 1,048,576); "
    "above it the output moves to an anonymous temporary file. Default 32M."
)


MAX_TIMEOUT = 2_000_000.0  # about 23 days: every wait the plugin uses (select, poll in ms) takes it


def check_timeout(value: object, source: str) -> float:
    """A positive, finite number of seconds up to :data:`MAX_TIMEOUT`, or a
    ValueError naming *source* and the value."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{source}={value!r} is not a number of seconds (an int or a float)")
    return _check_seconds(float(value), value, source)


def parse_timeout(text: object, source: str) -> float:
    """:func:`check_timeout` for a setting's text (the command line, the ini file)."""
    try:
        seconds = float(str(text).strip())
    except ValueError:
        raise ValueError(f"{source}={text!r} is not a number of seconds") from None
    return _check_seconds(seconds, text, source)


def _check_seconds(seconds: float, value: object, source: str) -> float:
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{source}={value!r} must be a positive, finite number of seconds")
    if seconds > MAX_TIMEOUT:
        raise ValueError(f"{source}={value!r} is too long: at most {MAX_TIMEOUT:g} seconds")
    return seconds


_SIZE = re.compile(r"(\d+)\s*(?:([KMG])(?:iB)?)?", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def parse_size(text: object, source: str) -> int:
    """A number of bytes, 0 or more, with an optional binary suffix (``512K``,
    ``32M``, ``1GiB``), or a ValueError naming *source* and the value."""
    match = _SIZE.fullmatch(str(text).strip())
    if match is None:
        raise ValueError(f"{source}={text!r} is not a number of bytes (such as 1048576, 512K, 32M or 1G)")
    return int(match[1]) * _UNITS[(match[2] or "").lower()]


def format_size(size: int) -> str:
    """*size* in the largest binary unit that divides it: ``32MiB``, ``1000B``."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size and size % scale == 0:
            return f"{size // scale}{unit}"
    return f"{size}B"


@dataclass(frozen=True)
class Settings:
    """The active settings, and where each came from."""

    timeout: float = DEFAULT_TIMEOUT
    strict: bool = False
    timeout_source: str = "default"
    strict_source: str = "default"
    report: bool = False
    start_method: str = "auto"
    output_memory: int = DEFAULT_OUTPUT_MEMORY

    def header(self) -> str:
        strict = "on" if self.strict else "off"
        report = ", report=on" if self.report else ""
        start = "" if self.start_method == "auto" else f", start_method={self.start_method}"
        memory = ""
        if self.output_memory != DEFAULT_OUTPUT_MEMORY:
            memory = f", output_memory={format_size(self.output_memory)}"
        return (
            f"signals: timeout={self.timeout:g}s ({self.timeout_source}), "
            f"strict={strict} ({self.strict_source}){report}{start}{memory}"
        )

    def forks(self) -> bool:
        """Whether spawn() forks Python children from the fork server."""
        if self.start_method == "auto":
            return sys.platform == "linux"
        return self.start_method == "forkserver"


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("signals", "pytest-signals")
    group.addoption("--signal-timeout", dest="signal_timeout", metavar="SECONDS", default=None, help=TIMEOUT_HELP)
    group.addoption(
        "--signal-strict",
        dest="signal_strict",
        action="store_true",
        default=None,
        help=STRICT_HELP,
    )
    group.addoption(
        "--signal-start-method", dest="signal_start_method", metavar="METHOD", default=None, help=START_HELP
    )
    group.addoption("--signal-report", dest="signal_report", action="store_true", default=None, help=REPORT_HELP)
    group.addoption(
        "--signal-output-memory", dest="signal_output_memory", metavar="BYTES", default=None, help=OUTPUT_MEMORY_HELP
    )
    parser.addini("signal_timeout", TIMEOUT_HELP, default=None)
    # Switches are pytest's bools (true/false, yes/no, on/off, 1/0); None: not set.
    parser.addini("signal_strict", STRICT_HELP, type="bool", default=None)
    parser.addini("signal_report", REPORT_HELP, type="bool", default=None)
    parser.addini("signal_start_method", START_HELP, default=None)
    parser.addini("signal_output_memory", OUTPUT_MEMORY_HELP, default=None)


def read_settings(config: pytest.Config) -> Settings:
    """Parse and validate the settings.

    Raises:
        pytest.UsageError: a bad value, naming the setting and its source.
    """
    timeout, timeout_source = DEFAULT_TIMEOUT, "default"
    raw = config.getoption("signal_timeout")
    source = "--signal-timeout"
    if raw is None:
        raw, source = config.getini("signal_timeout"), "signal_timeout in the ini file"
    if raw is not None:
        try:
            timeout = parse_timeout(raw, "signal_timeout")
        except ValueError as exc:
            raise pytest.UsageError(f"pytest-signals: {exc} (from {source})") from None
        timeout_source = source
    strict, strict_source = _read_flag(config, "signal_strict")
    report, _ = _read_flag(config, "signal_report")
    start_method, source = config.getoption("signal_start_method"), "--signal-start-method"
    if start_method is None:
        start_method, source = config.getini("signal_start_method"), "signal_start_method in the ini file"
    start_method = str(start_method or "auto").strip().lower()
    if start_method not in START_METHODS:
        raise pytest.UsageError(
            f"pytest-signals: signal_start_method={start_method!r} is not one of {', '.join(START_METHODS)} "
            f"(from {source})"
        )
    output_memory, source = config.getoption("signal_output_memory"), "--signal-output-memory"
    if output_memory is None:
        output_memory, source = config.getini("signal_output_memory"), "signal_output_memory in the ini file"
    memory = DEFAULT_OUTPUT_MEMORY
    if output_memory is not None:
        try:
            memory = parse_size(output_memory, "signal_output_memory")
        except ValueError as exc:
            raise pytest.UsageError(f"pytest-signals: {exc} (from {source})") from None
    return Settings(timeout, strict, timeout_source, strict_source, report, start_method, memory)


def _read_flag(config: pytest.Config, name: str) -> tuple[bool, str]:
    """A boolean setting and its source: the ``--signal-...`` flag, else the ini key."""
    if config.getoption(name):
        return True, "--" + name.replace("_", "-")
    try:
        value = config.getini(name)
    except (ValueError, TypeError, pytest.UsageError) as exc:
        # pytest 8 lets the parser's ValueError through; pytest 9 makes it a
        # UsageError whose text ("invalid truth value 'maybe'") names the value
        # but not the key.
        raise pytest.UsageError(
            f"pytest-signals: {name} in the ini file is not a boolean (use true or false): {exc}"
        ) from None
    if value is None:
        return False, "default"
    return bool(value), f"{name} in the ini file"
