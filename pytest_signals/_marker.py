"""The ``sends_signal`` marker: its registration line and its validation."""

from __future__ import annotations

import signal
from collections.abc import Iterable

import pytest

from ._signals import SignalNotAvailable, resolve_signal, signal_name

MARKER_LINE = (
    "sends_signal(*signals): the test sends these signals (signal.Signals, numbers or "
    "names such as 'SIGTERM' or 'TERM') to its own process. pytest-signals protects the "
    "session from them and restores signal state afterwards; a signal this platform lacks "
    "skips the test."
)


LEAVES_LINE = (
    "leaves_signal_state(reason=None): the test leaves signal state changed on purpose (a CLI's "
    "main() installs its handlers for good). pytest-signals protects it as sends_signal does and "
    "still restores the state afterwards, without a SignalLeakWarning (nor a signal_strict failure)."
)


def leaves_state(item: pytest.Item) -> bool:
    """Whether *item* is marked ``leaves_signal_state``.

    Raises:
        ValueError: a positional argument other than the reason, or an unknown keyword.
    """
    mark = item.get_closest_marker("leaves_signal_state")
    if mark is None:
        return False
    unknown = set(mark.kwargs) - {"reason"}
    if unknown or len(mark.args) > 1 or (mark.args and not isinstance(mark.args[0], str)):
        given = ", ".join([*map(repr, mark.args), *(f"{k}={v!r}" for k, v in mark.kwargs.items())])
        raise ValueError(f"@pytest.mark.leaves_signal_state takes only reason='...', got ({given})")
    return True


def marker_signals(markers: Iterable[pytest.Mark]) -> tuple[list[int], list[str]]:
    """Signals named by ``sends_signal`` marks, and the names this platform lacks.

    Raises:
        ValueError: a mark with no signal, a keyword argument, or a bad signal,
            naming the marker and the bad argument.
    """
    signals: list[int] = []
    missing: list[str] = []
    for mark in markers:
        if mark.kwargs:
            bad = ", ".join(f"{k}={v!r}" for k, v in mark.kwargs.items())
            raise ValueError(f"@pytest.mark.sends_signal takes no keyword arguments, got {bad}")
        if not mark.args:
            raise ValueError("@pytest.mark.sends_signal needs at least one signal, e.g. sends_signal(signal.SIGTERM)")
        for arg in mark.args:
            try:
                signum = resolve_signal(arg)
            except SignalNotAvailable:
                missing.append(str(arg))
                continue
            except ValueError as exc:
                raise ValueError(f"@pytest.mark.sends_signal({arg!r}): {exc}") from None
            if signum in (signal.SIGKILL, signal.SIGSTOP):
                raise ValueError(
                    f"@pytest.mark.sends_signal({arg!r}): {signal_name(signum)} cannot be caught, blocked or "
                    "observed, so no test can send it to its own process and go on; send it to a child "
                    "(spawn() and send_signal(sig, to=proc))"
                )
            signals.append(signum)
    return signals, missing
