"""Naming signals: turn what users write into signal numbers, and say what a
signal does by default.

Everything that accepts a signal (the fixtures, the marker, the log's
assertion helpers) goes through :func:`resolve_signal`, so a bad value gets the
same clear error everywhere.
"""

from __future__ import annotations

import re
import signal
import sys
from typing import Literal, TypeAlias

SignalLike: TypeAlias = "signal.Signals | int | str"
"""What the public API accepts as a signal: a member, a number or a name."""

DefaultAction = Literal["terminate", "core", "stop", "continue", "ignore"]

# Every signal name used by a POSIX system we know of. A name listed here but
# missing from ``signal`` is real, just not on this platform: the marker skips
# such a test instead of calling it a typo.
_KNOWN_NAMES = frozenset(
    [
        "SIGABRT",
        "SIGALRM",
        "SIGBREAK",
        "SIGBUS",
        "SIGCHLD",
        "SIGCLD",
        "SIGCONT",
        "SIGEMT",
        "SIGFPE",
        "SIGHUP",
        "SIGILL",
        "SIGINFO",
        "SIGINT",
        "SIGIO",
        "SIGIOT",
        "SIGKILL",
        "SIGLOST",
        "SIGLWP",
        "SIGPIPE",
        "SIGPOLL",
        "SIGPROF",
        "SIGPWR",
        "SIGQUIT",
        "SIGRTMAX",
        "SIGRTMIN",
        "SIGSEGV",
        "SIGSTKFLT",
        "SIGSTOP",
        "SIGSYS",
        "SIGTERM",
        "SIGTHR",
        "SIGTRAP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGUNUSED",
        "SIGURG",
        "SIGUSR1",
        "SIGUSR2",
        "SIGVTALRM",
        "SIGWINCH",
        "SIGXCPU",
        "SIGXFSZ",
    ]
)

_CORE = {"SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGSEGV"}
_CORE |= {"SIGSYS", "SIGXCPU", "SIGXFSZ", "SIGEMT"}
_STOP = {"SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU"}
_IGNORE = {"SIGCHLD", "SIGCLD", "SIGURG", "SIGWINCH", "SIGINFO"}
if sys.platform == "darwin":  # pragma: no cover - exercised on macOS only
    _IGNORE.add("SIGIO")

# Signals the kernel raises for a fault in the running code. faulthandler owns
# them, and a Python-level handler for a real fault would loop forever, so the
# plugin never puts a handler of its own on them.
FAULT_NAMES = frozenset({"SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGABRT", "SIGTRAP", "SIGSYS"})
UNCATCHABLE_NAMES = frozenset({"SIGKILL", "SIGSTOP"})

_RT_RE = re.compile(r"^SIGRT(MIN|MAX)([+-]\d+)?$")


class SignalNotAvailable(ValueError):
    """A real signal name that this platform does not have (``SIGINFO`` on Linux)."""


def _describe(value: object) -> str:
    return f"{value!r} (type {type(value).__name__})"


def signal_name(signum: int) -> str:
    """``SIGTERM`` for 15; ``SIGRTMIN+3`` for a real-time signal without a name."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        rtmin = getattr(signal, "SIGRTMIN", None)
        if rtmin is not None and signum > rtmin:
            return f"SIGRTMIN+{signum - rtmin}"
        return f"signal {signum}"


def _as_signal(signum: int) -> int:
    try:
        return signal.Signals(signum)
    except ValueError:
        return signum


_valid: frozenset[int] | None = None


def valid_signal_numbers() -> frozenset[int]:
    """``signal.valid_signals()`` as plain ints, computed once (the stdlib call
    builds an enum member per signal every time: too slow for a per-event path)."""
    global _valid
    if _valid is None:
        _valid = frozenset(int(s) for s in signal.valid_signals())
    return _valid


def resolve_signal(value: object) -> int:
    """Return the signal number for *value*, as a ``signal.Signals`` member
    where one exists (real-time signals between ``SIGRTMIN`` and ``SIGRTMAX``
    are plain ints).

    Accepts ``signal.Signals``, an ``int`` and a name with or without the
    ``SIG`` prefix (``"SIGTERM"``, ``"TERM"``, ``"sigterm"``, ``"SIGRTMIN+2"``).

    Raises:
        ValueError: *value* is not a signal, naming the bad value.
        SignalNotAvailable: a real signal name this platform lacks.
    """
    valid = valid_signal_numbers()
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(
            f"{_describe(value)} is not a signal: expected a signal.Signals member, "
            "a signal number or a name such as 'SIGTERM' or 'TERM'"
        )
    if isinstance(value, int):
        if isinstance(value, signal.Signals):
            return value
        if value not in valid:
            raise ValueError(f"{value!r} is not a valid signal number on {sys.platform}")
        return _as_signal(int(value))
    name = value.strip().upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    match = _RT_RE.match(name)
    if match and hasattr(signal, "SIGRTMIN"):
        base = getattr(signal, "SIGRT" + match.group(1))
        signum = base + int(match.group(2) or 0)
        if not signal.SIGRTMIN <= signum <= signal.SIGRTMAX:
            raise ValueError(f"{value!r} is outside SIGRTMIN..SIGRTMAX on {sys.platform}")
        return _as_signal(signum)
    member = getattr(signal, name, None)
    if isinstance(member, int) and name.startswith("SIG") and not name.startswith("SIG_"):
        return _as_signal(member)
    if name in _KNOWN_NAMES or match:
        raise SignalNotAvailable(f"signal {value!r} does not exist on {sys.platform}")
    raise ValueError(
        f"unknown signal {value!r}: expected a name such as 'SIGTERM' or 'TERM', "
        "a signal number or a signal.Signals member"
    )


_ACTIONS: dict[int, DefaultAction] = {}


def default_action(signum: int) -> DefaultAction:
    """What the kernel does with *signum* when its disposition is ``SIG_DFL``."""
    action = _ACTIONS.get(signum)
    if action is not None:
        return action
    name = signal_name(signum)
    if name in _CORE:
        action = "core"
    elif name in _STOP:
        action = "stop"
    elif name == "SIGCONT":
        action = "continue"
    elif name in _IGNORE:
        action = "ignore"
    else:
        action = "terminate"
    _ACTIONS[int(signum)] = action
    return action


def is_fatal_by_default(signum: int) -> bool:
    """True when the default action would end or freeze the process."""
    return default_action(signum) in ("terminate", "core", "stop")
