"""Threads the plugin starts take no signal.

The kernel hands a process-directed signal to any thread that does not block
it. A plugin thread that blocked nothing would take signals meant for the code
under test (a ``sigwait`` in the test's own worker thread, a signal whose
default action then kills pytest). A new thread inherits its creator's mask, so
every signal is blocked around ``start()``: there is no moment at which the new
thread could take one.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any


def start_thread(target: Callable[..., Any], name: str, args: tuple[Any, ...] = ()) -> threading.Thread:
    """Start a daemon thread that blocks every signal for its whole life."""
    thread = threading.Thread(target=target, name=name, args=args, daemon=True)
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
    try:
        thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return thread
