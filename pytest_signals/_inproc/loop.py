"""Where event-loop signal handlers are observed in the test process.

asyncio's ``add_signal_handler`` puts a no-op Python handler on the signal and
runs the callback on a later loop iteration. While a test that uses the plugin
runs (and only if asyncio is already imported: it is never imported for
this), ``add_signal_handler``/``remove_signal_handler`` are wrapped to log the
callbacks added and removed, each callback to log when the loop runs it, and
``create_task`` to log the tasks a cancellation reached, however they ended
(see :mod:`.._tasks`: on 3.10 the requests are noted after each loop signal
callback and in ``asyncio.run``'s shutdown). Everything goes through the test's
undo stack.
"""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING, Any

from .._compat import running_loop, unix_loop_class
from .._remote.names import handler_name
from .._remote.tasks import NOTE_CANCELS, cancelled_event, note_pending_cancels
from .._signals import signal_name

if TYPE_CHECKING:
    from .._delivery import Delivery
    from .._events import SignalLog
    from .observe import SignalObserver
    from .undo import UndoStack

Key = tuple[int, int]  # (id(loop), signal)


class LoopHooks:
    """The asyncio loops' signal handlers seen during one test."""

    def __init__(self, log: SignalLog, undo: UndoStack, observer: SignalObserver) -> None:
        self.log = log
        self.undo = undo
        self.observer = observer
        self.handlers: dict[Key, str] = {}
        # No lock: all of this runs in the main thread (only its loop can add
        # signal handlers), and a handler may call send_signal in the middle of it.
        self._waiting: list[tuple[Delivery, set[Key], int]] = []
        self._adopted: set[Key] = set()  # handlers that were there before the test
        self._cancels: set[int] = set()  # ids of tasks a cancellation is on its way to (3.10)
        # Handlers the test's body added, and those of them still installed when
        # it returned: a loop closed later (pytest-asyncio's, at teardown)
        # removes them silently, one of wider scope keeps them for later tests.
        self._in_body = False
        self._added_by_body: set[Key] = set()
        self._left_by_body: dict[Key, str] = {}

    def install(self) -> None:
        loop_class = unix_loop_class()
        if loop_class is not None:
            self._patch_handlers(loop_class)
        base_events = sys.modules.get("asyncio.base_events")
        if base_events is not None:
            self._patch_create_task(base_events.BaseEventLoop)
        uvloop = sys.modules.get("uvloop")
        uvloop_class = getattr(uvloop, "Loop", None)
        if uvloop_class is not None:  # a Python subclass of uvloop's compiled loop
            self._patch_handlers(uvloop_class)
            self._patch_create_task(uvloop_class)
        runners = sys.modules.get("asyncio.runners")
        if NOTE_CANCELS and runners is not None:
            self._patch_cancel_all_tasks(runners)

    # -- add / remove ------------------------------------------------------------

    def _patch_handlers(self, loop_class: Any) -> None:
        original_add = loop_class.add_signal_handler
        original_remove = loop_class.remove_signal_handler
        hooks = self

        def add_signal_handler(loop: Any, sig: int, callback: Any, *args: Any) -> Any:
            __tracebackhide__ = True
            import asyncio

            if asyncio.iscoroutine(callback) or asyncio.iscoroutinefunction(callback) or not callable(callback):
                return original_add(loop, sig, callback, *args)  # asyncio's own error
            name = handler_name(callback)
            keys: list[Key] = []  # known once asyncio accepted *sig*: its errors come first, unchanged
            observed_callback = hooks._observed(callback, name, keys, loop)
            with hooks.observer.loop_bookkeeping():
                result = original_add(loop, sig, observed_callback, *args)
            key = (id(loop), int(sig))
            keys.append(key)
            hooks.handlers[key] = name
            if hooks._in_body:
                hooks._added_by_body.add(key)
            hooks.log.record("installed", key[1], handler=name, detail="loop.add_signal_handler")
            return result

        def remove_signal_handler(loop: Any, sig: int) -> Any:
            __tracebackhide__ = True
            with hooks.observer.loop_bookkeeping():
                removed = original_remove(loop, sig)
            name = hooks.handlers.pop((id(loop), int(sig)), None)
            if removed:
                hooks.log.record("removed", int(sig), handler=name, detail="loop.remove_signal_handler")
            return removed

        self.undo.setattr(loop_class, "add_signal_handler", add_signal_handler)
        self.undo.setattr(loop_class, "remove_signal_handler", remove_signal_handler)

    def _observed(self, callback: Any, name: str, keys: list[Key], loop: Any) -> Any:
        """*callback*, logged each time the loop runs it (``keys[0]`` is its key)."""
        hooks = self

        @functools.wraps(callback)
        def observed_callback(*cb_args: Any) -> Any:
            __tracebackhide__ = True
            hooks.log.record("handled", keys[0][1], handler=name, detail="event-loop handler")
            try:
                return callback(*cb_args)
            finally:
                if NOTE_CANCELS:
                    import asyncio

                    note_pending_cancels(asyncio.all_tasks(loop), hooks._cancels)
                hooks._ran(keys[0], name)

        observed_callback._pytest_signals_observed = True  # type: ignore[attr-defined]
        return observed_callback

    def adopt(self, loop: Any) -> None:
        """Observe the handlers *loop* got before the test started (a session-,
        module- or class-scoped async fixture's): their callbacks are wrapped
        for the test's duration, and they are not the test's leaks."""
        handlers = getattr(loop, "_signal_handlers", None)
        if not isinstance(handlers, dict):
            return  # not asyncio's selector loop (uvloop keeps them in C)
        for sig, handle in tuple(handlers.items()):
            key = (id(loop), int(sig))
            callback = getattr(handle, "_callback", None)
            if key in self.handlers or callback is None or getattr(callback, "_pytest_signals_observed", False):
                continue
            name = handler_name(callback)
            self.undo.setattr(handle, "_callback", self._observed(callback, name, [key], loop))
            self.handlers[key] = name
            self._adopted.add(key)

    # -- cancelled tasks -------------------------------------------------------------

    def _patch_create_task(self, loop_class: Any) -> None:
        original = loop_class.create_task
        log = self.log
        cancels = self._cancels

        def report(task: Any) -> None:
            fields = cancelled_event(task, cancels)
            if fields is not None:
                log.record("cancelled", None, **fields)

        def create_task(loop: Any, coro: Any, *args: Any, **kwargs: Any) -> Any:
            task = original(loop, coro, *args, **kwargs)
            cancels.discard(id(task))  # a noted id of a task long gone
            task.add_done_callback(report)
            return task

        self.undo.setattr(loop_class, "create_task", create_task)

    def _patch_cancel_all_tasks(self, runners: Any) -> None:
        """3.10's ``asyncio.run`` cancels every task left when main ends."""
        original = runners._cancel_all_tasks
        cancels = self._cancels

        def _cancel_all_tasks(loop: Any) -> Any:
            import asyncio

            cancels.update(id(task) for task in asyncio.all_tasks(loop) if not task.done())
            return original(loop)

        self.undo.setattr(runners, "_cancel_all_tasks", _cancel_all_tasks)

    # -- deliveries ----------------------------------------------------------------

    def expect(self, delivery: Delivery, signum: int, first_event: int) -> bool:
        """Make *delivery* complete when every loop handler for *signum* ran.
        False when no loop has one."""
        loop = running_loop()
        if loop is not None:
            self.adopt(loop)
        keys = {key for key in tuple(self.handlers) if key[1] == signum}
        if keys:
            self._waiting.append((delivery, keys, first_event))
        return bool(keys)

    def _ran(self, key: Key, name: str) -> None:
        done = []
        for entry in tuple(self._waiting):
            delivery, keys, first = entry
            keys.discard(key)
            if not keys and entry in self._waiting:
                self._waiting.remove(entry)
                done.append((delivery, first))
        for delivery, first in done:
            events = tuple(e for e in self.log[first:] if e.signal == delivery.signal)
            delivery._complete("handled", name, events)

    # -- leaks ---------------------------------------------------------------------

    def body_started(self) -> None:
        self._in_body = True

    def body_ended(self) -> None:
        """The test's body (the call phase) returned: note the handlers it added
        and left, whatever the loop's scope, before any fixture closes the loop."""
        self._in_body = False
        for key in self._added_by_body:
            if key in self.handlers:
                self._left_by_body[key] = self.handlers[key]

    def leaks(self) -> list[str]:
        left = {key: name for key, name in self.handlers.items() if key not in self._adopted}
        left.update(self._left_by_body)
        lines = []
        for key, name in sorted(left.items(), key=lambda item: item[0][1]):
            what = f"{signal_name(key[1])}: event-loop handler {name}"
            if key in self.handlers:
                lines.append(f"{what} was left installed (loop.remove_signal_handler() or loop.close() was not called)")
            else:
                lines.append(
                    f"{what} was still installed when the test ended (loop.remove_signal_handler() was not "
                    "called; only the loop's close at teardown removed it)"
                )
        return lines
