"""anyio's open_signal_receiver(SIGTERM, SIGHUP): SIGHUP reloads the
configuration and keeps going, SIGTERM returns.

    python anyio_reload.py asyncio|trio
"""

import signal
import sys

import anyio


async def main():
    reloads = 0
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGHUP) as signals:
        print("waiting for signals", flush=True)
        async for signum in signals:
            if signum == signal.SIGHUP:
                reloads += 1
                print(f"Reloading configuration ({reloads})", flush=True)
            else:
                print(f"SIGTERM: exiting after {reloads} reloads", flush=True)
                return


if __name__ == "__main__":
    anyio.run(main, backend=sys.argv[1])
