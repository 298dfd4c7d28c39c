"""What asyncio.run() does with Ctrl-C. main() raises SIGINT in its own process
(as a Ctrl-C would) while a worker task sleeps; each variant reacts differently.

    python asyncio_run_ctrl_c.py default|print-handler|blocking|cancel-all

default        main waits after the Ctrl-C and handles its own cancellation
print-handler  a SIGINT loop handler that only prints
blocking       main blocks in time.sleep after the Ctrl-C
cancel-all     a SIGINT loop handler that cancels every task
"""

import asyncio
import signal
import sys
import time


def say(text):
    print(text, flush=True)


async def worker():
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        say("worker: cancelled")
        raise


async def main(variant):
    loop = asyncio.get_running_loop()
    if variant == "print-handler":
        loop.add_signal_handler(signal.SIGINT, say, "handler: SIGINT, and nothing else")
    elif variant == "cancel-all":
        loop.add_signal_handler(signal.SIGINT, cancel_every_task)
    background = asyncio.create_task(worker(), name="worker")
    await asyncio.sleep(0)  # let the worker start
    say("main: raising SIGINT")
    signal.raise_signal(signal.SIGINT)
    if variant == "blocking":
        time.sleep(0.2)  # blocks the loop: nothing can react until main returns
    else:
        try:
            await asyncio.sleep(0.2)  # main's own work; the loop handles the signal meanwhile
        except asyncio.CancelledError:
            say("main: cancelled")
            if variant == "cancel-all":
                raise
            return background  # "default": main handles its cancellation and returns
    say("main: completed")
    return background


def cancel_every_task():
    say("handler: cancelling every task")
    for task in sorted(asyncio.all_tasks(), key=asyncio.Task.get_name):  # a fixed order
        task.cancel("SIGINT")


if __name__ == "__main__":
    try:
        asyncio.run(main(sys.argv[1]))
    except asyncio.CancelledError:
        say("asyncio.run() raised CancelledError")
        sys.exit(1)
    say("asyncio.run() returned")
