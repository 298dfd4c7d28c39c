"""The :class:`Delivery` record that ``send_signal`` returns."""

from __future__ import annotations

import threading
from collections.abc import Generator
from typing import Any

from ._events import SignalEvent
from ._signals import signal_name

OUTCOMES = ("handled", "ignored", "default", "blocked", "sent")


class Delivery:
    """What became of one signal sent with ``send_signal``.

    Attributes:
        signal: the signal sent.
        target: pid of the process it was sent to.
        via: how it was sent (``"raise"``, ``"kill"``).
        outcome: ``"handled"`` (a Python handler ran), ``"ignored"``
            (``SIG_IGN``, or a default action of ignore), ``"default"`` (the
            default action would have ended or stopped the process),
            ``"blocked"`` (pending in the signal mask) or ``"sent"`` (sent to
            a process the plugin does not observe).
        handler: qualified name of the handler that ran, or None.
        events: the log events this delivery caused, ``"sent"`` first.

    A delivery is complete once its outcome is known. Deliveries to the test
    process complete before ``send_signal`` returns; :meth:`wait` and ``await``
    return at once for them.
    """

    def __init__(self, signal: int, target: int, via: str) -> None:
        self.signal = signal
        self.target = target
        self.via = via
        self.outcome = "sent"
        self.handler: str | None = None
        self.events: tuple[SignalEvent, ...] = ()
        self._done = threading.Event()

    @property
    def handled(self) -> bool:
        """True when a Python-level handler was observed running."""
        return self.outcome == "handled"

    @property
    def done(self) -> bool:
        """True once the outcome is known."""
        return self._done.is_set()

    def _complete(self, outcome: str, handler: str | None, events: tuple[SignalEvent, ...]) -> None:
        self.outcome = outcome
        self.handler = handler
        self.events = events
        self._done.set()

    def wait(self, timeout: float | None = None) -> Delivery:
        """Block until the outcome is known, at most *timeout* seconds.

        Raises:
            TimeoutError: the outcome was not known in time.
        """
        if not self._done.wait(timeout):
            raise TimeoutError(f"{self!r} did not complete within {timeout}s")
        return self

    def __await__(self) -> Generator[Any, None, Delivery]:
        if not self.done:
            raise RuntimeError(f"{self!r} is not complete and cannot be awaited yet")
        return self
        yield  # pragma: no cover - makes this a generator

    def __repr__(self) -> str:
        extra = f" by {self.handler}" if self.handler else ""
        return f"<Delivery {signal_name(self.signal)} to pid {self.target} via {self.via}: {self.outcome}{extra}>"
