"""faulthandler: C-level handlers whose owner keeps books of its own.

faulthandler remembers which signals it registered and whether it is enabled.
Writing its handlers back through ``sigaction`` behind its back would leave
those books wrong (a later ``register()`` would do nothing, a real fault would
loop in a handler that thinks it is disabled), so what a test told it is undone
through faulthandler's own functions: ``register`` and ``unregister`` are
wrapped to know what the test registered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._signals import signal_name

if TYPE_CHECKING:
    from .undo import UndoStack


class FaulthandlerBooks:
    """What one test told faulthandler, and undoing it."""

    def __init__(self, from_c: frozenset[int], rebased: set[int], faults: frozenset[int]) -> None:
        self._from_c = from_c
        self._rebased = rebased  # the observer's: signals whose kernel side is not put back
        self._faults = faults

    def install(self, undo: UndoStack) -> None:
        import faulthandler  # built in: costs nothing

        self._fh = faulthandler
        self._fh_enabled = faulthandler.is_enabled()
        self._fh_registered: set[int] = set()
        real_register = faulthandler.register
        # True when it was registered (the stubs say None; the documentation says bool).
        real_unregister: Callable[[int], object] = faulthandler.unregister
        self._fh_unregister = real_unregister

        def register(signum: Any, *args: Any, **kwargs: Any) -> None:
            __tracebackhide__ = True
            real_register(signum, *args, **kwargs)
            if isinstance(signum, int) and signum not in self._from_c:
                self._fh_registered.add(int(signum))

        def unregister(signum: Any) -> bool:
            __tracebackhide__ = True
            done = bool(real_unregister(signum))
            self._fh_registered.discard(signum)
            return done

        undo.setattr(faulthandler, "register", register)
        undo.setattr(faulthandler, "unregister", unregister)

    def leaks(self) -> list[str]:
        """Undo, through faulthandler's own functions, what the test left it doing.
        (Writing its handlers back through sigaction behind its back would leave
        its books wrong: a later register() or a real fault would misbehave.)"""
        leaks = []
        for signum in sorted(self._fh_registered):
            if self._fh_unregister(signum):
                leaks.append(
                    f"{signal_name(signum)}: faulthandler.register() was left in place by the test; unregistered"
                )
        self._fh_registered.clear()
        now = self._fh.is_enabled()
        if now and not self._fh_enabled:
            self._fh.disable()
            leaks.append("faulthandler.enable() was left on by the test; disabled")
        elif self._fh_enabled and not now:
            self._rebased.update(self._faults)  # faulthandler put the defaults back itself
            leaks.append(
                "faulthandler.disable() was called by the test, and faulthandler stays off: the plugin cannot "
                "re-enable it with the session's settings (a later crash shows no traceback)"
            )
        return leaks
