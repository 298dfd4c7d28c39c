"""All of pytest-signals' benchmarks in one run, as ratios against what people
write by hand, each with its target:

1. spawn -> handler ready -> SIGTERM -> handled -> exit, for a Python target
   that imports asyncio, against ``subprocess.Popen`` with a pipe handshake
   (target: at most 0.25x);
2. a Ctrl-C typed into a terminal child until it exited, against pexpect with
   its default settings (target: at least 5x faster);
3. ``await send_signal`` until the loop callback ran, against ``os.kill`` +
   ``await asyncio.sleep(0.01)`` (target: at least 20x faster);
4. a suite of 2,000 tests that do not use the plugin, against
   ``-p no:signals`` (target: at most 2% slower);
5. the project's own tests under ``pytest -n 2`` against ``-n 0``.

A benchmark, not a test: nothing fails on a timing. Run it on a quiet machine.

    python bench/run_all.py [--rounds 30] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_loop
import bench_overhead
import bench_spawn

from pytest_signals._children.spawn import Spawner
from pytest_signals._inproc.guard import SignalGuard
from pytest_signals._inproc.send import SignalSender
from pytest_signals._options import Settings

ROOT = Path(__file__).resolve().parent.parent
ROWS: list[tuple[str, str, str, str, str, bool]] = []


def row(what: str, plugin: str, by_hand: str, ratio: str, target: str, met: bool) -> None:
    ROWS.append((what, plugin, by_hand, ratio, target, met))
    print(f"  {what}: {plugin} vs {by_hand} -> {ratio} (target {target}: {'met' if met else 'MISSED'})", flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def spawn_and_terminal(rounds: int) -> None:
    guard = SignalGuard(Settings(timeout=30.0), "bench")
    guard.start()  # as in a test (the spawn fixture sits on the guard)
    spawn, send = Spawner(guard), SignalSender(guard)
    with tempfile.TemporaryDirectory() as tmp:
        child, cli = Path(tmp, "child.py"), Path(tmp, "cli.py")
        child.write_text("import asyncio\n" + bench_spawn.CHILD)
        cli.write_text(bench_spawn.CLI)
        (plugin, _), (hand, _) = bench_spawn.measure(
            rounds,
            bench_spawn.timed(lambda: bench_spawn.with_plugin(spawn, send, child)),
            bench_spawn.timed(lambda: bench_spawn.by_hand(child)),
        )
        row(
            "1 spawn round trip (imports asyncio)",
            ms(plugin),
            ms(hand),
            f"{plugin / hand:.2f}x",
            "<= 0.25x",
            plugin / hand <= 0.25,
        )
        (_, plugin_key), (_, pexpect_key) = bench_spawn.measure(
            rounds,
            bench_spawn.timed(lambda: bench_spawn.tty_with_plugin(spawn, send, cli)),
            bench_spawn.timed(lambda: bench_spawn.pexpect_defaults(cli)),
        )
        speedup = pexpect_key / plugin_key
        row(
            "2 Ctrl-C typed into a terminal",
            ms(plugin_key),
            ms(pexpect_key),
            f"{speedup:.1f}x faster",
            ">= 5x",
            speedup >= 5,
        )
    spawn.close_all()
    guard.finish()


def loop(rounds: int) -> None:
    guard = SignalGuard(Settings(timeout=10.0), "bench")
    guard.start()
    try:
        result = asyncio.run(bench_loop.measure(rounds, SignalSender(guard)))
    finally:
        guard.finish()
    plugin, sleep = result["plugin"], result["sleep"]
    row(
        "3 await send_signal in the loop",
        f"{plugin * 1e6:.0f} us",
        ms(sleep),
        f"{sleep / plugin:.0f}x faster",
        ">= 20x",
        sleep / plugin >= 20,
    )


def overhead(tests: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bench_overhead.make_suite(root, tests)
        bench_overhead.run(root)
        with_plugin, without = [], []
        for _ in range(rounds):
            with_plugin.append(bench_overhead.run(root))
            without.append(bench_overhead.run(root, "-p", "no:signals"))
        own, total = bench_overhead.profile_share(root)
    ratio = statistics.median(with_plugin) / statistics.median(without)
    share = own / total
    # The wall-time ratio moves by several percent between runs on a shared
    # machine; the profile measures the plugin's own work directly.
    row(
        f"4 {tests:,} tests not using the plugin (wall)",
        f"{statistics.median(with_plugin):.2f} s",
        f"{statistics.median(without):.2f} s",
        f"{100 * (ratio - 1):+.1f}%",
        "(noisy)",
        True,
    )
    row(
        "4 ... the plugin's own share (profile)",
        f"{own * 1000:.0f} ms",
        f"{total:.2f} s",
        f"{100 * share:.2f}%",
        "<= 2%",
        share <= 0.02,
    )


def suite_under_xdist() -> None:
    def run(workers: str) -> float:
        start = time.perf_counter()
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", workers, "tests"]
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start

    parallel, serial = run("2"), run("0")
    row(
        "5 the project's tests, -n 2 vs -n 0",
        f"{parallel:.0f} s",
        f"{serial:.0f} s",
        f"{serial / parallel:.2f}x faster",
        "(none)",
        True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="rounds of the spawn and terminal measures")
    parser.add_argument("--quick", action="store_true", help="fewer rounds; skip the suite timing (5)")
    args = parser.parse_args()
    rounds = 10 if args.quick else args.rounds
    print(f"pytest-signals benchmarks: Python {platform.python_version()}, {os.cpu_count()} cores, {platform.system()}")
    spawn_and_terminal(rounds)
    loop(500 if args.quick else 2000)
    overhead(2000, 3 if args.quick else 7)
    if not args.quick:
        suite_under_xdist()
    width = max(len(r[0]) for r in ROWS)
    print()
    print(f"{'':{width}}  {'pytest-signals':>14}  {'baseline':>10}  {'ratio':>14}  {'target':>9}")
    for what, plugin, by_hand, ratio, target, met in ROWS:
        print(f"{what:{width}}  {plugin:>14}  {by_hand:>10}  {ratio:>14}  {target:>9}  {'' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
