"""asyncio loop handlers for SIGHUP, SIGUSR1 and SIGINT, installed with
loop.add_signal_handler through functools.partial. A coroutine sends SIGHUP,
SIGHUP, SIGUSR1, SIGINT to its own process with os.kill and yields after each.
The journal printed at the end shows when each handler ran: never inside
os.kill, always on a later turn of the loop."""

import asyncio
import functools
import os
import signal

SIGNALS = (signal.SIGHUP, signal.SIGHUP, signal.SIGUSR1, signal.SIGINT)
journal = []


def handler(all_handled, name):
    journal.append(f"handler {name}")
    if sum(entry.startswith("handler") for entry in journal) == len(SIGNALS):
        all_handled.set()


async def send_to_myself():
    for sig in SIGNALS:
        os.kill(os.getpid(), sig)
        journal.append(f"sent {sig.name}")
        await asyncio.sleep(0)  # yield to the loop
        journal.append(f"resumed after {sig.name}")


async def main():
    loop = asyncio.get_running_loop()
    all_handled = asyncio.Event()
    for sig in (signal.SIGHUP, signal.SIGUSR1, signal.SIGINT):
        loop.add_signal_handler(sig, functools.partial(handler, all_handled, name=sig.name))
    await send_to_myself()
    await asyncio.wait_for(all_handled.wait(), timeout=5)
    print("\n".join(journal), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
