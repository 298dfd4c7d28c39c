"""The test process's signal state at one moment, and putting it back.

:class:`Snapshot` takes everything a test can disturb: every disposition (in
Python's table *and* in the kernel, so that a handler installed from C is
seen), the main thread's mask, the pending signals, the wakeup fd and
``ITIMER_REAL``. The restore is split into steps that
:meth:`~pytest_signals._inproc.guard.SignalGuard.finish` runs in a fixed
order, each step whatever the others did; each step returns the leaks it found.

The order matters because of pending signals: a signal the test left pending
and blocked would be delivered the moment the mask is restored, and with
``SIG_DFL`` back in place it would kill pytest. So pending signals are taken
first (consumed, never delivered: the test that blocked them is over), then
the mask is restored while the plugin's handlers are still underneath, and only
then are the dispositions put back.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

from .._compat import monotonic
from .._remote.names import handler_name
from .._signals import default_action, signal_name, valid_signal_numbers
from . import kernel
from .real import real_getsignal, real_signal

UNCATCHABLE = frozenset(int(s) for s in (signal.SIGKILL, signal.SIGSTOP))
TIMER_TOLERANCE = 0.1  # seconds: more than getitimer's and the clock's jitter, less than any real alarm


TIMERS = {
    signal.ITIMER_REAL: ("alarm/interval timer", "SIGALRM"),
    signal.ITIMER_VIRTUAL: ("ITIMER_VIRTUAL timer", "SIGVTALRM"),
    signal.ITIMER_PROF: ("ITIMER_PROF timer", "SIGPROF"),
}


@dataclass(frozen=True)
class TimerState:
    """One interval timer as it was, and when it was read (on the unpatched clock).

    ``ITIMER_REAL`` counts real time, so what it would read now can be
    computed; the CPU-time timers cannot be projected, and are only checked
    for being left armed when they were not before."""

    which: int
    remaining: float
    interval: float
    taken_at: float

    @classmethod
    def capture(cls, which: int = signal.ITIMER_REAL) -> TimerState:
        remaining, interval = signal.getitimer(which)
        return cls(which, remaining, interval, monotonic())

    def expected_now(self) -> tuple[float, float]:
        """What the timer would read now had nobody touched it."""
        if self.remaining == 0.0:
            return 0.0, 0.0
        if self.which != signal.ITIMER_REAL:
            return self.remaining, self.interval  # CPU time: not projected
        elapsed = monotonic() - self.taken_at
        left = self.remaining - elapsed
        if left <= 0 and self.interval > 0:
            left = self.interval - ((elapsed - self.remaining) % self.interval)
        if left <= 0:
            return 0.0, 0.0
        return left, self.interval

    def differs(self) -> bool:
        remaining, interval = signal.getitimer(self.which)
        if self.which != signal.ITIMER_REAL:
            return self.remaining == 0.0 and remaining > 0.0
        want, want_interval = self.expected_now()
        if (remaining == 0.0) != (want == 0.0):
            return True
        return abs(remaining - want) > TIMER_TOLERANCE or abs(interval - want_interval) > 1e-6

    def restore(self) -> None:
        """Re-arm (or disarm) the timer as it would be now had nobody touched it.
        One that would have fired during the test stays disarmed: firing it now,
        late, would hit whatever runs next."""
        if self.which != signal.ITIMER_REAL:
            signal.setitimer(self.which, 0.0)
            return
        left, interval = self.expected_now()
        signal.setitimer(self.which, left, interval if left else 0.0)


@dataclass(frozen=True)
class Disposition:
    """One signal's disposition: Python's table, and the kernel's bytes."""

    python: object  # what signal.getsignal said (None: installed from C, unknown to Python)
    raw: bytes | None  # struct sigaction, where it was read (the kernel has a handler)
    from_c: bool  # a handler installed from C (faulthandler): Python's table does not know it


def read_dispositions() -> dict[int, Disposition]:
    """Every catchable signal's disposition. On Linux one read of /proc tells
    which signals the kernel has a handler for, and only those are read through
    sigaction; elsewhere all are."""
    reader = kernel.raw_dispositions()
    status = kernel.caught_and_ignored()
    found = {}
    for signum in sorted(valid_signal_numbers() - UNCATCHABLE):
        python = real_getsignal(signum)
        raw = None
        if reader is not None and (status is None or signum in status[0]):
            raw = reader.read(signum)
        from_c = python is None or (
            raw is not None and not callable(python) and reader is not None and reader.handler(raw) not in (0, 1)
        )
        found[signum] = Disposition(python, raw, from_c)
    return found


def current_wakeup_fd() -> int:
    """Read the wakeup fd without re-validating it (it may have been closed):
    it stays at -1 until :meth:`Snapshot.restore_wakeup_fd` runs."""
    return signal.set_wakeup_fd(-1)


@dataclass
class Snapshot:
    dispositions: dict[int, Disposition]
    mask: frozenset[int]
    pending: frozenset[int]
    wakeup_fd: int
    timers: dict[int, TimerState]

    @classmethod
    def capture(cls) -> Snapshot:
        """Take the state; must run in the main thread (the wakeup fd is its)."""
        wakeup_fd = signal.set_wakeup_fd(-1)
        if wakeup_fd != -1:
            signal.set_wakeup_fd(wakeup_fd)
        return cls(
            dispositions=read_dispositions(),
            mask=kernel.blocked(),
            pending=kernel.pending(),
            wakeup_fd=wakeup_fd,
            timers={which: TimerState.capture(which) for which in TIMERS},
        )

    # -- the steps of the restore, in the order they run ------------------------------

    def drain_pending(self, describe: dict[int, object]) -> list[str]:
        """Take every signal that became pending during the test and is blocked
        now; *describe* maps signals to the disposition the code under test set."""
        leaks = []
        mask = kernel.blocked()
        for signum in sorted(kernel.pending() - self.pending):
            if signum not in mask or signum in UNCATCHABLE:
                continue
            taken = kernel.take_pending(signum)
            if taken:
                what = describe.get(signum, signal.SIG_DFL)
                would = (
                    f"run {handler_name(what)}"
                    if callable(what)
                    else ("do nothing (SIG_IGN)" if what == signal.SIG_IGN else f"{default_action(signum)} pytest")
                )
                leaks.append(
                    f"{signal_name(signum)} was still pending, blocked by the signal mask the test left, when "
                    f"the test ended: discarded ({taken}x; unblocking it would have made it {would} after the test)"
                )
        return leaks

    def restore_mask(self) -> list[str]:
        mask = kernel.blocked()
        if mask == self.mask:
            return []
        added = ", ".join(signal_name(s) for s in sorted(mask - self.mask)) or "-"
        removed = ", ".join(signal_name(s) for s in sorted(self.mask - mask)) or "-"
        signal.pthread_sigmask(signal.SIG_SETMASK, self.mask)
        return [f"the signal mask was left changed (blocked: {added}; unblocked: {removed})"]

    def restore_kernel_dispositions(self, reported: set[int], rebased: set[int]) -> list[str]:
        """After Python's table was put back: the kernel's side, where it still
        differs (a handler installed from C, which Python cannot reinstall, or
        one the test installed from C). Signals in *reported* already have a
        leak line; those in *rebased* got a new baseline from another plugin
        during the test (Python's table is then the truth)."""
        reader = kernel.raw_dispositions()
        if reader is None:
            return []
        status = kernel.caught_and_ignored()
        leaks = []
        for signum, before in self.dispositions.items():
            if signum in rebased:
                continue
            if before.raw is None:
                # The kernel had no handler: it must have none now, unless Python set one.
                if status is None or signum not in status[0] or callable(before.python):
                    continue
                real_signal(signum, before.python if before.python is not None else signal.SIG_DFL)
                if signum not in reported:
                    leaks.append(f"{signal_name(signum)}: a handler was installed from C during the test; removed")
                continue
            now = reader.read(signum)
            if now is None or reader.key(now) == reader.key(before.raw):
                continue
            handlers = reader.handler(now), reader.handler(before.raw)
            if handlers[0] == handlers[1] and handlers[0] in (0, 1):
                continue  # SIG_DFL/SIG_IGN with other flags: the same disposition
            reader.write(signum, before.raw)
            if signum in reported:
                continue
            if before.from_c:
                leaks.append(
                    f"{signal_name(signum)}: the handler installed from C before the test (faulthandler?) "
                    "was replaced by the test; put back"
                )
            else:
                leaks.append(f"{signal_name(signum)}: a handler was installed from C during the test; removed")
        return leaks

    def restore_wakeup_fd(self) -> list[str]:
        now = current_wakeup_fd()
        leaks = []
        if now != self.wakeup_fd:
            leaks.append(
                f"signal.set_wakeup_fd() was left at fd {now} (it was {self.wakeup_fd} before the test); "
                "an event loop left open?"
            )
        if self.wakeup_fd != -1:
            try:
                signal.set_wakeup_fd(self.wakeup_fd)
            except OSError as exc:
                leaks.append(
                    f"the wakeup fd {self.wakeup_fd} the session had before the test was closed during it "
                    f"({exc.strerror}); left unset"
                )
        return leaks

    def restore_timers(self, baselines: dict[int, TimerState]) -> list[str]:
        """A timer the test left armed is a leak (it would fire in a later test);
        one it changed or cancelled that was armed before (pytest-timeout's) is
        put back without a word: that timer is its owner's to report."""
        leaks = []
        for which, baseline in baselines.items():
            if not baseline.differs():
                continue
            remaining, interval = signal.getitimer(which)
            want, _ = baseline.expected_now()
            baseline.restore()
            # A periodic ITIMER_REAL whose tick is still pending reads 0s to go:
            # Linux re-arms it only when SIGALRM is taken. Its interval still says armed.
            if (remaining > 0 or interval > 0) and want == 0:
                what, sig = TIMERS[which]
                when = f"every {interval:.3f}s" if interval > 0 else f"{remaining:.3f}s to go"
                leaks.append(f"an {what} was left armed ({when}); it would fire {sig} in a later test")
        return leaks
