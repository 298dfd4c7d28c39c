"""asyncio.run() interrupted by Ctrl-C (Python 3.11+): the main task is
cancelled, then the other tasks, and the program exits 130 without a
KeyboardInterrupt traceback."""

import asyncio
import sys


async def worker():
    await asyncio.sleep(3600)


async def main():
    asyncio.create_task(worker(), name="worker")
    print("running", flush=True)
    await asyncio.sleep(3600)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(130)
