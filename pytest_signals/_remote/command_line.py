"""A forked child's own command line and environment, as the kernel shows them.

A fork of the template is, to the kernel, the template: ``/proc/<pid>/cmdline``
(what ``ps``, ``pgrep -f`` and psutil read) names the template's script, and
``/proc/<pid>/environ`` shows the template's environment. A program started
by exec shows its own. So, on Linux, each fork points the kernel at a copy of
its own command line and environment with ``prctl(PR_SET_MM, PR_SET_MM_MAP)``,
the call checkpoint/restore tools use to put a process's memory map back.
Unlike the single-field ``PR_SET_MM_ARG_START`` family (which needs
``CAP_SYS_RESOURCE``), the whole-map call is allowed to an unprivileged
process as long as it leaves ``/proc/<pid>/exe`` alone, which this does. The
other fields of the map are given back as they are (read from
``/proc/self/stat``, and the break from ``sbrk(0)``); the auxiliary vector is
left unchanged (size 0).

The copy lives in memory from ``malloc`` that is never freed: it must outlive
every Python object, since the kernel reads it for as long as the process
lives.

Where the call is refused (a kernel built without ``CONFIG_CHECKPOINT_RESTORE``,
a seccomp filter) the template says so when it starts, and pytest starts
Python children as new interpreters instead: a fork that would show the
template's command line is not started. Not Linux: not available (macOS's
``ps`` reads the arguments a process was exec'd with from its own stack; a
fork cannot change what it reads), and documented as a limit of the fork
server there.

Standard library only (``ctypes``), as everything in ``_remote``.
"""

import os
import sys
from typing import Any

PR_SET_MM = 35
PR_SET_MM_MAP = 14
_FIELDS = (  # struct prctl_mm_map (linux/prctl.h), in order, all __u64
    "start_code",
    "end_code",
    "start_data",
    "end_data",
    "start_brk",
    "brk",
    "start_stack",
    "arg_start",
    "arg_end",
    "env_start",
    "env_end",
)
# /proc/self/stat field numbers (proc(5)), counting from 1
_STAT = {
    "start_code": 26,
    "end_code": 27,
    "start_stack": 28,
    "start_data": 45,
    "end_data": 46,
    "start_brk": 47,
    "arg_start": 48,
    "arg_end": 49,
    "env_start": 50,
    "env_end": 51,
}

_api: list[Any] = []  # (ctypes, libc, the struct type), once loaded


def _load() -> tuple[Any, Any, Any]:
    if not _api:
        import ctypes  # remote-import-ok: stdlib; loaded in the template, before any fork

        fields: Any = [(name, ctypes.c_uint64) for name in _FIELDS]
        fields += [("auxv", ctypes.c_void_p), ("auxv_size", ctypes.c_uint32), ("exe_fd", ctypes.c_uint32)]

        class MemoryMap(ctypes.Structure):
            _fields_ = fields

        libc = ctypes.CDLL(None, use_errno=True)
        libc.sbrk.restype = ctypes.c_void_p
        libc.sbrk.argtypes = [ctypes.c_ssize_t]
        libc.malloc.restype = ctypes.c_void_p
        libc.malloc.argtypes = [ctypes.c_size_t]
        _api.extend((ctypes, libc, MemoryMap))
    return _api[0], _api[1], _api[2]


def _current() -> dict[str, int]:
    with open("/proc/self/stat", "rb") as stat:
        data = stat.read()
    fields = data[data.rindex(b")") + 2 :].split()  # after "pid (comm) ": field 3 onwards
    return {name: int(fields[number - 3]) for name, number in _STAT.items()}


def _set_map(values: dict[str, int]) -> None:
    ctypes, libc, memory_map = _load()
    fields = dict(values)
    fields["brk"] = libc.sbrk(0)
    request = memory_map(**fields, auxv=None, auxv_size=0, exe_fd=0xFFFFFFFF)
    if libc.prctl(PR_SET_MM, PR_SET_MM_MAP, ctypes.byref(request), ctypes.sizeof(request), 0) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"prctl(PR_SET_MM, PR_SET_MM_MAP): {os.strerror(number)}")


def unavailable() -> "str | None":
    """Why a fork cannot show its own command line here; empty when it can,
    None where the kernel offers no way (not Linux). Called in the template
    before it serves: it loads ``ctypes`` there, and tries the call with the
    map as it is (a change to nothing)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        _set_map(_current())
    except (OSError, ValueError, AttributeError) as exc:
        return str(exc)
    return ""


def set_own(argv: list[str], environ: Any) -> None:
    """Make ``/proc/self/cmdline`` *argv* and ``/proc/self/environ``
    *environ*, each string NUL-terminated, as exec lays them out."""
    arguments = b"".join(os.fsencode(arg) + b"\0" for arg in argv)
    variables = b"".join(key + b"=" + value + b"\0" for key, value in environ.items())
    ctypes, libc, _ = _load()
    size = len(arguments) + len(variables)
    address = libc.malloc(max(size, 1))  # never freed: the kernel reads it
    if not address:
        raise MemoryError("malloc for the command line")
    ctypes.memmove(address, arguments + variables, size)
    values = _current()
    values.update(
        arg_start=address,
        arg_end=address + len(arguments),
        env_start=address + len(arguments),
        env_end=address + size,
    )
    _set_map(values)
