"""Awaiting a log event from asyncio or trio without blocking the loop: a
listener on the log wakes the loop thread-safely when an event arrives."""

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
