"""Ctrl-C with no signal handling of its own, under anyio.run().

On the trio backend the KeyboardInterrupt is raised inside the application
(in the main task, where it waits); on the asyncio backend the runner turns
the Ctrl-C into cancellation first: every task is cancelled, and only then
does anyio.run() raise KeyboardInterrupt.

    python anyio_no_handler.py asyncio|trio
"""

import sys

import anyio


async def worker(started):
    try:
        started.set()  # inside the try: a Ctrl-C from now on reaches the finally
        await anyio.sleep_forever()
    finally:
        print("worker: shut down", flush=True)


async def main():
    try:
        async with anyio.create_task_group() as tg:
            started = anyio.Event()
            tg.start_soon(worker, started)
            await started.wait()  # "ready" only once the worker can shut down
            print("ready", flush=True)
            # Short sleeps, not sleep_forever(): on asyncio the runner's SIGINT handler runs
            # only once the loop wakes, and a Ctrl-C that lands just before its wait would wait.
            while True:
                await anyio.sleep(0.1)
    except BaseException as exc:  # what reaches the application's own code
        kinds = {type(e).__name__ for e in getattr(exc, "exceptions", [exc])}
        print(f"main: {type(exc).__name__} {sorted(kinds)}", flush=True)
        raise


if __name__ == "__main__":
    try:
        anyio.run(main, backend=sys.argv[1])
    except BaseException as exc:
        print(f"anyio.run raised {type(exc).__name__}", flush=True)
        sys.exit(130)
