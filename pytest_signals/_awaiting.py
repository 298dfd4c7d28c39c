"""Waiting for a log event: from asyncio or trio without blocking the loop (a
listener on the log wakes the loop thread-safely when an event arrives), or,
in a synchronous test, blocking with a bound (the listener sets a
``threading.Event``; events recorded by a signal handler in this very thread
set it too, since a blocked ``Event.wait`` runs handlers as they come)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from ._events import SignalEvent, SignalLog

T = TypeVar("T")


def running_trio() -> bool:
    """True inside a running trio loop (anyio's trio backend included)."""
    trio = sys.modules.get("trio")
    if trio is None:
        return False
    try:
        trio.lowlevel.current_trio_token()
    except RuntimeError:
        return False
    return True


def running_loop_here() -> bool:
    """True when this thread runs an event loop (asyncio, or trio): waiting
    must then be awaited, since blocking would freeze the loop."""
    from ._compat import running_loop

    return running_trio() or running_loop() is not None


def wait_blocking(log: SignalLog, find: Callable[[], T | None], timeout: float) -> T | None:
    """Return ``find()``'s first non-None answer, checked now and after each new
    event, or None after *timeout* seconds (the plugin's unpatched clock)."""
    import threading

    from ._compat import monotonic

    found = find()
    if found is not None:
        return found
    wake = threading.Event()

    def listener(_: SignalEvent) -> None:
        wake.set()

    log.add_listener(listener)
    try:
        deadline = monotonic() + timeout
        while True:
            found = find()
            if found is not None:
                return found
            remaining = deadline - monotonic()
            if remaining <= 0:
                return None
            wake.wait(remaining)
            wake.clear()
    finally:
        log.remove_listener(listener)


async def wait_until(log: SignalLog, find: Callable[[], T | None], timeout: float) -> T | None:
    """Return ``find()``'s first non-None answer, checked now and after each new
    event, or None after *timeout* seconds."""
    found = find()
    if found is not None:
        return found
    if running_trio():
        return await _with_trio(log, find, timeout)
    return await _with_asyncio(log, find, timeout)


async def _with_asyncio(log: SignalLog, find: Callable[[], T | None], timeout: float) -> T | None:
    import asyncio

    loop = asyncio.get_running_loop()
    wake = asyncio.Event()

    def listener(_: SignalEvent) -> None:
        loop.call_soon_threadsafe(wake.set)

    log.add_listener(listener)
    try:
        deadline = loop.time() + timeout
        while True:
            found = find()
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            wake.clear()
            try:
                await asyncio.wait_for(wake.wait(), remaining)
            except asyncio.TimeoutError:
                return find()
    finally:
        log.remove_listener(listener)


async def _with_trio(log: SignalLog, find: Callable[[], T | None], timeout: float) -> T | None:
    import trio

    token = trio.lowlevel.current_trio_token()
    state = {"event": trio.Event()}

    def listener(_: SignalEvent) -> None:
        token.run_sync_soon(lambda: state["event"].set())

    log.add_listener(listener)
    try:
        with trio.move_on_after(timeout):
            while True:
                found = find()
                if found is not None:
                    return found
                await state["event"].wait()
                state["event"] = trio.Event()
        return find()
    finally:
        log.remove_listener(listener)
