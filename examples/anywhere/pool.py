"""A server whose SIGTERM handler, run by the event loop, cancels every task,
while a task holds a connection from a pool.

BuggyServer's handler task takes a connection, uses it, and gives it back on
the next line: a cancellation while it is in use (the SIGTERM handler's
``task.cancel()``) skips that line, and the connection is never returned.

Server's handler gives it back in ``finally``.
"""

from __future__ import annotations

import asyncio
import signal


class Pool:
    def __init__(self, size: int = 2) -> None:
        self.free = size
        self.size = size

    def take(self) -> int:
        self.free -= 1
        return self.size - self.free

    def give_back(self, connection: int) -> None:
        self.free += 1


async def query(connection: int) -> None:
    for _ in range(3):  # the database's answer takes a few turns of the loop
        await asyncio.sleep(0)


async def buggy_handle(pool: Pool) -> None:
    connection = pool.take()  # <- unsafe: cancelled from here on, the connection is never given back
    await query(connection)
    pool.give_back(connection)


async def handle(pool: Pool) -> None:
    connection = pool.take()
    try:
        await query(connection)
    finally:
        pool.give_back(connection)


async def serve(handler, pool: Pool, requests: int = 2) -> None:  # type: ignore[no-untyped-def]
    """Handle *requests* requests at once; SIGTERM cancels them all."""
    loop = asyncio.get_running_loop()
    tasks = [asyncio.create_task(handler(pool)) for _ in range(requests)]

    def shutdown() -> None:
        for task in tasks:
            task.cancel()

    loop.add_signal_handler(signal.SIGTERM, shutdown)
    try:
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
