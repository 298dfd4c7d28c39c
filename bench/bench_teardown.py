"""Teardown at scale: N children that ignore SIGTERM, left running by a test.

Teardown stops them all at once: SIGTERM (and SIGCONT) to every child, one
grace period for all, then SIGKILL for whoever is left. So the cost should be
about one grace period, whatever N is. Stopping them one at a time (the
hand-written loop: ``proc.terminate(); proc.wait(grace); proc.kill()`` per
child, as most fixtures do) costs N grace periods.

Prints the teardown's wall time, its ratio to one grace period (the physical
floor: the plugin must give each child that long), and the hand-written
loop's time for the same children. A benchmark, not a test: nothing fails on
a timing.

    python bench/bench_teardown.py [--children 50] [--grace 0.5]
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time

from pytest_signals._children.spawn import Spawner
from pytest_signals._inproc.guard import SignalGuard
from pytest_signals._options import Settings

STUBBORN = [
    sys.executable,
    "-c",
    "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); signal.pause()",
]


def with_plugin(children: int, grace: float) -> float:
    guard = SignalGuard(Settings(timeout=30.0), "bench")
    guard.start()
    spawn = Spawner(guard)
    try:
        for _ in range(children):
            spawn(STUBBORN).expect("up")
        start = time.perf_counter()
        notes = spawn.close_all(grace=grace)
        elapsed = time.perf_counter() - start
        assert len(notes) == children, notes
    finally:
        guard.finish()
    return elapsed


def by_hand(children: int, grace: float) -> float:
    procs = [subprocess.Popen(STUBBORN, stdout=subprocess.PIPE) for _ in range(children)]
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"up\n"
    start = time.perf_counter()
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        assert proc.returncode == -signal.SIGKILL
    elapsed = time.perf_counter() - start
    for proc in procs:
        assert proc.stdout is not None
        proc.stdout.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=50)
    parser.add_argument("--grace", type=float, default=0.5)
    parser.add_argument("--skip-by-hand", action="store_true", help="the serial loop takes children x grace")
    args = parser.parse_args()
    plugin = with_plugin(args.children, args.grace)
    print(f"teardown of {args.children} children that ignore SIGTERM (grace {args.grace:g}s)")
    print(f"  pytest-signals, all at once : {plugin:7.2f} s = {plugin / args.grace:.2f}x one grace period (the floor)")
    if not args.skip_by_hand:
        hand = by_hand(args.children, args.grace)
        print(f"  one at a time, by hand      : {hand:7.2f} s = {hand / args.grace:.1f}x one grace period")
        print(f"  ratio                       : {plugin / hand:.3f}x the hand-written cost")


if __name__ == "__main__":
    main()
