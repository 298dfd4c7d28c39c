"""The event-loop round trip: send a signal to the test process and continue
once the loop's ``add_signal_handler`` callback ran.

- pytest-signals: ``await send_signal(SIGUSR1)``;
- the common hand-written pattern: ``os.kill(os.getpid(), SIGUSR1)`` then
  ``await asyncio.sleep(0.01)`` and hope the callback ran;
- a hand-written future that the callback resolves (the fastest correct way).

Prints median times and ratios. A benchmark, not a test.

    python bench/bench_loop.py [--rounds 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import time

from pytest_signals._inproc.guard import SignalGuard
from pytest_signals._inproc.send import SignalSender
from pytest_signals._options import Settings


async def measure(rounds: int, send: SignalSender) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    calls: list[int] = []
    waiter: list[asyncio.Future[None]] = []

    def callback() -> None:
        calls.append(1)
        if waiter and not waiter[0].done():
            waiter[0].set_result(None)

    loop.add_signal_handler(signal.SIGUSR1, callback)

    async def plugin() -> None:
        await send(signal.SIGUSR1)

    async def sleep_and_hope() -> None:
        os.kill(os.getpid(), signal.SIGUSR1)
        await asyncio.sleep(0.01)

    async def future() -> None:
        waiter[:] = [loop.create_future()]
        os.kill(os.getpid(), signal.SIGUSR1)
        await waiter[0]

    times: dict[str, list[float]] = {"plugin": [], "sleep": [], "future": []}
    for n in range(rounds):
        for name, variant in (("plugin", plugin), ("future", future), ("sleep", sleep_and_hope)):
            if name == "sleep" and n >= rounds // 20:  # 10 ms each: a sample is enough
                continue
            before = len(calls)
            start = time.perf_counter()
            await variant()
            times[name].append(time.perf_counter() - start)
            assert len(calls) == before + 1, f"{name}: the callback had not run"
    loop.remove_signal_handler(signal.SIGUSR1)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    guard = SignalGuard(Settings(timeout=10.0), "bench")
    guard.start()  # the in-process protection and the loop hooks, as in a test
    try:
        result = asyncio.run(measure(args.rounds, SignalSender(guard)))
    finally:
        guard.finish()
    plugin, sleep, future = result["plugin"], result["sleep"], result["future"]
    print(f"loop round trip: signal sent -> add_signal_handler callback ran (median of {args.rounds})")
    print(f"  await send_signal(sig)             : {plugin * 1e6:8.1f} us")
    print(f"  os.kill + await asyncio.sleep(0.01): {sleep * 1e6:8.1f} us  ({sleep / plugin:.0f}x slower)")
    print(f"  hand-written future                : {future * 1e6:8.1f} us  (plugin = {plugin / future:.2f}x)")


if __name__ == "__main__":
    main()
