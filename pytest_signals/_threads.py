"""Threads the plugin starts take no signal.

The kernel hands a process-directed signal to any thread that does not block
it. A plugin thread that blocked nothing would take signals meant for the code
under test (a ``sigwait`` in the test's own worker thread, a signal whose
default action then kills pytest). A new thread inherits its creator's mask, so
every signal is blocked around ``start()``: there is no moment at which the new
thread could take one.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
from collections.abc import Callable
from typing import Any

from ._compat import monotonic

# Linux 6.9+: a pidfd of one thread (PIDFD_THREAD, the value of O_EXCL), readable once it has exited.
_PIDFD_THREAD = getattr(os, "O_EXCL", 0)
_PIDFD = "_pytest_signals_pidfd"  # the attribute of a started thread that holds its pidfd (not by ident: reused)


def start_thread(target: Callable[..., Any], name: str, args: tuple[Any, ...] = ()) -> threading.Thread:
    """Start a daemon thread that blocks every signal for its whole life."""
    thread = threading.Thread(target=target, name=name, args=args, daemon=True)
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
    try:
        thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    opener = getattr(os, "pidfd_open", None)
    if opener is not None and thread.native_id is not None:
        with contextlib.suppress(OSError):  # an older kernel, or it has ended already
            setattr(thread, _PIDFD, opener(thread.native_id, _PIDFD_THREAD))
    return thread


def join_thread(thread: threading.Thread, timeout: float) -> None:
    """``thread.join(timeout)``, and then, where the kernel can say so, until
    the thread is gone from the process too: ``join`` returns when its Python
    side is done, while its OS thread may still be on its way out (and be
    counted by ``/proc/self/task``, or by 3.12+'s fork warning, in the next test)."""
    deadline = monotonic() + max(timeout, 0.0)
    thread.join(timeout)
    fd = getattr(thread, _PIDFD, None)
    if thread.is_alive() or fd is None:
        return
    setattr(thread, _PIDFD, None)
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        poller.poll(max(0.0, deadline - monotonic()) * 1000)
    finally:
        os.close(fd)
