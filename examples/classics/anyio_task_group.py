"""A signal-handling task that cancels its task group's scope on SIGINT
("Ctrl+C pressed!") or SIGTERM ("Terminated!"); the other tasks are
cancelled with it and the program ends normally.

    python anyio_task_group.py asyncio|trio
"""

import signal
import sys

import anyio


async def handle_signals(scope):
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            print("Ctrl+C pressed!" if signum == signal.SIGINT else "Terminated!", flush=True)
            scope.cancel()
            return


async def work():
    try:
        await anyio.sleep_forever()
    finally:
        print("worker: cancelled", flush=True)


async def main():
    async with anyio.create_task_group() as tg:
        tg.start_soon(handle_signals, tg.cancel_scope)
        tg.start_soon(work)
        print("running", flush=True)
    print("task group exited cleanly", flush=True)


if __name__ == "__main__":
    anyio.run(main, backend=sys.argv[1])
