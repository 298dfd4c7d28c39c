"""Points: the moments just before a line of chosen code runs, while a given
function (*within*) is running. One run counts them; another runs to one of
them and calls a hook there.

It imports ``sys`` and ``_thread`` only (both loaded in every interpreter) and
nothing of the rest of the plugin, so that an instrumented child can share it
and still see the ``sys.modules`` of a plain start. The test side that picks
the points and sends the signal is :mod:`._inproc.anywhere`.

A point is a line the first time it runs while *within* is on the stack (in
*within* itself or in code it calls, of the files in scope). Later times the
same line runs (a loop's next turn) are the same point: counting stops
listening to a line once it has seen it, so that counting costs one callback
per line, not one per execution.

Two ways to get line events:

* ``sys.monitoring`` (3.12+), under a tool id of our own. Counting turns
  ``LINE`` on for all code and answers ``DISABLE`` for each location once it
  is seen or found out of scope, so a run costs one callback per location.
  Whether *within* is running comes from ``PY_START``/``PY_RESUME`` and
  ``PY_RETURN``/``PY_YIELD`` on its code only, and the global ``PY_UNWIND``
  (an exception leaving it). Aiming turns ``LINE`` on for the target's code
  object only. It coexists with coverage and debuggers, which have tool ids
  of their own.
* ``sys.settrace`` (3.10, 3.11, and 3.12+ when no tool id is free): a *call*
  event for every frame, line events only in frames of code in scope while
  *within* runs. It replaces the thread's trace function for the run and
  puts it back.

Rejected: rewriting the code under test (an AST pass that inserts a call
before each statement) changes its frames, tracebacks and line numbers and
needs an import hook; a timer signal at random moments finds a window by luck
and cannot name or repeat the one it hit.

The interpreter runs these callbacks with tracing suspended, so whatever the
hook runs (the handler) is not traced itself, and an exception the hook lets
out is raised in the traced frame at that line, as a handler's exception
would be. Only the main thread's lines are points: Python runs signal
handlers there.
"""

import _thread
import sys

if False:  # for type checkers only; typing is not imported in a child
    from collections.abc import Callable
    from types import CodeType, FrameType
    from typing import Any

# sys.monitoring ids 0-2 and 5 are named for debuggers, coverage, profilers and
# optimizers; 3 and 4 are unassigned. Ours is the first one free.
TOOL_IDS = (4, 3)
TOOL_NAME = "pytest-signals"
_UNSET = object()
COROUTINES = 0x80 | 0x100 | 0x200  # CO_COROUTINE, CO_ITERABLE_COROUTINE, CO_ASYNC_GENERATOR (inspect's values)


def program_frame() -> "FrameType | None":
    """The innermost frame that is not this plugin's: under a tracer's
    callback, the traced one (a handler run from the callback gets it, as a
    handler run by the interpreter gets the frame it interrupted)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("pytest_signals."):
        frame = frame.f_back
    return frame


def line_at(code: "CodeType", offset: int) -> int:
    """The line of the instruction at *offset*."""
    for start, end, line in code.co_lines():
        if start <= offset < end and line is not None:
            return line
    return code.co_firstlineno


class Counted:
    """What a counting run saw: each line of code in scope that ran while
    *within* ran, once, in the order they first ran.

    ``lines[i]`` is ``(code, line)``; ``armed[i]`` is 1 when the caller's
    *armed* said the hook could fire there (a handler was installed).
    """

    def __init__(self) -> None:
        self.lines: list[tuple[CodeType, int]] = []
        self.offsets: list[int] = []  # -1 for a line; a coroutine's resumption: the offset it resumed at
        self.armed = bytearray()

    def __len__(self) -> int:
        return len(self.lines)


class LineTracer:
    """Counting and aiming runs over the code that *in_scope* accepts, while
    one of *within*'s code objects runs.

    Use as a context manager: the ``sys.monitoring`` tool id is held from
    ``__enter__`` to ``__exit__``. Between ``start_*`` and ``stop`` the
    tracing is on; main thread only.
    """

    def __init__(
        self,
        within: "frozenset[CodeType]",
        in_scope: "Callable[[CodeType], bool]",
        *,
        backend: "str | None" = None,
    ) -> None:
        self._within = within
        self._in_scope = in_scope
        self._cache: dict[CodeType, bool] = {}
        self._tool: int | None = None
        self._main = _thread.get_ident()  # made in the main thread: only its lines are points
        self._wanted = backend
        self._stop: Callable[[], None] | None = None
        self._previous: object = _UNSET
        self._dirty = True  # sys.monitoring: locations may be disabled that the next aimed run needs
        self._aiming = False
        self._local: dict[CodeType, int] = {}
        self.backend = "sys.settrace"
        self.reached = False

    def __enter__(self) -> "LineTracer":
        monitoring: Any = getattr(sys, "monitoring", None)
        if monitoring is not None and self._wanted != "sys.settrace":
            for tool in TOOL_IDS:
                if monitoring.get_tool(tool) is None:
                    monitoring.use_tool_id(tool, TOOL_NAME)
                    self._tool = tool
                    self.backend = "sys.monitoring"
                    break
        if self._wanted is not None and self._wanted != self.backend:
            self.__exit__()
            raise RuntimeError(f"the {self._wanted} backend is not available here")
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        tool, self._tool = self._tool, None
        if tool is not None:
            monitoring: Any = sys.monitoring  # type: ignore[attr-defined]
            monitoring.set_events(tool, 0)
            for code in self._local:
                monitoring.set_local_events(tool, code, 0)
            self._local.clear()
            for event in _events(monitoring):
                monitoring.register_callback(tool, event, None)
            monitoring.free_tool_id(tool)

    def _scoped(self, code: "CodeType") -> bool:
        scope = self._cache.get(code)
        if scope is None:
            scope = self._cache[code] = code in self._within or bool(self._in_scope(code))
        return scope

    def stop(self) -> None:
        """Tracing off, and the thread's previous trace function back (idempotent)."""
        self._events_off()
        previous, self._previous = self._previous, _UNSET
        if previous is not _UNSET:
            # A trace function that raises (the handler's exception, at the
            # point) makes the interpreter unset it: put back the one that was there.
            sys.settrace(previous)  # type: ignore[arg-type]

    def _events_off(self) -> None:
        stop, self._stop = self._stop, None
        if stop is not None:
            stop()

    # -- counting ------------------------------------------------------------------

    def start_count(
        self,
        armed: "Callable[[], bool]",
        on_point: "Callable[[CodeType, int], None] | None" = None,
        on_out: "Callable[[], None] | None" = None,
    ) -> Counted:
        """Count until :meth:`stop`: the returned record fills meanwhile, and
        *on_point* (a child's report) hears of each point as it is found,
        *on_out* of each time the outermost *within* call is left."""
        counted = Counted()
        lines, offsets, flag = counted.lines.append, counted.offsets.append, counted.armed.append

        def record(key: "tuple[CodeType, int]", offset: int = -1) -> None:
            lines(key)
            offsets(offset)
            if on_point is not None:
                on_point(*key)

        seen: set[tuple[CodeType, int]] = set()
        scoped, main, get_ident = self._scoped, self._main, _thread.get_ident
        depth = [0]

        if self._tool is not None:
            monitoring: Any = sys.monitoring  # type: ignore[attr-defined]
            disable = monitoring.DISABLE

            def on_line(code: "CodeType", line: int) -> object:
                if not scoped(code):
                    return disable
                if not depth[0] or get_ident() != main:
                    return None  # in scope, but not inside within: maybe later
                key = (code, line)
                if key not in seen:
                    seen.add(key)
                    record(key)
                    flag(armed())
                return disable

            resumed: set[tuple[CodeType, int]] = set()
            within = self._within

            def on_resume(code: "CodeType", offset: int) -> object:
                if get_ident() != main:
                    return None
                if code in within:
                    depth[0] += 1
                if depth[0] and code.co_flags & COROUTINES and scoped(code) and (code, offset) not in resumed:
                    resumed.add((code, offset))
                    record((code, line_at(code, offset)), offset)
                    flag(armed())
                return None

            self._monitor(on_line, depth, None, on_resume, on_out=on_out)
            return counted

        def on_local(frame: "FrameType", event: str, arg: object) -> object:
            if event == "line" and depth[0]:
                key = (frame.f_code, frame.f_lineno)
                if key not in seen:
                    seen.add(key)
                    record(key)
                    flag(armed())
            return on_local

        self._trace(self._depth_tracer(depth, on_local, scoped, on_out))
        return counted

    # -- aiming --------------------------------------------------------------------

    def start_aim(
        self, code: "CodeType | Callable[[CodeType], bool]", line: int, hit: "Callable[[], None]", offset: int = -1
    ) -> None:
        """Until :meth:`stop`: the first time *line* of *code* runs inside
        *within* (or, with an *offset*, the coroutine *code* resumes there),
        call *hit* and trace nothing after that (:attr:`reached` says whether
        it came). Whatever *hit* raises is raised in the traced frame.

        In a child, *code* is a predicate (the code object of the counting
        run lived in another process); only the ``sys.settrace`` backend
        takes one."""
        self.reached = False
        main, get_ident = self._main, _thread.get_ident
        depth = [0]

        def arrive() -> None:
            __tracebackhide__ = True
            self.reached = True
            self._dirty = False
            if self._tool is None:
                self._events_off()  # the rest of the run at full speed
            # (sys.monitoring: the lines after the point stay on, answered at
            # once, until the run ends: a line event with no callback
            # registered costs more than one that returns None.)
            hit()

        if self._tool is not None:
            if callable(code):
                raise TypeError("sys.monitoring aims at a code object, not a predicate")
            monitoring: Any = sys.monitoring  # type: ignore[attr-defined]
            disable = monitoring.DISABLE

            within = self._within

            def on_resume(at_code: "CodeType", at: int) -> object:
                __tracebackhide__ = True
                if get_ident() != main:
                    return None
                if at_code in within:
                    depth[0] += 1
                if at == offset and at_code is code and depth[0] and not self.reached:
                    arrive()
                return None

            def on_line(at_code: "CodeType", at: int) -> object:
                __tracebackhide__ = True
                if self.reached or not depth[0] or get_ident() != main:
                    return None  # outside within: this line may be a later point
                if at == line and at_code is code and offset < 0:
                    if not self.reached:
                        arrive()
                    return None
                return disable  # a line before the point: the runs after this one do not need it

            self._monitor(on_line, depth, code, on_resume, resumption=offset >= 0)
            return

        def on_local(frame: "FrameType", event: str, arg: object) -> object:
            __tracebackhide__ = True
            if event == "line" and frame.f_lineno == line and depth[0] and not self.reached:
                frame.f_trace = None
                arrive()
                return None
            return on_local

        self._trace(self._depth_tracer(depth, on_local, code if callable(code) else (lambda c: c is code)))

    # -- the two backends --------------------------------------------------------------

    def _monitor(
        self,
        on_line: "Callable[[CodeType, int], object]",
        depth: "list[int]",
        target: "CodeType | None",
        on_resume: "Callable[[CodeType, int], object] | None" = None,
        *,
        resumption: bool = False,
        on_out: "Callable[[], None] | None" = None,
    ) -> None:
        monitoring: Any = sys.monitoring  # type: ignore[attr-defined]
        tool, ev = self._tool, monitoring.events
        within, main, get_ident = self._within, self._main, _thread.get_ident

        def enter(code: "CodeType", offset: int) -> object:
            if get_ident() == main:
                depth[0] += 1
            return None

        def leave(code: "CodeType", offset: int, value: object) -> object:
            if get_ident() == main and depth[0]:
                depth[0] -= 1
                if not depth[0] and on_out is not None:
                    on_out()
            return None

        def unwind(code: "CodeType", offset: int, exc: object) -> object:
            if code in within and get_ident() == main and depth[0]:
                depth[0] -= 1
                if not depth[0] and on_out is not None:
                    on_out()
            return None

        callbacks = (
            (ev.LINE, on_line),
            (ev.PY_START, enter),
            (ev.PY_RESUME, enter if on_resume is None else on_resume),
            (ev.PY_RETURN, leave),
            (ev.PY_YIELD, leave),
            (ev.PY_UNWIND, unwind),
        )
        frames = ev.PY_START | ev.PY_RESUME | ev.PY_RETURN | ev.PY_YIELD

        def unregister() -> None:
            for event, _ in callbacks:
                monitoring.register_callback(tool, event, None)

        if target is None:  # counting: every line, each location disabled once seen
            monitoring.restart_events()
            self._dirty = True
            for event, callback in callbacks:
                monitoring.register_callback(tool, event, callback)
            monitoring.set_events(tool, ev.LINE | ev.PY_UNWIND | ev.PY_RESUME)
            for code in within:
                monitoring.set_local_events(tool, code, frames)

            def stop() -> None:
                monitoring.set_events(tool, 0)
                for code in within:
                    monitoring.set_local_events(tool, code, 0)
                unregister()

            self._stop = stop
            return
        # Aiming. Changing which events are on re-instruments code and so
        # forgets every DISABLE; so the events stay on from one aimed run to
        # the next, and a run's end only unregisters the callbacks. The runs go
        # in the order the points were first met and stop listening at their
        # point: the locations the runs before disabled are lines before it,
        # so a run costs a callback or two, not one a line. A run that went
        # past its point without reaching it disabled lines after it: then
        # they are enabled again (restart_events) before the next run.
        if not self._aiming:
            monitoring.set_events(tool, ev.PY_UNWIND)
            self._aiming = True
        if self._dirty:
            monitoring.restart_events()
        self._dirty = True
        for code in within | {target}:
            aimed = (ev.PY_RESUME if resumption else ev.LINE) if code is target else 0
            events = self._local.get(code, 0) | (frames if code in within else 0) | aimed
            if events != self._local.get(code):
                monitoring.set_local_events(tool, code, events)
                self._local[code] = events
        for event, callback in callbacks:
            monitoring.register_callback(tool, event, callback)
        self._stop = unregister

    def _depth_tracer(
        self,
        depth: "list[int]",
        on_local: "Callable[[FrameType, str, object], object]",
        lines_of: "Callable[[CodeType], bool]",
        on_out: "Callable[[], None] | None" = None,
    ) -> "Callable[[FrameType, str, object], object]":
        within, main, get_ident = self._within, self._main, _thread.get_ident

        def on_call(frame: "FrameType", event: str, arg: object) -> object:
            code = frame.f_code
            if code in within and get_ident() == main:
                depth[0] += 1  # a call, or a generator's resumption
                traced = lines_of(code)

                def on_within(frame: "FrameType", event: str, arg: object) -> object:
                    __tracebackhide__ = True
                    if event == "return":  # a return, a yield, or an exception leaving it
                        if depth[0]:
                            depth[0] -= 1
                            if not depth[0] and on_out is not None:
                                on_out()
                        return None
                    if traced:
                        on_local(frame, event, arg)
                    return on_within

                return on_within
            if depth[0] and lines_of(code) and get_ident() == main:
                return on_local
            return None

        return on_call

    def _trace(self, on_call: "Callable[[FrameType, str, object], object]") -> None:
        previous = self._previous = sys.gettrace()
        sys.settrace(on_call)  # type: ignore[arg-type]

        def stop() -> None:
            sys.settrace(previous)

        self._stop = stop


def _events(monitoring: "Any") -> "tuple[int, ...]":
    ev = monitoring.events
    return (ev.LINE, ev.PY_START, ev.PY_RESUME, ev.PY_RETURN, ev.PY_YIELD, ev.PY_UNWIND)
