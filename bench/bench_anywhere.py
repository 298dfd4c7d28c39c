"""What signal_anywhere costs, as two ratios:

1. exploring 1,000 points (the counting run, then one run per point with the
   signal sent there and its handler run) against 1,000 plain runs of the same
   body;
2. the counting run (every line of the code under test traced) against one
   untraced run.

The workload is a small module written to a temporary folder: a loop that
calls a helper, about five points per iteration. On 3.12+ both ways of
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
from pytest_signals._tracepoints import LineTracer

WORKLOAD = """
import signal

seen = []


def on_usr1(signum, frame):
    seen.append(signum)


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


def body(n):
    previous = signal.signal(signal.SIGUSR1, on_usr1)
    try:
        state = run(n)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert state["total"] == n * (n - 1) // 2
"""


def load(folder: Path) -> ModuleType:
    path = folder / "workload.py"
    path.write_text(WORKLOAD)
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


def explore(guard: SignalGuard, workload: ModuleType, backend: str, points: int, n: int, repeats: int) -> None:
    anywhere = SignalAnywhere(guard, backend=backend)

    def plain_runs() -> None:
        for _ in range(points):
            workload.body(n)

    def exploration() -> None:
        found = anywhere(signal.SIGUSR1, lambda: workload.body(n), within=workload, points=points, seed=1)
        assert len(found.explored) == points, found

    plain = best_of(repeats, plain_runs)
    explored = best_of(repeats, exploration)
    print(f"1. exploring {points:,} points ({backend})")
    print(f"   {points:,} plain runs            : {plain * 1000:8.1f} ms")
    each = explored / points * 1e6
    print(f"   exploring {points:,} points      : {explored * 1000:8.1f} ms   ({each:.0f} us a point)")
    print(f"   ratio                        : {explored / plain:8.2f}x the plain runs")


def count(guard: SignalGuard, workload: ModuleType, backend: str, n: int, repeats: int) -> None:
    scope = Scope(workload)
    virtual = guard.observer.virtual

    def armed() -> bool:
        return callable(virtual.get(signal.SIGUSR1))

    def counting() -> None:
        with LineTracer(scope, backend=backend) as tracer:
            counted = tracer.count(lambda: workload.body(n), armed)
        assert len(counted) > 5 * n

    plain = best_of(repeats, lambda: workload.body(n))
    traced = best_of(repeats, counting)
    print(f"2. the counting run, {n:,} iterations ({backend})")
    print(f"   one untraced run             : {plain * 1000:8.2f} ms")
    print(f"   the counting run             : {traced * 1000:8.2f} ms")
    print(f"   ratio                        : {traced / plain:8.2f}x one untraced run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=20000, help="of the loop, for the counting run")
    args = parser.parse_args()
    print(f"signal_anywhere: Python {platform.python_version()}, {platform.system()}")
    with tempfile.TemporaryDirectory() as tmp:
        workload = load(Path(tmp))
        guard = SignalGuard(Settings(timeout=10.0), "bench")
        guard.start()  # as in a test: the fixture sits on the guard
        try:
            n = args.points // 5 + 10  # about five points an iteration: a little more than the budget
            for backend in backends():
                explore(guard, workload, backend, args.points, n, args.repeats)
            for backend in backends():
                count(guard, workload, backend, args.iterations, args.repeats)
        finally:
            guard.finish()


if __name__ == "__main__":
    main()
