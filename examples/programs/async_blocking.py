"""The same program with main blocked in time.sleep: asyncio.run() only sees
the Ctrl-C when main's blocking call returns, and then KeyboardInterrupt
propagates to the top level (traceback, death by SIGINT)."""

import asyncio
import time

background = set()  # strong references to the tasks, as the asyncio docs advise


async def main():
    background.add(asyncio.create_task(asyncio.sleep(3600), name="worker"))
    print("blocking", flush=True)
    time.sleep(1)  # blocks the loop: the cancellation waits for it
    print("main finished its blocking call", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
