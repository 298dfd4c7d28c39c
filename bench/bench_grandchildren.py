"""Start-up of a Python grandchild started by exec: instrumented against plain.

A spawned child starts ``python -c pass`` by ``subprocess.run`` ROUNDS times
and prints the median wall time of one start (fork, exec, interpreter
start-up, exit, reap), as the child sees it. Three children:

* ``spawn(..., descendants=True)`` (the default): each grandchild is
  instrumented (the exec hook builds its environment, its bootstrap runs);
* ``spawn(..., descendants=False)``: the grandchildren are plain;
* the same child under a plain ``subprocess.run``, outside the plugin.

Then the grandchild's own share, without a child around it: this process
starts ``python -c pass`` with the environment and channel the exec hook
gives a grandchild, and without, alternately, start by start.

Prints each median and the ratios. A benchmark, not a test: nothing fails on
a timing.

    python bench/bench_grandchildren.py [--rounds 60] [--turns 6]
"""

from __future__ import annotations

import argparse
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pytest_signals._children.spawn import Spawner
from pytest_signals._inproc.guard import SignalGuard
from pytest_signals._options import Settings

CHILD = """
import subprocess, sys, time
rounds = int(sys.argv[1])
times = []
subprocess.run([sys.executable, "-c", "pass"])  # warm: bytecode, page cache
for _ in range(rounds):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"])
    times.append(time.perf_counter() - start)
print("times " + " ".join(map(repr, times)), flush=True)
"""


def times_of(output: str) -> list[float]:
    for line in output.splitlines():
        if line.startswith("times "):
            return [float(t) for t in line.split()[1:]]
    raise RuntimeError(f"the child printed no times: {output!r}")


def bootstrap_alone(rounds: int) -> dict[str, list[float]]:
    """Starts of ``python -c pass`` from here, with and without a grandchild's instrumentation."""
    from pytest_signals._children.command import BOOT_DIR, ensure_bytecode
    from pytest_signals._remote import channel

    ensure_bytecode()
    read, write = os.pipe()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    ours = dict(env, PYTHONPATH=BOOT_DIR)
    ours.update({channel.ENV_BOOT: BOOT_DIR, channel.ENV_CHANNEL: str(write), channel.ENV_PARENT: str(os.getpid())})
    ours[channel.ENV_DESCENDANTS] = "1"
    times: dict[str, list[float]] = {"bootstrap alone": [], "python alone": []}
    try:
        for _ in range(rounds + 1):
            for name, with_env, fds in (("bootstrap alone", ours, (write,)), ("python alone", env, ())):
                start = time.perf_counter()
                subprocess.run([sys.executable, "-c", "pass"], env=with_env, pass_fds=fds, check=True)
                times[name].append(time.perf_counter() - start)
                while True:  # what it reported, so the pipe never fills
                    if not select.select([read], [], [], 0)[0]:
                        break
                    os.read(read, 65536)
    finally:
        os.close(read)
        os.close(write)
    return {name: values[1:] for name, values in times.items()}  # the first warms the caches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--turns", type=int, default=6)
    options = parser.parse_args()
    guard = SignalGuard(Settings(timeout=120.0), "bench")
    guard.start()  # as in a test (the spawn fixture sits on the guard)
    spawn = Spawner(guard)
    try:
        with tempfile.TemporaryDirectory() as folder:
            script = Path(folder) / "child.py"
            script.write_text(CHILD)
            # The three take turns, so that a busy moment of the machine
            # falls on each of them alike.
            results: dict[str, list[float]] = {"instrumented": [], "not instrumented": [], "plain": []}
            per_child = str(max(1, options.rounds // options.turns))
            for _ in range(options.turns):
                for name, descendants in (("instrumented", True), ("not instrumented", False)):
                    proc = spawn(str(script), per_child, descendants=descendants, timeout=120.0)
                    proc.wait()
                    results[name] += times_of(proc.stdout)
                plain = subprocess.run(
                    [sys.executable, str(script), per_child], capture_output=True, text=True, env=dict(os.environ)
                )
                results["plain"] += times_of(plain.stdout)
    finally:
        for note in spawn.close_all():
            print(note)
        guard.finish()
    results.update(bootstrap_alone(options.rounds))
    medians = {name: statistics.median(times) for name, times in results.items()}
    count = len(results["plain"])
    print(f"Python {sys.version.split()[0]}, {count} starts of `python -c pass` each, median:")
    for name, seconds in medians.items():
        print(f"  {name:<18} {seconds * 1000:7.1f} ms")
    base = medians["plain"]
    print(f"  instrumented / plain:             {medians['instrumented'] / base:.2f}x")
    print(f"  not instrumented / plain:         {medians['not instrumented'] / base:.2f}x")
    print(f"  instrumented / not instrumented:  {medians['instrumented'] / medians['not instrumented']:.2f}x")
    ratio = medians["bootstrap alone"] / medians["python alone"]
    print(f"  bootstrap alone / python alone:   {ratio:.2f}x")


if __name__ == "__main__":
    main()
