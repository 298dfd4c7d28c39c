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
