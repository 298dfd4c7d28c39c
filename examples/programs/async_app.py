"""asyncio.run() interrupted by Ctrl-C (Python 3.11+): the main task is
cancelled, then the other tasks, and the program exits 130 without a
KeyboardInterrupt traceback."""

import asyncio
import sys

background = set()  # strong references to the tasks, as the asyncio docs advise


async def main():
    background.add(asyncio.create_task(asyncio.sleep(3600), name="worker"))
    print("running", flush=True)
    # Short sleeps, not one long one: asyncio.run's SIGINT handler runs only once
    # the loop wakes, and a Ctrl-C that lands just before its wait would wait for it.
    while True:
        await asyncio.sleep(0.1)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(130)
