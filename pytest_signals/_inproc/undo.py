"""The undo stack for the plugin's own changes to the process: the functions
it patches and the handlers it puts underneath the code under test's. Undone
in reverse order, like ``monkeypatch``. (What the *test* changed is put back
from the snapshot in :mod:`.state`, in the order :meth:`SignalGuard.finish`
documents.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_NOTSET: Any = object()


class UndoStack:
    """Changes to global state, undone last-in first-out.

    :meth:`undo` runs every entry even when one fails (the first error is
    raised after all ran) and can be called any number of times: each entry
    runs once.
    """

    def __init__(self) -> None:
        self._entries: list[tuple[str, Callable[[], None]]] = []

    def __len__(self) -> int:
        return len(self._entries)

    def setattr(self, target: object, name: str, value: object) -> None:
        """Set ``target.name = value``, remembering the old value (or its absence).

        On a class, an inherited attribute counts as absent: undo deletes the
        override instead of copying the inherited value onto the class."""
        old = vars(target).get(name, _NOTSET) if isinstance(target, type) else getattr(target, name, _NOTSET)

        def restore() -> None:
            if old is _NOTSET:
                delattr(target, name)
            else:
                setattr(target, name, old)

        setattr(target, name, value)
        self._entries.append((f"{getattr(target, '__name__', target)}.{name}", restore))

    def defer(self, description: str, undo: Callable[[], None]) -> None:
        """Run *undo* when the stack is undone."""
        self._entries.append((description, undo))

    def undo(self) -> None:
        """Undo everything, newest first. Safe to call twice."""
        first: BaseException | None = None
        while self._entries:
            description, undo = self._entries.pop()
            try:
                undo()
            except BaseException as exc:  # keep undoing the rest, whatever it was
                if first is None:
                    if isinstance(exc, Exception):
                        first = RuntimeError(f"pytest-signals could not undo {description}: {exc!r}")
                        first.__cause__ = exc
                    else:  # KeyboardInterrupt and friends: raised as they are, after the rest
                        first = exc
        if first is not None:
            raise first
