"""The markers ``sends_signal`` and ``signal_anywhere``: their registration lines and their validation."""

from __future__ import annotations

import signal
from collections.abc import Iterable
from dataclasses import dataclass

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


ANYWHERE_MARKER_LINE = (
    "signal_anywhere(sig, *, within, include=None, exclude=None, max_points=200, seed=None, only=None): "
    "run the test once to count the points of within (each line of it, and of the project's code it calls, "
    "the first time it runs), then once per point with sig delivered there; the test fails naming each "
    "failing point. The test may use no fixture but send_signal and signal_log: fixtures are set up once "
    "per test, not once per run. The arguments are those of the signal_anywhere fixture."
)
ANYWHERE_KEYWORDS = ("within", "include", "exclude", "max_points", "seed", "only")
ANYWHERE_FIXTURES = frozenset({"send_signal", "signal_log"})  # no state a run could leave to the next


@dataclass(frozen=True)
class AnywhereOptions:
    """A ``signal_anywhere`` mark's arguments, checked."""

    signal: int
    kwargs: dict[str, object]


def anywhere_options(mark: pytest.Mark) -> AnywhereOptions | str:
    """The mark's options, or the name of a signal this platform lacks.

    Raises:
        ValueError: no signal or more than one, an unknown keyword, a bad
            value, naming the marker and the argument.
    """
    from ._inproc.anywhere_plan import check_max_points, check_only, check_seed, within_codes

    where = "@pytest.mark.signal_anywhere"
    if len(mark.args) != 1:
        raise ValueError(
            f"{where} takes one signal, e.g. signal_anywhere(signal.SIGINT, within=f); got {len(mark.args)}"
        )
    unknown = sorted(set(mark.kwargs) - set(ANYWHERE_KEYWORDS))
    if unknown:
        raise ValueError(
            f"{where}: unknown keyword argument(s) {', '.join(unknown)}; use {', '.join(ANYWHERE_KEYWORDS)}"
        )
    if "within" not in mark.kwargs:
        raise ValueError(f"{where} needs within=, the function whose points are explored")
    arg = mark.args[0]
    try:
        signum = resolve_signal(arg)
    except SignalNotAvailable:
        return str(arg)
    except ValueError as exc:
        raise ValueError(f"{where}({arg!r}): {exc}") from None
    if signum in (signal.SIGKILL, signal.SIGSTOP):
        raise ValueError(f"{where}({arg!r}): {signal_name(signum)} cannot be caught, so no handler can run")
    kwargs = mark.kwargs
    try:
        within_codes(kwargs["within"])
        check_max_points(kwargs.get("max_points", 200))
        check_seed(kwargs.get("seed"))
        check_only(kwargs.get("only"))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from None
    return AnywhereOptions(signum, dict(kwargs))


def anywhere_fixtures_refused(argnames: Iterable[str]) -> str | None:
    """Why a marked test cannot be run once per point, or None."""
    stateful = sorted(set(argnames) - ANYWHERE_FIXTURES)
    if not stateful:
        return None
    return (
        f"@pytest.mark.signal_anywhere runs the test function once per point, but its fixtures "
        f"({', '.join(stateful)}) are set up once per test, so every run after the first would start from "
        "what the previous run left: fresh state per run cannot be guaranteed. Use the signal_anywhere "
        "fixture instead and set the state up inside `with run:`."
    )
