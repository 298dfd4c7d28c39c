"""Spawn-to-handled round trips: pytest-signals against what people write by hand.

1. A Python child installs a SIGTERM handler, says it is ready, gets SIGTERM,
   handles it and exits; the test waits for all of that. Hand-written:
   ``subprocess.Popen`` with a pipe handshake. pytest-signals: ``spawn`` +
   ``wait_for_handler`` + ``send_signal(...).wait()`` + ``wait()``.
2. A Ctrl-C typed into a child's terminal and observed until it exits.
   Hand-written: pexpect with its default settings. pytest-signals:
   ``spawn(tty=True)`` + ``send_signal(SIGINT, via="tty")``.
3. A command's start: ``spawn(["true"])`` until it has exited and is
   cleaned up (on Linux the fork server's template forks and execs it), and
   ``subprocess.run(["true"])``.

Prints median wall times and ratios. A benchmark, not a test: nothing fails
on a timing.

    python bench/bench_spawn.py [--rounds 30] [--launch plain|service]

``--launch service`` starts the children of 1 and 3 leading a session of
their own (the model before plain children), for comparison.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pytest_signals._children.spawn import Spawner
from pytest_signals._inproc.guard import SignalGuard
from pytest_signals._inproc.send import SignalSender
from pytest_signals._options import Settings

CHILD = """
import os, select, signal
done = False
def on_term(signum, frame):
    global done
    os.write(1, b"handled\\n")
    done = True
# A wakeup fd: the C-level handler writes to it, so select() never sleeps
# through a signal and the idle loop adds no latency.
r, w = os.pipe()
os.set_blocking(w, False)
signal.set_wakeup_fd(w)
signal.signal(signal.SIGTERM, on_term)
print("ready", flush=True)
while not done:
    select.select([r], [], [])
    os.read(r, 64)
"""

CLI = """
import os, select, signal, sys
r, w = os.pipe()
os.set_blocking(w, False)
signal.set_wakeup_fd(w)
try:
    print("press Ctrl-C", flush=True)
    while True:
        select.select([r], [], [])
        os.read(r, 64)
except KeyboardInterrupt:
    sys.exit(130)
"""


def by_hand(script: Path) -> None:
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.stdout.readline() == "handled\n"
    assert proc.wait() == 0
    proc.stdout.close()


def with_plugin(spawn: Spawner, send: SignalSender, script: Path, launch: str) -> None:
    proc = spawn(str(script), launch=launch)
    proc.wait_for_handler(signal.SIGTERM)
    send(signal.SIGTERM, to=proc).wait()
    assert proc.wait() == 0
    proc.close()


def command_with_plugin(spawn: Spawner, launch: str) -> float:
    start = time.perf_counter()
    proc = spawn(["true"], launch=launch)
    started = time.perf_counter() - start
    assert proc.wait() == 0
    proc.close()
    return started


def command_by_hand() -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(["true"])
    started = time.perf_counter() - start
    assert proc.wait() == 0
    return started


def pexpect_defaults(script: Path) -> float:
    import pexpect

    child = pexpect.spawn(sys.executable, [str(script)])
    child.expect("press Ctrl-C")
    start = time.perf_counter()
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    return time.perf_counter() - start


def tty_with_plugin(spawn: Spawner, send: SignalSender, script: Path) -> float:
    proc = spawn(str(script), tty=True)
    proc.expect("press Ctrl-C")
    start = time.perf_counter()
    send(signal.SIGINT, to=proc, via="tty")
    assert proc.wait() == 130
    proc.close()
    return time.perf_counter() - start


def timed(func: Callable[[], object]) -> Callable[[], tuple[float, float]]:
    """Run *func*; return (whole wall time, what it returned or the same)."""

    def run() -> tuple[float, float]:
        start = time.perf_counter()
        part = func()
        whole = time.perf_counter() - start
        return whole, part if isinstance(part, float) else whole

    return run


def measure(
    rounds: int, a: Callable[[], tuple[float, float]], b: Callable[[], tuple[float, float]]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Medians of (whole, part) for *a* and *b*, run alternately."""
    a(), b()  # warm up
    ra, rb = [a() for _ in range(0)], []
    for _ in range(rounds):
        ra.append(a())
        rb.append(b())

    def medians(rows: list[tuple[float, float]]) -> tuple[float, float]:
        return statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)

    return medians(ra), medians(rb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument(
        "--launch",
        choices=["plain", "service"],
        default="plain",
        help="how the children of 1 and 3 are launched (plain, the default, costs one fork more)",
    )
    args = parser.parse_args()
    guard = SignalGuard(Settings(timeout=30.0), "bench")
    guard.start()  # as in a test (the spawn fixture sits on the guard)
    spawn, send = Spawner(guard), SignalSender(guard)
    with tempfile.TemporaryDirectory() as tmp:
        child, cli = Path(tmp, "child.py"), Path(tmp, "cli.py")
        child.write_text(CHILD)
        cli.write_text(CLI)
        (plugin, _), (hand, _) = measure(
            args.rounds, timed(lambda: with_plugin(spawn, send, child, args.launch)), timed(lambda: by_hand(child))
        )
        print(f"1. spawn -> handler ready -> SIGTERM -> handled -> exit (median of {args.rounds})")
        print(f"   pytest-signals spawn       : {plugin * 1000:7.1f} ms")
        print(f"   subprocess.Popen by hand   : {hand * 1000:7.1f} ms")
        print(f"   ratio                      : {plugin / hand:.2f}x the hand-written cost")
        (plugin, plugin_key), (pexp, pexp_key) = measure(
            args.rounds, timed(lambda: tty_with_plugin(spawn, send, cli)), timed(lambda: pexpect_defaults(cli))
        )
        print(f"2. Ctrl-C typed into a terminal (median of {args.rounds})")
        print("   key pressed -> child exited -> cleaned up:")
        print(f"     pytest-signals spawn(tty): {plugin_key * 1000:7.1f} ms")
        print(f"     pexpect, default settings: {pexp_key * 1000:7.1f} ms")
        print(f"     speed-up                 : {pexp_key / plugin_key:.1f}x faster")
        print("   the whole test (start the child in a terminal, wait for its prompt, Ctrl-C, exit):")
        print(f"     pytest-signals spawn(tty): {plugin * 1000:7.1f} ms")
        print(f"     pexpect, default settings: {pexp * 1000:7.1f} ms")
        print(f"     speed-up                 : {pexp / plugin:.1f}x faster")
        (plugin, plugin_start), (hand, hand_start) = measure(
            args.rounds, timed(lambda: command_with_plugin(spawn, args.launch)), timed(command_by_hand)
        )
        print(f"3. a command (median of {args.rounds}): the start (spawn() / Popen() returned)")
        print(f"   pytest-signals spawn       : {plugin_start * 1000:7.1f} ms")
        print(f"   subprocess.Popen           : {hand_start * 1000:7.1f} ms")
        print("   start -> exit -> cleaned up:")
        print(f"   pytest-signals spawn       : {plugin * 1000:7.1f} ms")
        print(f"   subprocess.Popen           : {hand * 1000:7.1f} ms")
    spawn.close_all()
    guard.finish()


if __name__ == "__main__":
    main()
