"""``spawn(..., signal_anywhere=run)``: the child's side of a signal_anywhere
run, over a function of the child (``within="module:function"``).

The test side (:mod:`.._inproc.anywhere`) hands the child one run's request
in the environment (popped at bootstrap, as every variable of ours): count
the points, or deliver the signal at one of them. Counting reports each point
on the channel as it is found (a program that ends by ``os._exit`` or by a
signal has reported its points already); aiming reports the point when it is
reached, with how the signal met it, and then raises the signal there.

Unlike a run in the test process, the signal is delivered whatever its
disposition: a child the signal kills at a point is what a real signal does
to it there, and the test judges what it left behind (a half-written file).

Only the ``sys.settrace`` backend runs here: *within*'s code objects do not
exist before the program defines them, so they are recognised by name as
they first run. Forks of the child do not trace (the points are the child's).

Which files' lines are points (:class:`FileScope`) is decided here for both
sides: the test process's ``Scope`` builds one from ``include=`` and
``exclude=``, and the request carries its folders to the child.

Stdlib only, and nothing imported that a plain start does not have.
"""

import _thread
import os
import sys

from . import channel as _channel
from .tracepoints import LineTracer, program_frame

if False:  # for type checkers only
    from collections.abc import Callable
    from types import CodeType
    from typing import Any

_signal: "Any" = __import__("_signal")

COUNT = "count"
AIM = "aim"


def encode_request(
    mode: str,
    signum: int,
    within: str,
    target: "tuple[str, int, str, int] | None",
    included: "list[str]",
    excluded: "list[str]",
    outside: "list[str]",
) -> str:
    """One run's request as an environment value (the test side calls this).
    *target* is the point's ``(file, first line of its code, code name, line)``."""
    file, first, name, line = target if target is not None else ("", 0, "", 0)
    fields = [mode, str(int(signum)), within, file, str(first), name, str(line)]
    fields += [_channel.encode_paths(included), _channel.encode_paths(excluded), _channel.encode_paths(outside)]
    return _channel.encode_paths(fields)


def real_path(path: str) -> str:
    """*path* as scopes compare it: resolved and case-normalised."""
    return os.path.normcase(os.path.realpath(path))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


class FileScope:
    """Whether a code object's lines can be points, by its file: not in
    *excluded*, and in *included* or outside both the plugin's folder and
    *outside* (the standard library and installed packages). Every path is
    given as :func:`real_path` makes it. The test process's ``Scope``
    builds one from its arguments; a child's from the test side's request."""

    def __init__(self, included: "list[str]", excluded: "list[str]", outside: "list[str]", plugin: str) -> None:
        self.included, self.excluded, self.outside, self.plugin = included, excluded, outside, plugin
        self._files: dict[str, bool] = {}

    def __call__(self, code: "CodeType") -> bool:
        filename = code.co_filename
        known = self._files.get(filename)
        if known is None:
            known = self._files[filename] = self.file_in_scope(filename)
        return known

    def file_in_scope(self, filename: str) -> bool:
        if filename.startswith("<"):
            return False  # frozen modules, exec'd strings
        path = real_path(filename)
        if any(_inside(path, f) for f in self.excluded):
            return False
        if any(_inside(path, f) for f in self.included):
            return True
        if _inside(path, self.plugin):
            return False
        return not any(_inside(path, f) for f in self.outside)


class NamedWithin:
    """``module:qualname``'s code objects, recognised as they run: the
    function the module's namespace names by *qualname*, or (a nested
    function, 3.11+) the code whose qualified name it is, in that module's
    file. The module is ``sys.modules[module]``, or ``__main__`` when the
    child runs the module's file as a script."""

    def __init__(self, within: str) -> None:
        module, _, qualname = within.partition(":")
        self._module, self._qualname = module, qualname
        self._stem = module.rpartition(".")[2]
        self._cache: dict[CodeType, bool] = {}

    def __contains__(self, code: object) -> bool:
        known = self._cache.get(code)  # type: ignore[call-overload]
        if known is None:
            known = self._cache[code] = self._matches(code)  # type: ignore[index]
        return bool(known)

    def _modules(self) -> "list[Any]":
        """The modules *within* may name: ``sys.modules[module]``, and
        ``__main__`` when the child runs a script of that name (which may
        be named like a module loaded before it, ``time.py``)."""
        modules = [sys.modules.get(self._module)]
        main = sys.modules.get("__main__")
        file = getattr(main, "__file__", None) or ""
        if os.path.splitext(os.path.basename(file))[0] == self._stem:
            modules.append(main)
        return [m for m in modules if m is not None]

    def _matches(self, code: "Any") -> bool:
        name = self._qualname.rpartition(".")[2]
        if code.co_name != name and getattr(code, "co_qualname", None) != self._qualname:
            return False
        for module in self._modules():
            file = getattr(module, "__file__", None)
            if not file or real_path(file) != real_path(code.co_filename):
                continue
            obj: Any = module
            for part in self._qualname.split("."):
                obj = getattr(obj, part, None)
            obj = getattr(obj, "__func__", obj)
            while getattr(obj, "__wrapped__", None) is not None:
                obj = obj.__wrapped__
            if getattr(obj, "__code__", None) is code:
                return True
            return getattr(code, "co_qualname", None) == self._qualname
        return False


def _key(code: "Any") -> "tuple[str, int, str]":
    return code.co_filename, code.co_firstlineno, code.co_name


def start(request: str, send: "Callable[..., None]", emit: "Callable[..., None]", frame_at_point: "list[Any]") -> None:
    """Start this run's tracing in the main thread, before the program runs.
    *frame_at_point* hands the program's frame to the handler's wrapper."""
    fields = _channel.decode_paths(request)
    mode, signum, within = fields[0], int(fields[1]), fields[2]
    file, first, name, line = fields[3], int(fields[4]), fields[5], int(fields[6])
    included, excluded, outside = (_channel.decode_paths(f) for f in fields[7:10])
    named = NamedWithin(within)
    plugin = real_path(os.path.dirname(os.path.dirname(__file__)))
    tracer = LineTracer(
        named,  # type: ignore[arg-type]
        FileScope(included, excluded, outside, plugin),
        backend="sys.settrace",
    )
    tracer.__enter__()
    pid = os.getpid()
    os.register_at_fork(after_in_child=tracer.stop)
    if mode == COUNT:

        def on_point(code: "CodeType", at: int) -> None:
            if os.getpid() == pid:
                filename, firstline, codename = _key(code)
                # (3.10 has no co_qualname: within's own lines get the name it was given)
                qualname = getattr(code, "co_qualname", None) or (
                    within.partition(":")[2] if code in named else codename
                )
                send(_channel.POINT, filename, firstline, codename, qualname, at)

        def on_out() -> None:
            if os.getpid() == pid:
                send(_channel.WITHIN_LEFT)

        tracer.start_count(lambda: True, on_point, on_out)
        return
    wanted = (file, first, name)

    def hit() -> None:
        __tracebackhide__ = True
        tracer.stop()
        blocked = signum in _signal.pthread_sigmask(_signal.SIG_BLOCK, [])
        handler = _signal.getsignal(signum)
        met = "blocked" if blocked else "ignored" if handler == 1 else "default" if handler == 0 else "handler"
        send(_channel.AIMED, met)
        emit("sent", signum, detail=f"by signal_anywhere, at {os.path.basename(file)}:{line} ({met})")
        if _thread.get_ident() == main:
            del frame_at_point[:]
            if met == "handler":
                frame_at_point.append(program_frame())
            try:
                _signal.raise_signal(signum)  # the handler runs here, its exception raised at the point
            finally:
                del frame_at_point[:]

    main = _thread.get_ident()
    tracer.start_aim(lambda code: _key(code) == wanted, line, hit)
