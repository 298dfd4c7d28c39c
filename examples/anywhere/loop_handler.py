"""An asyncio server whose SIGTERM handler closes the connections, and the
loop that is writing to them at that moment.

BuggyServer installs its handler with ``signal.signal``: it runs between two
bytecodes of whatever the main thread does, here in the middle of
broadcast()'s loop over the connections. The handler empties the dict and
the loop's next step raises ``RuntimeError: dictionary changed size during
iteration``.

Server installs it with ``loop.add_signal_handler``: the event loop runs the
callback between two of its callbacks, never inside one, so broadcast() is
never interrupted (at an ``await`` it may be: that is where a coroutine
expects others to run).
"""

from __future__ import annotations

import asyncio
import signal


class BuggyServer:
    def __init__(self, names: list[str]) -> None:
        self.connections: dict[str, list[str]] = {name: [] for name in names}
        self.closed: dict[str, list[str]] = {}

    def close_all(self) -> None:
        for name in list(self.connections):
            self.closed[name] = self.connections.pop(name)

    def broadcast(self, message: str) -> None:
        for outbox in self.connections.values():
            outbox.append(message)  # <- unsafe: the handler empties the dict the loop is walking

    async def serve(self, messages: list[str]) -> None:
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: self.close_all())
        try:
            for message in messages:
                self.broadcast(message)
                await asyncio.sleep(0)
        finally:
            signal.signal(signal.SIGTERM, previous)


class Server(BuggyServer):
    async def serve(self, messages: list[str]) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.close_all)
        try:
            for message in messages:
                self.broadcast(message)
                await asyncio.sleep(0)  # close_all may run here, between two broadcasts
        finally:
            loop.remove_signal_handler(signal.SIGTERM)
