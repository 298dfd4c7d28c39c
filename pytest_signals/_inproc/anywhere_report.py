"""What ``signal_anywhere`` found: :class:`ExploredPoint` for each run,
:class:`Exploration` for all of them, and its annotated listing. Pure logic:
built from plain data, so it is tested without running anything.
"""

from __future__ import annotations

import linecache
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from .._signals import signal_name
from .._tracepoints import Counted

MAX_LISTED = 10  # failing lines a failure's message names; the listing has them all

OUTCOMES = ("passed", "failed", "unreached", "skipped")

# The listing's marks, one per line that ran.
MARKS = {
    "FAIL": "a run with the signal sent just before this line failed",
    "ok": "explored, and every run passed",
    "miss": "explored, but the runs ran differently and never got there",
    ".": "a point, not explored (the budget, or the line failed already)",
    "off": "ran with no Python handler for the signal installed: not a point",
}


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class ExploredPoint:
    """One run of the body, with the signal sent just before a line ran.

    Attributes:
        file: the file of the line (``co_filename``).
        line: its number.
        occurrence: which time the line ran (1-based) when the signal was sent.
        outcome: ``"passed"`` (the body passed), ``"failed"`` (it raised),
            ``"unreached"`` (that run never got to the point: the body does
            not run the same way every time) or ``"skipped"`` (an earlier
            occurrence of the line failed already; not run).
        error: for ``"failed"``, the exception in one line.
        notes: what the run left changed (put back before the next one).
    """

    file: str
    line: int
    occurrence: int
    outcome: str
    error: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def source(self) -> str:
        """The line's source text, stripped."""
        return linecache.getline(self.file, self.line).strip()

    def where(self, root: str | None = None) -> str:
        return f"{display_path(self.file, root)}:{self.line}"

    def __str__(self) -> str:
        error = f": {self.error}" if self.error else ""
        return f"{self.where()} ({ordinal(self.occurrence)} time it ran): {self.outcome}{error}"


@dataclass(frozen=True)
class LineStats:
    """How one line fared over the whole exploration."""

    file: str
    line: int
    ran: int  # times it ran in the counting run
    points: int  # of those, with a handler for the signal installed


def display_path(path: str, root: str | None = None) -> str:
    base = root or os.getcwd()
    try:
        relative = os.path.relpath(path, base)
    except ValueError:
        return path
    return path if relative.startswith(os.pardir) else relative


@dataclass
class Exploration:
    """What ``signal_anywhere`` did: one counting run, then one run per
    explored point.

    Attributes:
        signal: the signal sent.
        backend: ``"sys.monitoring"`` or ``"sys.settrace"``.
        points: how many points the counting run had (line events of the code
            under test with a Python handler for the signal installed).
        lines: how many distinct lines those points are on.
        explored: every run, in the order the counting run met its point.
        seed: the sample's seed (the ``seed=`` given, or the one derived
            from the test's id).
        sampled: True when the points were more than the budget, so that
            only a sample of them was explored.
    """

    signal: int
    backend: str
    points: int
    lines: int
    explored: tuple[ExploredPoint, ...]
    seed: int
    sampled: bool
    stats: Sequence[LineStats] = field(default=(), repr=False)
    root: str | None = field(default=None, repr=False)

    @property
    def failures(self) -> list[ExploredPoint]:
        """The runs that failed, in order."""
        return [p for p in self.explored if p.outcome == "failed"]

    @property
    def passed(self) -> bool:
        return not self.failures

    def count(self, outcome: str) -> int:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}: expected one of {', '.join(OUTCOMES)}")
        return sum(1 for p in self.explored if p.outcome == outcome)

    def summary(self) -> str:
        name = signal_name(self.signal)
        parts = [f"{self.points} point(s) on {self.lines} line(s)", f"{len(self.explored)} explored"]
        parts += [f"{self.count(o)} {o}" for o in ("failed", "unreached", "skipped") if self.count(o)]
        sample = f", sampled with seed={self.seed}" if self.sampled else ""
        return f"signal_anywhere({name}): {', '.join(parts)} ({self.backend}{sample})"

    def __repr__(self) -> str:
        return f"<Exploration {self.summary()}>"

    def listing(self, context: int = 1) -> str:
        """The lines that ran, file by file, each with its mark, how many
        times the signal was sent there, and how many points it had.

        Marks: ``FAIL``, ``ok``, ``miss`` (explored, never reached), ``.``
        (a point, not explored), ``off`` (ran with no handler for the signal).
        """
        sent: dict[tuple[str, int], list[ExploredPoint]] = {}
        for point in self.explored:
            sent.setdefault((point.file, point.line), []).append(point)
        files: dict[str, dict[int, LineStats]] = {}
        for stat in self.stats:
            files.setdefault(stat.file, {})[stat.line] = stat
        out = [self.summary()]
        for file, lines in files.items():
            out.append(f"  {display_path(file, self.root)}")
            shown = _shown_lines(sorted(lines), context)
            previous = None
            for number in shown:
                if previous is not None and number != previous + 1:
                    out.append("        ...")
                previous = number
                found = lines.get(number)
                runs = sent.get((file, number), [])
                text = linecache.getline(file, number).rstrip()
                if found is None:
                    out.append(f"    {'':4} {number:>5}  {'':>9}  {text}")
                    continue
                stat = found
                done = [p for p in runs if p.outcome != "skipped"]
                counts = f"{len(done)}/{stat.points}" if stat.points else "-"
                out.append(f"    {_mark(stat, runs):<4} {number:>5}  {counts:>9}  {text}")
                failed = next((p for p in runs if p.outcome == "failed"), None)
                if failed is not None:
                    out.append(f"    {'':4} {'':>5}  {'':>9}  ^ {failed.error}")
        notes = sorted({n for p in self.explored for n in p.notes})
        if notes:
            out.append("  left changed by a run, put back before the next:")
            out.extend(f"    {note}" for note in notes)
        return "\n".join(out)


def _mark(stat: LineStats, runs: Sequence[ExploredPoint]) -> str:
    if not stat.points:
        return "off"
    outcomes = {p.outcome for p in runs}
    if "failed" in outcomes:
        return "FAIL"
    if "passed" in outcomes:
        return "ok"
    if "unreached" in outcomes:
        return "miss"
    return "."


def _shown_lines(ran: Sequence[int], context: int) -> list[int]:
    """The lines that ran, with up to *context* lines before each stretch,
    and the short gaps between stretches filled in."""
    shown: set[int] = set()
    for number in ran:
        shown.update(range(max(1, number - context), number + 1))
    ordered = sorted(shown)
    filled: list[int] = []
    for number in ordered:
        if filled and 1 < number - filled[-1] <= 3:
            filled.extend(range(filled[-1] + 1, number))
        filled.append(number)
    return filled


def line_stats(counted: Counted) -> list[LineStats]:
    """How many times each line ran in the counting run, and how many of those were points."""
    ran = [0] * len(counted.keys)
    points = [0] * len(counted.keys)
    for position, key in enumerate(counted.events):
        ran[key] += 1
        points[key] += counted.armed[position]
    return [LineStats(file, line, ran[i], points[i]) for i, (file, line) in enumerate(counted.keys)]


def describe_error(exc: BaseException, *, sent: bool, by_handler: bool, plugin: bool) -> str:
    """*exc* in one line, and where it came from: before the signal was sent
    (*sent* false), raised by the handler (*by_handler*), or by send_signal
    itself (*plugin*: a handler interrupted after its timeout)."""
    text = str(exc).strip().splitlines()
    summary = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
    if len(summary) > 300:
        summary = summary[:297] + "..."
    if not sent:
        return f"{summary} (before the signal was sent: the body does not run the same way every time)"
    if by_handler and plugin:
        return f"{summary} (send_signal's own failure, at this point)"
    if by_handler:
        return f"{summary} (raised by the handler, and not caught by the body)"
    return summary


def failure_message(exploration: Exploration, point: ExploredPoint) -> str:
    """The message of a failed exploration: the first failing run, every
    failing line, the listing."""
    name = signal_name(exploration.signal)
    root = exploration.root
    failures = exploration.failures
    runs = len(exploration.explored) - exploration.count("skipped")
    where: list[str] = []
    for failure in failures:
        if failure.where(root) not in where:
            where.append(failure.where(root))
    named = ", ".join(where[:MAX_LISTED]) + (f" and {len(where) - MAX_LISTED} more" if len(where) > MAX_LISTED else "")
    return "\n".join(
        [
            f"{name} sent just before {point.where(root)} ran (the {ordinal(point.occurrence)} time) "
            "made the body fail:",
            f"    {point.line} | {point.source}",
            f"  {point.error}",
            f"expected the body to pass wherever {name} arrives; {len(failures)} of {runs} run(s) failed, at {named}.",
            "(The traceback above is that first failing run's.)",
            "",
            exploration.listing(),
        ]
    )
