"""What signal_anywhere costs, as two ratios against the issue's targets:

1. exploring 1,000 points (the counting run, then one run per point with the
   signal delivered there and its handler run) against 1,000 plain runs of
   the same scenario (target: at most 3x);
2. the counting run against one untraced run (target: at most 2x).

A point is a line the first time it runs inside ``within``, so the scenario
of (1) is a function that calls 125 functions of eight lines each (written to
a temporary folder): 1,000 distinct lines and a few more, run whole by every
run; the scenario of (2) is a loop that calls a
helper 20,000 times: few lines, many executions, which is what a counting
run that listens to every execution would pay for. On 3.12+ both ways of
tracing are measured (sys.monitoring, and sys.settrace as 3.10 and 3.11 use
it); before 3.12 only sys.settrace exists.

A benchmark, not a test: nothing fails on a timing. Run it on a quiet machine.

    python bench/bench_anywhere.py [--points 1000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from pytest_signals._inproc.anywhere import SignalAnywhere
from pytest_signals._inproc.anywhere_plan import Scope
from pytest_signals._inproc.guard import SignalGuard
from pytest_signals._options import Settings
from pytest_signals._remote.tracepoints import LineTracer

LOOP = """
def step(state, i):
    state["total"] += i
    if i % 3 == 0:
        state["threes"] += 1
    return state


def run(n):
    state = {"total": 0, "threes": 0}
    for i in range(n):
        step(state, i)
    return state
"""


def workload_source(points: int) -> str:
    """Functions of eight lines each, *points* lines in all, and long(), which calls them in turn."""
    functions = []
    for number in range(points // 8):
        body = "".join(f"    s += {i}\n" for i in range(7))
        functions.append(f"def f{number}(s):\n{body}    return s\n")
    names = ", ".join(f"f{number}" for number in range(points // 8))
    driver = (
        f"FUNCTIONS = [{names}]\n\n\ndef long():\n    s = 0\n    for f in FUNCTIONS:\n        s = f(s)\n    return s\n"
    )
    return LOOP + "\n\n" + "\n\n".join(functions) + "\n\n" + driver


def load(folder: Path, lines: int) -> ModuleType:
    path = folder / "workload.py"
    path.write_text(workload_source(lines))
    spec = importlib.util.spec_from_file_location("workload", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def backends() -> list[str]:
    return ["sys.monitoring", "sys.settrace"] if sys.version_info >= (3, 12) else ["sys.settrace"]


def on_usr1(signum: int, frame: object) -> None:
    pass


def explore(guard: SignalGuard, workload: ModuleType, backend: str, points: int, repeats: int) -> float:
    anywhere = SignalAnywhere(guard, backend=backend)

    def plain_runs() -> None:
        for _ in range(points):
            workload.long()

    def exploration() -> None:
        runs = 0
        for run in anywhere(signal.SIGUSR1, within=workload.long, max_points=points):
            with run:
                workload.long()
            runs += 1
        assert runs == points + 1, runs

    plain = best_of(repeats, plain_runs)
    explored = best_of(repeats, exploration)
    ratio = explored / plain
    print(f"1. exploring {points:,} points ({backend})")
    print(f"   {points:,} plain runs            : {plain * 1000:8.1f} ms")
    each = explored / points * 1e6
    print(f"   exploring {points:,} points      : {explored * 1000:8.1f} ms   ({each:.0f} us a point)")
    print(f"   ratio                        : {ratio:8.2f}x the plain runs (target: at most 3x)")
    return ratio


def count(guard: SignalGuard, workload: ModuleType, backend: str, n: int, repeats: int) -> float:
    virtual = guard.observer.virtual

    def armed() -> bool:
        return callable(virtual.get(signal.SIGUSR1))

    def counting() -> None:
        with LineTracer(frozenset({workload.run.__code__}), Scope(), backend=backend) as tracer:
            counted = tracer.start_count(armed)
            workload.run(n)
            tracer.stop()
        assert len(counted) == 8, len(counted)

    plain = best_of(repeats, lambda: workload.run(n))
    traced = best_of(repeats, counting)
    ratio = traced / plain
    print(f"2. the counting run, {n:,} iterations ({backend})")
    print(f"   one untraced run             : {plain * 1000:8.2f} ms")
    print(f"   the counting run             : {traced * 1000:8.2f} ms")
    print(f"   ratio                        : {ratio:8.2f}x one untraced run (target: at most 2x)")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=20000, help="of the loop, for the counting run")
    args = parser.parse_args()
    print(f"signal_anywhere: Python {platform.python_version()}, {platform.system()}")
    with tempfile.TemporaryDirectory() as tmp:
        workload = load(Path(tmp), args.points)
        guard = SignalGuard(Settings(timeout=10.0), "bench")
        guard.start()  # as in a test: the fixture sits on the guard
        previous = signal.signal(signal.SIGUSR1, on_usr1)
        try:
            for backend in backends():
                explore(guard, workload, backend, args.points, args.repeats)
            for backend in backends():
                count(guard, workload, backend, args.iterations, args.repeats)
        finally:
            signal.signal(signal.SIGUSR1, previous)
            guard.finish()


if __name__ == "__main__":
    main()
