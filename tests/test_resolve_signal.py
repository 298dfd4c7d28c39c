"""Signal names, numbers and members: pure functions, no process state."""

from __future__ import annotations

import signal
import sys

import pytest

from pytest_signals import SignalNotAvailable, resolve_signal
from pytest_signals._signals import default_action, signal_name


@pytest.mark.parametrize(
    "value",
    [signal.SIGTERM, int(signal.SIGTERM), "SIGTERM", "TERM", "sigterm", " term "],
)
def test_accepted_spellings(value: object) -> None:
    resolved = resolve_signal(value)
    assert resolved == signal.SIGTERM
    assert isinstance(resolved, signal.Signals)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("SIGFOO", "unknown signal 'SIGFOO'"),
        ("", "unknown signal ''"),
        (99999, "99999 is not a valid signal number"),
        (-1, "-1 is not a valid signal number"),
        (1.5, "1.5 (type float) is not a signal"),
        (None, "None (type NoneType) is not a signal"),
        (True, "True (type bool) is not a signal"),
        ("SIG_DFL", "unknown signal 'SIG_DFL'"),
    ],
)
def test_bad_values_name_the_value(value: object, fragment: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        resolve_signal(value)
    assert fragment in str(excinfo.value)


@pytest.mark.skipif(sys.platform == "darwin", reason="SIGINFO exists on macOS")
def test_real_name_missing_on_this_platform() -> None:
    with pytest.raises(SignalNotAvailable, match="'SIGINFO' does not exist on"):
        resolve_signal("SIGINFO")


@pytest.mark.skipif(not hasattr(signal, "SIGRTMIN"), reason="no real-time signals")
def test_realtime_signals() -> None:
    assert resolve_signal("SIGRTMIN+2") == signal.SIGRTMIN + 2
    assert resolve_signal("RTMAX-1") == signal.SIGRTMAX - 1
    assert signal_name(signal.SIGRTMIN + 2) == "SIGRTMIN+2"
    with pytest.raises(ValueError, match=r"outside SIGRTMIN\.\.SIGRTMAX"):
        resolve_signal("SIGRTMAX+1")


@pytest.mark.parametrize(
    ("name", "action"),
    [
        ("SIGTERM", "terminate"),
        ("SIGQUIT", "core"),
        ("SIGTSTP", "stop"),
        ("SIGCONT", "continue"),
        ("SIGCHLD", "ignore"),
        ("SIGUSR1", "terminate"),
    ],
)
def test_default_actions(name: str, action: str) -> None:
    assert default_action(resolve_signal(name)) == action
