"""pytest-signals: test how Python code behaves when it receives POSIX signals.

Fixtures ``send_signal``, ``signal_log`` and ``signal_anywhere`` and the
markers ``@pytest.mark.sends_signal`` and ``@pytest.mark.signal_anywhere``
come from the plugin module; this package
exports the typed classes behind them.
"""

# Spawned children import this package too: it must stay free of imports
# (typing included) so that they see the same sys.modules as without it.
if False:  # for type checkers only
    from typing import Any

    from ._children.expect import Expected as Expected
    from ._children.process import SpawnedProcess as SpawnedProcess
    from ._children.process import SpawnError as SpawnError
    from ._children.process import WaitFailed as WaitFailed
    from ._children.spawn import Spawner as Spawner
    from ._children.stopping import StopResult as StopResult
    from ._children.tree import Descendant as Descendant
    from ._delivery import Delivery as Delivery
    from ._events import SignalEvent as SignalEvent
    from ._events import SignalLog as SignalLog
    from ._inproc.anywhere import SignalAnywhere as SignalAnywhere
    from ._inproc.anywhere import SignalAnywhereFailure as SignalAnywhereFailure
    from ._inproc.anywhere import SignalRun as SignalRun
    from ._inproc.anywhere_report import SignalPoint as SignalPoint
    from ._inproc.guard import SignalLeakWarning as SignalLeakWarning
    from ._inproc.send import SignalSender as SignalSender
    from ._signals import SignalNotAvailable as SignalNotAvailable
    from ._signals import resolve_signal as resolve_signal

__version__ = "0.1.0"

# Imported on first use (PEP 562): pytest loads this package for every run,
# and a suite that never uses the plugin should not pay for it.
_EXPORTS = {
    "Delivery": "._delivery",
    "SignalAnywhere": "._inproc.anywhere",
    "SignalAnywhereFailure": "._inproc.anywhere",
    "SignalPoint": "._inproc.anywhere_report",
    "SignalRun": "._inproc.anywhere",
    "SignalEvent": "._events",
    "SignalLog": "._events",
    "SignalLeakWarning": "._inproc.guard",
    "SignalSender": "._inproc.send",
    "Expected": "._children.expect",
    "Descendant": "._children.tree",
    "SpawnedProcess": "._children.process",
    "SpawnError": "._children.process",
    "WaitFailed": "._children.process",
    "StopResult": "._children.stopping",
    "Spawner": "._children.spawn",
    "SignalNotAvailable": "._signals",
    "resolve_signal": "._signals",
}


def __getattr__(name: str) -> "Any":
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_signals' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = [
    "Delivery",
    "Descendant",
    "Expected",
    "SignalAnywhere",
    "SignalAnywhereFailure",
    "SignalEvent",
    "SignalLeakWarning",
    "SignalLog",
    "SignalNotAvailable",
    "SignalPoint",
    "SignalRun",
    "SignalSender",
    "SpawnError",
    "SpawnedProcess",
    "Spawner",
    "StopResult",
    "WaitFailed",
    "__version__",
    "resolve_signal",
]
