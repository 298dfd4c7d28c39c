"""What ``signal_anywhere`` found: a :class:`SignalPoint` for each point, the
outcome of each run, the summary, the annotated listing and the failure
message. Pure logic: built from plain data, so it is tested without running
anything.
"""

from __future__ import annotations

import linecache
import os
from collections.abc import Sequence
from dataclasses import dataclass

from .._signals import signal_name

MAX_LISTED = 10  # failing points a failure's message details; the listing has them all

# Outcomes of a run, and the listing's mark for each.
OUTCOMES = {
    "failed": "FAIL",
    "passed": "ok",
    "deferred": "defer",  # the signal was blocked there; its handler ran later, at the unblock
    "not delivered": "nodlv",  # no Python handler there, or blocked until the run ended
    "unreached": "miss",  # that run ran differently and never got there
    "not explored": ".",  # the budget (max_points), the time limit, or only=
}
LEGEND = (
    "FAIL: a run with the signal there failed; ok: it passed; defer: the signal was blocked there and its "
    "handler ran later; nodlv: it could not be delivered there; miss: that run never got there; "
    ".: not explored"
)


@dataclass(frozen=True)
class SignalPoint:
    """Where one run delivers the signal: just before *line* of *file* runs,
    in *function*, the first time it runs inside ``within``.

    Attributes:
        file: the file (``co_filename``).
        line: the line number.
        function: the function's qualified name.
        index: its number k, 1-based, in the order the counting run met the
            points: ``only=k`` replays that run.
        total: N, how many points the counting run found.
        resumption: True when the point is a coroutine's resumption (at the
            ``await`` on *line*), before the rest of that line runs
            (``sys.monitoring``, 3.12+), not the start of the line.
    """

    file: str
    line: int
    function: str
    index: int
    total: int
    resumption: bool = False

    @property
    def source(self) -> str:
        """The line's source text, stripped."""
        return linecache.getline(self.file, self.line).strip()

    def where(self, root: str | None = None) -> str:
        """``file:line``, the file relative to *root* when it is below it.

        Args:
            root: the folder paths are shown relative to (the rootdir), or None for as they are.
        """
        return f"{display_path(self.file, root)}:{self.line}"

    @property
    def place(self) -> str:
        """*function*, and whether it is a resumption."""
        return f"{self.function}, as it resumed" if self.resumption else self.function

    def __str__(self) -> str:
        return f"point {self.index} of {self.total}: {self.where()} in {self.place}"


@dataclass(frozen=True)
class Outcome:
    """How one run went: one of :data:`OUTCOMES`, the error in one line
    (failed), what the run left changed, and its signal timeline."""

    point: SignalPoint
    outcome: str
    error: str | None = None
    notes: tuple[str, ...] = ()
    timeline: tuple[str, ...] = ()


def display_path(path: str, root: str | None = None) -> str:
    base = root or os.getcwd()
    try:
        relative = os.path.relpath(path, base)
    except ValueError:
        return path
    return path if relative.startswith(os.pardir) else relative


@dataclass(frozen=True)
class Summary:
    """The whole exploration."""

    signal: int
    backend: str
    points: Sequence[SignalPoint]
    outcomes: Sequence[Outcome]
    seed: int | None  # the sample's seed, when a sample was drawn
    only: int | None = None
    time_limited: bool = False
    root: str | None = None

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)

    @property
    def explored(self) -> int:
        return len(self.outcomes) - self.count("not explored")

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.outcome == "failed"]

    def line(self) -> str:
        name = signal_name(self.signal)
        parts = [f"{self.explored} of {len(self.points)} point(s) explored"]
        parts += [f"{self.count(o)} {o}" for o in OUTCOMES if o != "not explored" and self.count(o)]
        how = [self.backend]
        if self.seed is not None:
            how.append(f"sampled with seed={self.seed}")
        if self.only is not None:
            how.append(f"only={self.only}")
        if self.time_limited:
            how.append("stopped at the time limit")
        return f"signal_anywhere({name}): {', '.join(parts)} ({'; '.join(how)})"

    def listing(self, context: int = 1) -> str:
        """The lines with points, file by file, each with its mark and point number."""
        by_file: dict[str, dict[int, list[Outcome]]] = {}
        for outcome in self.outcomes:
            by_file.setdefault(outcome.point.file, {}).setdefault(outcome.point.line, []).append(outcome)
        out = [self.line(), f"  ({LEGEND})"]
        for file, lines in by_file.items():
            out.append(f"  {display_path(file, self.root)}")
            previous = None
            for number in _shown_lines(sorted(lines), context):
                if previous is not None and number != previous + 1:
                    out.append("        ...")
                previous = number
                text = linecache.getline(file, number).rstrip()
                runs = lines.get(number)
                if not runs:
                    out.append(f"    {'':5} {number:>5}  {'':>6}  {text}")
                    continue
                mark = _mark(runs)
                ks = ",".join(str(o.point.index) for o in runs)
                out.append(f"    {mark:<5} {number:>5}  {'#' + ks:>6}  {text}")
                failed = next((o for o in runs if o.outcome == "failed"), None)
                if failed is not None:
                    out.append(f"    {'':5} {'':>5}  {'':>6}  ^ {failed.error}")
        notes = sorted({n for o in self.outcomes for n in o.notes})
        if notes:
            out.append("  left changed by a run, put back before the next:")
            out.extend(f"    {note}" for note in notes)
        return "\n".join(out)


def _mark(runs: Sequence[Outcome]) -> str:
    outcomes = {o.outcome for o in runs}
    for outcome in OUTCOMES:
        if outcome in outcomes:
            return OUTCOMES[outcome]
    return "?"


def _shown_lines(ran: Sequence[int], context: int) -> list[int]:
    """The lines with points, up to *context* lines before each stretch, and
    short gaps between stretches filled in."""
    shown: set[int] = set()
    for number in ran:
        shown.update(range(max(1, number - context), number + 1))
    filled: list[int] = []
    for number in sorted(shown):
        if filled and 1 < number - filled[-1] <= 3:
            filled.extend(range(filled[-1] + 1, number))
        filled.append(number)
    return filled


def describe_error(exc: BaseException, *, by_handler: bool) -> str:
    """*exc* in one line, and whether the handler raised it."""
    text = str(exc).strip().splitlines()
    summary = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
    if len(summary) > 300:
        summary = summary[:297] + "..."
    return f"{summary} (raised by the handler, and not caught)" if by_handler else summary


def failure_message(summary: Summary, reproduce: str) -> str:
    """The first failing point, every failing point (where, the timeline of
    its run, how to replay it), then the listing."""
    name = signal_name(summary.signal)
    root = summary.root
    failures = summary.failures
    first = failures[0]
    point = first.point
    out = [
        f"{name} delivered just before {point.where(root)} ran (point {point.index} of {point.total}, "
        f"in {point.place}) made the test fail:",
        f"    {point.line} | {point.source}",
        f"  {first.error}",
        f"{len(failures)} of {summary.explored} explored point(s) failed:",
    ]
    for failure in failures[:MAX_LISTED]:
        p = failure.point
        out.append(f"  point {p.index} of {p.total}: {p.where(root)} in {p.place}: {p.source}")
        out.append(f"    {failure.error}")
        if failure is not first:  # the first run's timeline ends the message
            out.extend(f"    | {event}" for event in failure.timeline)
        out.append(f"    replay: {reproduce.format(k=p.index)}")
    if len(failures) > MAX_LISTED:
        out.append(f"  and {len(failures) - MAX_LISTED} more (in the listing)")
    out += ["(The traceback above is the first failing run's.)", "", summary.listing()]
    return "\n".join(out)
