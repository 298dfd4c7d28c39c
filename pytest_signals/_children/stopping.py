"""The result of the stop sequence that container orchestrators use
(``docker stop``, Kubernetes' pod termination): :class:`StopResult`, which
:meth:`~pytest_signals.SpawnedProcess.stop_sequence` returns."""

from __future__ import annotations

import dataclasses

from .._signals import resolve_signal, signal_name


@dataclasses.dataclass(frozen=True)
class StopResult:
    """How a process took the stop sequence: the stop signal, a grace
    period, then SIGKILL.

    Attributes:
        stop_signal: the signal sent first (SIGTERM unless told otherwise,
            as a Dockerfile's ``STOPSIGNAL`` does).
        grace: the grace period, in seconds.
        in_grace: True when the process ended within the grace, without
            SIGKILL: it stopped as the orchestrator asked.
        killed: True when the grace ran out and SIGKILL was sent.
        returncode: its ``returncode`` afterwards: the exit code, ``-N`` when
            killed by signal N, None when its status cannot be known.
        elapsed: seconds from the stop signal to its end (or to SIGKILL).
        already_ended: True when it had ended before the sequence began
            (nothing was sent).

    Example::

        result = proc.stop_sequence(grace=10)   # docker stop -t 10
        assert result.in_grace, result
        assert result.returncode == 0
    """

    stop_signal: int
    grace: float
    in_grace: bool
    killed: bool
    returncode: int | None
    elapsed: float
    already_ended: bool = False

    __module__ = "pytest_signals"  # as users import it

    @property
    def exit_signal(self) -> int | None:
        """The signal that ended it (``signal.Signals``), or None."""
        code = self.returncode
        return resolve_signal(-code) if code is not None and code < 0 else None

    def __str__(self) -> str:
        code = self.returncode
        how = (
            "exit status unknown"
            if code is None
            else f"killed by {signal_name(-code)}"
            if code < 0
            else f"exited with code {code}"
        )
        if self.already_ended:
            return f"it had already ended ({how}): nothing was sent"
        first = signal_name(self.stop_signal)
        if self.in_grace:
            return f"stopped within the {self.grace:g}s grace after {first}: {how} after {self.elapsed:.3f}s"
        return f"did not stop within the {self.grace:g}s grace after {first}: SIGKILL was needed ({how})"
