"""The real functions, taken before anybody (the plugin included) patches them.

``signal.signal``/``getsignal`` call ``_signal.signal``/``_signal.getsignal``
at run time, so the observer patches those (see :mod:`.._compat`); everything
the plugin itself does goes through the originals kept here.
"""

from __future__ import annotations

import importlib
import os
import signal
from collections.abc import Callable
from typing import Any

_signal: Any = importlib.import_module("_signal")

real_signal: Callable[[int, object], object] = _signal.signal
real_getsignal: Callable[[int], object] = _signal.getsignal
real_kill: Callable[[int, int], None] = os.kill
real_killpg: Callable[[int, int], None] | None = getattr(os, "killpg", None)
real_raise_signal: Callable[[int], None] = signal.raise_signal
real_pthread_kill: Callable[[int, int], None] | None = getattr(signal, "pthread_kill", None)
real_alarm: Callable[[int], int] | None = getattr(signal, "alarm", None)
real_setitimer: Callable[..., tuple[float, float]] | None = getattr(signal, "setitimer", None)

SIG_DFL = 0
SIG_IGN = 1
