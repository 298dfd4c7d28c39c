"""The kernel's view of this process's signal state, beneath Python's.

``signal.getsignal`` reports Python's own table, which says nothing of a handler
installed from C: ``faulthandler.enable()`` and ``faulthandler.register()``
leave it at ``SIG_DFL``. Putting ``SIG_DFL`` back through ``signal.signal``
would then silently remove faulthandler. So the plugin reads (and, where it has
to, writes back) each signal's ``struct sigaction`` as bytes, through libc's
``sigaction`` via ctypes: the handler is its first field on Linux (glibc,
musl) and macOS alike. Two dispositions are compared by their handler, flags
and the first 64 bits of their mask (:meth:`RawDispositions.key`): glibc fills
the rest of its 1024-bit ``sa_mask`` from uninitialised stack, and the kernel
ignores it. A disposition is written back as the bytes read. Where ctypes or
libc is missing, :func:`raw_dispositions` is None and the plugin falls back to
Python's table (documented as a limit).

ctypes is imported when the first test that uses the plugin starts.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from typing import Any

_BUFFER = 256  # larger than struct sigaction on every platform we know (152 on Linux)


class RawDispositions:
    """Read and write ``struct sigaction`` of a signal, as opaque bytes."""

    def __init__(self, sigaction: Callable[[int, Any, Any], int], ctypes: Any) -> None:
        self._sigaction = sigaction
        self._ctypes = ctypes
        self._buffer = ctypes.create_string_buffer(_BUFFER)

    def read(self, signum: int) -> bytes | None:
        buffer = self._buffer  # (no need to clear it: only key() is compared)
        if self._sigaction(signum, None, buffer) != 0:
            return None
        raw: bytes = buffer.raw
        return raw

    def write(self, signum: int, raw: bytes) -> None:
        buffer = self._ctypes.create_string_buffer(raw, _BUFFER)
        if self._sigaction(signum, buffer, None) != 0:
            errno = self._ctypes.get_errno()
            raise OSError(errno, f"sigaction({signum}) failed")

    def key(self, raw: bytes) -> bytes:
        """What identifies the disposition: handler, the mask's first 64 bits, flags."""
        if _LINUX:  # glibc and musl: handler, sa_mask (128 bytes), sa_flags
            return raw[:16] + raw[136:140]
        return raw[:16]  # macOS: handler, sa_mask (32 bits), sa_flags

    def handler(self, raw: bytes) -> int:
        """The handler's address: 0 is SIG_DFL, 1 is SIG_IGN."""
        return int.from_bytes(raw[: self._ctypes.sizeof(self._ctypes.c_void_p)], "little" if _LITTLE else "big")


_LITTLE = sys.byteorder == "little"
_LINUX = sys.platform.startswith("linux")
_RAW: RawDispositions | None = None
_LOADED = False


def raw_dispositions() -> RawDispositions | None:
    """The process-wide reader, or None where libc's sigaction cannot be reached."""
    global _RAW, _LOADED
    if not _LOADED:
        _LOADED = True
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            function = libc.sigaction
            function.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
            function.restype = ctypes.c_int
            _RAW = RawDispositions(function, ctypes)
        except (ImportError, OSError, AttributeError):  # pragma: no cover - no ctypes/libc
            _RAW = None
    return _RAW


def _bits(mask: int) -> frozenset[int]:
    return frozenset(n + 1 for n in range(mask.bit_length()) if mask >> n & 1)


def caught_and_ignored() -> tuple[frozenset[int], frozenset[int]] | None:
    """The signals the kernel has a handler for, and those it ignores, in one
    read of ``/proc/self/status`` (Linux); None elsewhere."""
    if not _LINUX:
        return None
    try:
        with open("/proc/self/status", "rb", buffering=0) as f:
            data = f.read(8192)
        caught = int(data[data.index(b"SigCgt:") + 7 : data.index(b"\n", data.index(b"SigCgt:"))], 16)
        ignored = int(data[data.index(b"SigIgn:") + 7 : data.index(b"\n", data.index(b"SigIgn:"))], 16)
    except (OSError, ValueError):
        return None
    return _bits(caught), _bits(ignored)


def blocked() -> frozenset[int]:
    """The calling thread's signal mask."""
    return frozenset(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, ()))


def pending() -> frozenset[int]:
    """Signals pending for the calling thread or the process."""
    return frozenset(int(s) for s in signal.sigpending())


def take_pending(signum: int, limit: int = 1 << 22) -> int:
    """Consume *signum* while it is pending and blocked (real-time signals queue:
    all of them). Returns how many were taken. Never waits."""
    taken = 0
    while taken < limit and signal.sigtimedwait((signum,), 0) is not None:
        taken += 1
    return taken
