"""The :class:`Delivery` record that ``send_signal`` returns."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Generator
from typing import Any, Literal, NoReturn, get_args

from ._awaiting import running_trio
from ._events import SignalEvent
from ._signals import signal_name


def _running_event_loop() -> bool:
    asyncio = sys.modules.get("asyncio")
    return asyncio is not None and asyncio._get_running_loop() is not None


_CREATE = (
    threading.RLock()
)  # one for all deliveries, taken only when someone waits (re-entrant: a handler may complete one)

Outcome = Literal["handled", "queued", "ignored", "default", "blocked", "exited", "sent"]
"""What became of a signal: :attr:`Delivery.outcome`."""
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)

Via = Literal["raise", "kill", "group", "tty"]
"""How a signal is sent: ``send_signal(via=...)``, :attr:`Delivery.via`."""
VIAS: tuple[Via, ...] = get_args(Via)


class Delivery:
    """What became of one signal sent with ``send_signal``.

    Attributes:
        signal: the signal sent.
        target: pid of the process it was sent to.
        via: how it was sent: ``"raise"`` (``signal.raise_signal``, to the
            test process), ``"kill"`` (``os.kill``, or a spawned child's
            pidfd), ``"group"`` (the spawned child's process group) or
            ``"tty"`` (the key typed into the spawned child's terminal).
        outcome: ``"handled"`` (a Python handler ran), ``"queued"`` (handed
            to an event loop's ``add_signal_handler``: the loop runs the callback
            on a later iteration), ``"ignored"``
            (``SIG_IGN``, or a default action of ignore), ``"default"`` (the
            default action would have ended or stopped the process),
            ``"blocked"`` (pending in the signal mask), ``"exited"`` (a
            spawned child exited on its own, not killed by this signal, before
            reporting a handler for it: a command, which reports nothing, may
            well have handled it, as a shell's ``trap 'exit 3' TERM`` does; the
            ``"exited"`` event, last in :attr:`events`, has the exit code) or
            ``"sent"`` (sent to a process the plugin does not observe).
        handler: qualified name of the handler that ran, or None.
        events: the log events this delivery caused, ``"sent"`` first.

    A delivery is complete once its outcome is known. Deliveries to the test
    process complete before ``send_signal`` returns; one to a spawned child
    completes when the child reports that a handler for the signal ran, or
    when it exits, whichever comes first: :meth:`wait` for it, or ``await`` it
    (in asyncio or trio, without blocking the loop).
    """

    signal: int
    target: int
    via: Via
    outcome: Outcome
    handler: str | None
    events: tuple[SignalEvent, ...]

    def __init__(
        self,
        signal: int,
        target: int,
        via: Via,
        on_timeout: Callable[[float], NoReturn] | None = None,
    ) -> None:
        self.signal = signal
        self.target = target
        self.via = via
        self.outcome = "sent"
        self.handler = None
        self.events = ()
        self.default_timeout: float | None = None
        self.loop_bound = False
        self._finished = False
        self._on_timeout = on_timeout
        self._callbacks: list[Callable[[], None]] = []
        # Made on first need: a delivery to the test process is complete before
        # send_signal returns, and needs no synchronisation at all.
        self._event: threading.Event | None = None

    @property
    def _done(self) -> threading.Event:
        """The event set on completion (for waits from another thread)."""
        if self._event is None:
            with _CREATE:
                if self._event is None:
                    event = threading.Event()
                    if self._finished:
                        event.set()
                    self._event = event
        return self._event

    @property
    def handled(self) -> bool:
        """True when a Python-level handler was observed running."""
        return self.outcome == "handled"

    @property
    def done(self) -> bool:
        """True once the outcome is known."""
        return self._finished

    def _complete(self, outcome: Outcome, handler: str | None, events: tuple[SignalEvent, ...]) -> None:
        self.outcome = outcome
        self.handler = handler
        self.events = events
        if self._event is None and not self._callbacks:
            self._finished = True  # nobody waits (the common case): no lock to take
            if self._event is None and not self._callbacks:
                return
        with _CREATE:
            self._finished = True
            callbacks, self._callbacks = self._callbacks, []
        self._done.set()
        for callback in callbacks:
            callback()

    def _on_complete(self, callback: Callable[[], None]) -> bool:
        """Call *callback* on completion; False (and no call) when already complete."""
        with _CREATE:
            if self._finished:
                return False
            self._callbacks.append(callback)
            return True

    def wait(self, timeout: float | None = None) -> Delivery:
        """Block until the outcome is known, at most *timeout* seconds
        (default: the ``signal_timeout`` setting).

        Raises:
            pytest.fail.Exception: not complete in time, with the timeline and
                the child's output.
        """
        __tracebackhide__ = True
        bound = timeout if timeout is not None else self.default_timeout
        if self.loop_bound and not self.done and _running_event_loop():
            raise RuntimeError(
                f"{self!r} completes when the event loop runs its handler, and this thread runs "
                "that loop: wait() would block it forever. Use `await` instead."
            )
        if not self._done.wait(bound):
            if self._on_timeout is not None:
                self._on_timeout(bound if bound is not None else 0.0)
            raise TimeoutError(f"{self!r} did not complete within {bound}s")
        return self

    def __await__(self) -> Generator[Any, None, Delivery]:
        """Await completion without blocking the event loop (asyncio or trio)."""
        if self.done:
            return self
        if running_trio():
            return (yield from self._await_trio().__await__())
        import asyncio

        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        loop_thread = threading.get_ident()

        def resolve() -> None:
            if not future.done():
                future.set_result(None)

        def wake() -> None:
            if threading.get_ident() == loop_thread:
                resolve()  # completed by a callback of this very loop
            else:
                loop.call_soon_threadsafe(resolve)

        if not self._on_complete(wake):
            future.set_result(None)
        bound = self.default_timeout
        timed_out = []

        def on_timeout() -> None:
            if not future.done():
                timed_out.append(True)
                future.set_result(None)

        timer = loop.call_later(bound, on_timeout) if bound is not None else None
        try:
            yield from future.__await__()
        finally:
            if timer is not None:
                timer.cancel()
        if timed_out and self._on_timeout is not None:
            self._on_timeout(bound if bound is not None else 0.0)
        return self

    async def _await_trio(self) -> Delivery:
        import trio

        token = trio.lowlevel.current_trio_token()
        event = trio.Event()
        if not self._on_complete(lambda: token.run_sync_soon(event.set)):
            return self
        bound = self.default_timeout
        with trio.move_on_after(bound if bound is not None else float("inf")) as scope:
            await event.wait()
        if scope.cancelled_caught and self._on_timeout is not None:
            self._on_timeout(bound if bound is not None else 0.0)
        return self

    def __repr__(self) -> str:
        extra = f" by {self.handler}" if self.handler else ""
        if self.outcome == "exited" and self.events:
            extra = f" ({self.events[-1].detail})"
        return f"<Delivery {signal_name(self.signal)} to pid {self.target} via {self.via}: {self.outcome}{extra}>"
