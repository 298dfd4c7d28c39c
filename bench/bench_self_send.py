"""The send-to-self round trip, and what one test's guard costs.

1. ``send_signal(SIGUSR1)`` until the Python handler ran, against the floor:
   ``signal.raise_signal`` with the same handler installed directly (what a
   test written by hand does, minus any protection).
2. One test's guard: snapshot, observer installed, then ``finish()`` (every
   step of the restore), against nothing at all; with the share of each step.

A benchmark, not a test: nothing fails on a timing. Run it on a quiet machine.

    python bench/bench_self_send.py [--rounds 20000]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import signal
import time
from collections.abc import Callable

from pytest_signals._inproc.guard import SignalGuard
from pytest_signals._inproc.send import SignalSender
from pytest_signals._inproc.state import Snapshot
from pytest_signals._options import Settings


def best_of(fn: Callable[[], object], rounds: int, repeats: int = 7) -> float:
    """Seconds per call, the fastest of *repeats* runs of *rounds* calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(rounds):
            fn()
        times.append((time.perf_counter() - start) / rounds)
    return min(times)


def handler(signum: int, frame: object) -> None:
    pass


def guard_cycle() -> None:
    guard = SignalGuard(Settings(), "bench")
    guard.start()
    guard.finish()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20000)
    args = parser.parse_args()

    previous = signal.signal(signal.SIGUSR1, handler)
    floor = best_of(lambda: signal.raise_signal(signal.SIGUSR1), args.rounds)
    signal.signal(signal.SIGUSR1, previous)

    guard = SignalGuard(Settings(), "bench")
    guard.start()
    signal.signal(signal.SIGUSR1, handler)  # through the plugin, as the code under test would
    send = SignalSender(guard)
    plugin = best_of(lambda: send(signal.SIGUSR1), args.rounds)
    signal.signal(signal.SIGUSR1, signal.SIG_DFL)
    guard.finish()

    print("1. send to self until the handler ran")
    print(f"   raise_signal -> handler (the floor): {floor * 1e6:7.2f} us")
    print(f"   send_signal -> Delivery            : {plugin * 1e6:7.2f} us")
    print(f"   ratio                              : {plugin / floor:.1f}x the floor")

    cycles = max(200, args.rounds // 40)
    cycle = best_of(guard_cycle, cycles)
    snapshot = best_of(Snapshot.capture, cycles)
    print("2. one test's guard (start + finish)")
    print(f"   whole cycle                        : {cycle * 1e6:7.1f} us   (target <= 250 us)")
    print(f"   of which the snapshot              : {snapshot * 1e6:7.1f} us")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(cycles):
        guard_cycle()
    profile.disable()
    stats = pstats.Stats(profile)
    total = sum(entry[2] for entry in stats.stats.values())  # type: ignore[attr-defined]
    print("   where it goes (own time, top 6):")
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:6]  # type: ignore[attr-defined]
    for (filename, line, name), entry in rows:
        short = filename.rsplit("/", 2)[-1] if "pytest_signals" in filename else filename.rsplit("/", 1)[-1]
        print(f"     {entry[2] / total:5.1%}  {name} ({short}:{line})")


if __name__ == "__main__":
    main()
