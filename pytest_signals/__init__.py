"""pytest-signals: test how Python code behaves when it receives POSIX signals.

Fixtures ``send_signal`` and ``signal_log`` and the marker
``@pytest.mark.sends_signal`` come from the plugin module; this package
exports the typed classes behind them.
"""

from __future__ import annotations

from ._delivery import Delivery as Delivery
from ._events import SignalEvent as SignalEvent
from ._events import SignalLog as SignalLog
from ._guard import SignalLeakWarning as SignalLeakWarning
from ._send import SignalSender as SignalSender
from ._signals import SignalNotAvailable as SignalNotAvailable
from ._signals import resolve_signal as resolve_signal

__version__ = "0.1.0"

__all__ = [
    "Delivery",
    "SignalEvent",
    "SignalLeakWarning",
    "SignalLog",
    "SignalNotAvailable",
    "SignalSender",
    "__version__",
    "resolve_signal",
]
