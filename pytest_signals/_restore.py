"""Putting the process back: one undo stack for every process-wide change,
and a snapshot of the signal state a test may disturb.

Every change the plugin makes to the process (a patched function, a handler,
the wakeup fd, the mask, the interval timer) is pushed on an :class:`UndoStack`
and undone in reverse order, like ``monkeypatch``.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_NOTSET: Any = object()


class UndoStack:
    """Changes to global state, undone last-in first-out.

    :meth:`undo` runs every entry even when one fails (the first error is
    raised after all ran) and can be called any number of times: each entry
    runs once.
    """

    def __init__(self) -> None:
        self._entries: list[tuple[str, Callable[[], None]]] = []

    def __len__(self) -> int:
        return len(self._entries)

    def setattr(self, target: object, name: str, value: object) -> None:
        """Set ``target.name = value``, remembering the old value (or its absence).

        On a class, an inherited attribute counts as absent: undo deletes the
        override instead of copying the inherited value onto the class."""
        old = vars(target).get(name, _NOTSET) if isinstance(target, type) else getattr(target, name, _NOTSET)

        def restore() -> None:
            if old is _NOTSET:
                delattr(target, name)
            else:
                setattr(target, name, old)

        setattr(target, name, value)
        self._entries.append((f"{getattr(target, '__name__', target)}.{name}", restore))

    def defer(self, description: str, undo: Callable[[], None]) -> None:
        """Run *undo* when the stack is undone."""
        self._entries.append((description, undo))

    def undo(self) -> None:
        """Undo everything, newest first. Safe to call twice."""
        first: BaseException | None = None
        while self._entries:
            description, undo = self._entries.pop()
            try:
                undo()
            except Exception as exc:  # keep undoing the rest
                if first is None:
                    first = RuntimeError(f"pytest-signals could not undo {description}: {exc!r}")
                    first.__cause__ = exc
        if first is not None:
            raise first


@dataclass
class TimerState:
    """``ITIMER_REAL`` as it was, and when it was read."""

    remaining: float
    interval: float
    taken_at: float

    @classmethod
    def capture(cls) -> TimerState:
        remaining, interval = signal.getitimer(signal.ITIMER_REAL)
        return cls(remaining, interval, time.monotonic())

    def restore(self) -> None:
        """Re-arm the timer as it would be now had nobody touched it."""
        if self.remaining == 0.0:
            signal.setitimer(signal.ITIMER_REAL, 0.0)
            return
        elapsed = time.monotonic() - self.taken_at
        left = self.remaining - elapsed
        if left <= 0 and self.interval > 0:
            left = self.interval - ((elapsed - self.remaining) % self.interval)
        if left <= 0:
            # It would have fired during the test; firing it now, late, would
            # hit whatever runs next. Leave it disarmed.
            signal.setitimer(signal.ITIMER_REAL, 0.0)
            return
        signal.setitimer(signal.ITIMER_REAL, left, self.interval)


@dataclass
class SignalState:
    """The wakeup fd, the main thread's mask and ``ITIMER_REAL`` at one moment.

    (Dispositions are kept by the observer, which restores the exact handler
    objects it found.)
    """

    wakeup_fd: int
    mask: frozenset[int]
    timer: TimerState

    @classmethod
    def capture(cls) -> SignalState:
        wakeup_fd = signal.set_wakeup_fd(-1)
        if wakeup_fd != -1:
            signal.set_wakeup_fd(wakeup_fd)
        return cls(
            wakeup_fd=wakeup_fd,
            mask=frozenset(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])),
            timer=TimerState.capture(),
        )

    def current_wakeup_fd(self) -> int:
        fd = signal.set_wakeup_fd(-1)
        if fd != -1:
            signal.set_wakeup_fd(fd)
        return fd

    def current_mask(self) -> frozenset[int]:
        return frozenset(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, []))

    def restore_wakeup_fd(self) -> None:
        signal.set_wakeup_fd(self.wakeup_fd)

    def restore_mask(self) -> None:
        signal.pthread_sigmask(signal.SIG_SETMASK, self.mask)
