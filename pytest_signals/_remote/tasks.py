"""What an asyncio task that ended cancelled says, read without disturbing it.

Shared by the test process and instrumented children, so it imports nothing
when loaded and leaves ``sys.modules`` as it found it.

The cancel message lives only in the CancelledError the task stored. The public
way to read it (``task.result()``, ``task._make_cancelled_error()``) hands that
exception out and forgets it, and the program's own ``await task`` would then get
a new one without message, context or traceback. So it is read where it is kept:
the pure-Python task's ``_cancelled_exc``, or, for the C task, the objects the
task refers to (``gc.get_referents``, which only looks).
"""

import sys

if False:  # for type checkers only; typing is not imported in the child
    from typing import Any

# 3.10's tasks keep no count of the cancellations they received.
NOTE_CANCELS = sys.version_info < (3, 11)


def coroutine_name(task: object) -> str:
    """The qualified name of the coroutine *task* runs."""
    coro = task.get_coro()  # type: ignore[attr-defined]
    return getattr(coro, "__qualname__", None) or type(coro).__name__


def cancel_message(task: object) -> "str | None":
    """The message of the CancelledError *task* ended with, or None."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return None
    exc = getattr(task, "_cancelled_exc", None)
    if exc is None:
        exc = next((r for r in _referents(task) if isinstance(r, asyncio.CancelledError)), None)
    if exc is None or not exc.args:
        return None
    message = exc.args[0]
    return message if isinstance(message, str) else repr(message)


def _referents(obj: object) -> "list[object]":
    gc = sys.modules.get("gc")
    if gc is None:
        gc = __import__("gc")
        del sys.modules["gc"]  # as the program left it; the module itself stays cached
    return gc.get_referents(obj)  # type: ignore[no-any-return]


# -- cancellations the task absorbed ---------------------------------------------
#
# A task that catches CancelledError and returns (the classic shutdown) ends
# "finished", not "cancelled". From 3.11 the task itself remembers the request:
# ``cancelling()`` stays above zero unless someone took it back with
# ``uncancel()`` (asyncio.timeout, TaskGroup), which is not a shutdown. 3.10
# keeps no trace once the CancelledError was thrown in, so there the request is
# noted where it is made, while it is still pending: ``_must_cancel``, or the
# future the task waits on cancelled (see ``note_pending_cancels``).


def cancel_pending(task: object) -> bool:
    """A ``cancel()`` that *task* has not received yet (3.10's only trace of it)."""
    if getattr(task, "_must_cancel", False):
        return True
    waiter = getattr(task, "_fut_waiter", None)
    return bool(waiter is not None and waiter.cancelled())


def note_pending_cancels(tasks: object, noted: "set[int]") -> None:
    """Add to *noted* the ids of the *tasks* with a cancellation on its way."""
    for task in tasks:  # type: ignore[attr-defined]
        if not task.done() and cancel_pending(task):
            noted.add(id(task))


def ending(task: object, requested: bool) -> "str | None":
    """How a done *task* ended after a cancellation reached it: ``"cancelled"``,
    ``"returned"`` or ``"raised"``; None when none reached it. *requested*: one
    was noted on its way (3.10; from 3.11 the task's own count decides)."""
    if task.cancelled():  # type: ignore[attr-defined]
        return "cancelled"
    cancelling = getattr(task, "cancelling", None)
    if cancelling is not None:
        requested = cancelling() > 0
    if not requested:
        return None
    # _exception, not exception(): that would mark it retrieved, and asyncio
    # would no longer log "Task exception was never retrieved" for the program.
    return "raised" if getattr(task, "_exception", None) is not None else "returned"


def cancelled_event(task: object, cancels: "set[int]") -> "dict[str, Any] | None":
    """The fields of a "cancelled" event for a done *task*, or None when no
    cancellation reached it; *cancels* holds the ids of tasks one was noted
    on its way to (3.10), and forgets this one. Shared by the test process
    and the child's instrumentation."""
    ended = ending(task, id(task) in cancels)
    cancels.discard(id(task))
    if ended is None:
        return None
    return {
        "task": task.get_name(),  # type: ignore[attr-defined]
        "detail": f"coroutine {coroutine_name(task)}",
        "message": cancel_message(task) if ended == "cancelled" else None,
        "ended": ended,
    }
