"""Between two runs of a ``signal_anywhere`` body: the signal state each run
starts from, and putting back what a run left changed.

A run the signal cut short skips its cleanup (a handler left installed, a
mask left blocked), and the next run would start from that. So the state is
put back after every run, through the observer (its table, unlogged) and the
kernel (the mask; a signal left pending and blocked is taken with
``sigtimedwait``, never delivered), and each change is noted for the run that
made it. Timers and the wakeup fd are left to the guard.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .._remote.names import handler_name
from .._signals import signal_name
from . import kernel

if TYPE_CHECKING:
    from .observe import SignalObserver


@dataclass(frozen=True)
class Baseline:
    """The dispositions (the observer's table), the main thread's mask and
    the signals pending, at one moment."""

    table: dict[int, object]
    mask: frozenset[int]
    pending: frozenset[int]

    @classmethod
    def capture(cls, observer: SignalObserver) -> Baseline:
        return cls(observer.describe_dispositions(), kernel.blocked(), kernel.pending())

    def rewind(self, observer: SignalObserver, signum: int) -> tuple[list[str], bool]:
        """Make this state current again. Returns a note for each change, and
        whether *signum* was left pending (taken now, never delivered)."""
        notes: list[str] = []
        pending = False
        mask = kernel.blocked()
        for other in sorted(kernel.pending() - self.pending):
            if other in mask and kernel.take_pending(other):
                observer.forget_self_sent(other)
                if other == signum:
                    pending = True
                else:
                    notes.append(f"{signal_name(other)} pending and blocked: discarded")
        if mask != self.mask:
            blocked = ", ".join(signal_name(s) for s in sorted(mask - self.mask)) or "-"
            unblocked = ", ".join(signal_name(s) for s in sorted(self.mask - mask)) or "-"
            signal.pthread_sigmask(signal.SIG_SETMASK, self.mask)
            notes.append(f"the signal mask (blocked: {blocked}; unblocked: {unblocked})")
        for other, was in observer.put_back(self.table):
            notes.append(f"{signal_name(other)}: handler {handler_name(was)} left installed")
        return notes, pending

    def settle(self, observer: SignalObserver) -> None:
        """Make the dispositions and the mask current again, silently: what a
        plain run left, for the guard to judge at the end of the test."""
        observer.put_back(self.table)
        signal.pthread_sigmask(signal.SIG_SETMASK, self.mask)
