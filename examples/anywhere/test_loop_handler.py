"""SIGTERM at every line of an asyncio server: broadcast() is never cut in two.

The body runs the whole program, ``asyncio.run`` included: the event loop's
handler takes effect at the loop's next turn, inside the run.
"""

import asyncio
import signal

import pytest
from loop_handler import BuggyServer, Server

from pytest_signals import SignalAnywhereFailure

NAMES = ["ann", "bob", "cy"]


def check(server):
    assert sorted([*server.connections, *server.closed]) == NAMES
    for outbox in [*server.connections.values(), *server.closed.values()]:
        assert outbox in (["hello", "bye"][:n] for n in range(3)), outbox


@pytest.mark.xfail(raises=SignalAnywhereFailure, strict=True, reason="the bug signal_anywhere finds")
@pytest.mark.signal_anywhere(signal.SIGTERM)
def test_buggy_server():
    server = BuggyServer(NAMES)
    asyncio.run(server.serve(["hello", "bye"]))
    check(server)


@pytest.mark.signal_anywhere(signal.SIGTERM)
def test_server():
    server = Server(NAMES)
    asyncio.run(server.serve(["hello", "bye"]))
    check(server)
