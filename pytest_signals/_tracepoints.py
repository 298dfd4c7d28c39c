"""Points: the moments just before a line of chosen code runs. One run counts
them; another runs to one of them and calls a hook there.

It imports ``sys`` and ``_thread`` only (both loaded in every interpreter) and
nothing of the rest of the plugin, so that an instrumented child can share it
and still see the ``sys.modules`` of a plain start. The test side
that picks the points and sends the signal is :mod:`._inproc.anywhere`.

A point is the interpreter's *line* event. Two ways to get it:

* ``sys.monitoring`` (3.12+): ``LINE`` events under a tool id of our own.
  Counting turns them on for all code and answers ``DISABLE`` for code out of
  scope, so other code costs one call per location, not one per execution;
  aiming turns them on only for the code objects of the target line. It
  coexists with coverage and debuggers, which have tool ids of their own.
* ``sys.settrace`` (3.10, 3.11, and 3.12+ when no tool id is free): a *call*
  event for every frame, line events only in frames of code in scope. It
  replaces the thread's trace function for the run (coverage's C tracer
  included: what runs meanwhile is not measured) and puts it back.

Rejected: rewriting the code under test (an AST pass that inserts a call
before each statement) changes its frames, tracebacks and line numbers and
needs an import hook; a timer signal at random moments finds a window by luck
and cannot name or repeat the one it hit.

The interpreter runs these callbacks with tracing suspended, so whatever the
hook runs (the handler) is not traced itself, and an exception the hook lets
out is raised in the traced frame at that line, as a handler's exception
would be. (``settrace`` then turns itself off: what a run that got its
signal wants.) Only the main thread's lines are points: Python runs signal
handlers there.
"""

import _thread
import sys

if False:  # for type checkers only; typing is not imported in a child
    from collections.abc import Callable, Iterable
    from types import CodeType, FrameType
    from typing import Any

    Key = tuple[str, int]  # (co_filename, line)

# sys.monitoring ids 0-2 and 5 are named for debuggers, coverage, profilers and
# optimizers; 3 and 4 are unassigned. Ours is the first one free.
TOOL_IDS = (4, 3)
TOOL_NAME = "pytest-signals"


class Counted:
    """What a counting run saw: every line event of code in scope, in order.

    ``keys[i]`` is a distinct line, ``codes[i]`` the code objects whose events
    had it; ``events`` holds the key index of each event, and ``armed`` 1 where
    the hook could have fired (the caller's *armed* said so) at that event.
    """

    def __init__(self) -> None:
        self.keys: list[Key] = []
        self.codes: list[set[CodeType]] = []
        self.events: list[int] = []
        self.armed = bytearray()

    def __len__(self) -> int:
        return len(self.events)


class LineTracer:
    """Counting and aiming runs over the code that *in_scope* accepts.

    Use as a context manager: the ``sys.monitoring`` tool id is held from
    ``__enter__`` to ``__exit__``. Main thread only.
    """

    def __init__(self, in_scope: "Callable[[CodeType], bool]", *, backend: "str | None" = None) -> None:
        self._in_scope = in_scope
        self._cache: dict[CodeType, bool] = {}
        self._tool: int | None = None
        self._main = _thread.get_ident()  # made in the main thread: only its lines are points
        self._wanted = backend
        self.backend = "sys.settrace"

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
        tool, self._tool = self._tool, None
        if tool is not None:
            monitoring: Any = sys.monitoring  # type: ignore[attr-defined]
            monitoring.set_events(tool, 0)
            monitoring.register_callback(tool, monitoring.events.LINE, None)
            monitoring.free_tool_id(tool)

    def _scoped(self, code: "CodeType") -> bool:
        scope = self._cache.get(code)
        if scope is None:
            scope = self._cache[code] = bool(self._in_scope(code))
        return scope

    # -- counting ------------------------------------------------------------------

    def count(self, body: "Callable[[], object]", armed: "Callable[[], bool]") -> Counted:
        """Run *body* once, recording every line event of code in scope.

        Whatever *body* raises is raised (the record so far is lost with it)."""
        counted = Counted()
        keys, codes, append, flag = counted.keys, counted.codes, counted.events.append, counted.armed.append
        by_code: dict[CodeType, dict[int, int]] = {}  # code -> line -> key index
        by_key: dict[Key, int] = {}
        main, get_ident = self._main, _thread.get_ident
        scoped = self._scoped

        def index_of(code: "CodeType", line: int) -> int:
            key = (code.co_filename, line)
            index = by_key.get(key)
            if index is None:
                index = by_key[key] = len(keys)
                keys.append(key)
                codes.append(set())
            codes[index].add(code)
            by_code.setdefault(code, {})[line] = index
            return index

        # The callbacks run for every line of the code under test: one dict
        # lookup for the code, one for the line, two appends.
        if self._tool is not None:
            monitoring: Any = sys.monitoring  # type: ignore[attr-defined]
            disable = monitoring.DISABLE

            def on_line(code: "CodeType", line: int) -> object:
                lines = by_code.get(code)
                if lines is None:
                    if not scoped(code):
                        return disable
                    lines = by_code[code] = {}
                if get_ident() == main:
                    index = lines.get(line)
                    append(index_of(code, line) if index is None else index)
                    flag(armed())
                return None

            self._monitor(body, on_line, None)
            return counted

        def on_local(frame: "FrameType", event: str, arg: object) -> object:
            if event == "line":
                code, line = frame.f_code, frame.f_lineno
                index = by_code[code].get(line)
                append(index_of(code, line) if index is None else index)
                flag(armed())
            return on_local

        def on_call(frame: "FrameType", event: str, arg: object) -> object:
            code = frame.f_code
            if code in by_code:
                return on_local
            if not scoped(code):
                return None
            by_code[code] = {}
            return on_local

        self._trace(body, on_call)
        return counted

    # -- aiming --------------------------------------------------------------------

    def aim(
        self,
        body: "Callable[[], object]",
        codes: "Iterable[CodeType]",
        line: int,
        occurrence: int,
        hit: "Callable[[], None]",
    ) -> bool:
        """Run *body*; just before *line* of one of *codes* runs for the
        *occurrence*-th time (1-based, counted as :meth:`count` counts), call
        *hit*, and trace nothing after that. True when the point was reached.

        Whatever *hit* raises is raised in the traced frame; whatever *body*
        raises is raised."""
        targets = frozenset(codes)
        main, get_ident = self._main, _thread.get_ident
        left = [occurrence]

        def arrive() -> None:
            __tracebackhide__ = True
            left[0] = -1
            hit()

        if self._tool is not None:
            monitoring: Any = sys.monitoring  # type: ignore[attr-defined]
            tool = self._tool

            def on_line(code: "CodeType", at: int) -> object:
                __tracebackhide__ = True
                if at == line and left[0] > 0 and get_ident() == main:
                    left[0] -= 1
                    if left[0] == 0:
                        for target in targets:  # the rest of the run at full speed
                            monitoring.set_local_events(tool, target, 0)
                        arrive()
                return None

            self._monitor(body, on_line, targets)
            return left[0] < 0

        def on_local(frame: "FrameType", event: str, arg: object) -> object:
            __tracebackhide__ = True
            if event == "line" and frame.f_lineno == line and left[0] > 0:
                left[0] -= 1
                if left[0] == 0:
                    sys.settrace(None)  # the rest of the run at full speed
                    arrive()
                    return None
            return on_local

        def on_call(frame: "FrameType", event: str, arg: object) -> object:
            return on_local if frame.f_code in targets and left[0] > 0 else None

        self._trace(body, on_call)
        return left[0] < 0

    # -- the two backends --------------------------------------------------------------

    def _monitor(
        self,
        body: "Callable[[], object]",
        on_line: "Callable[[CodeType, int], object]",
        local: "frozenset[CodeType] | None",
    ) -> None:
        monitoring: Any = sys.monitoring  # type: ignore[attr-defined]
        tool, line_event = self._tool, monitoring.events.LINE
        if local is None:
            # Locations an earlier exploration disabled (its scope was not ours) count again.
            monitoring.restart_events()
        monitoring.register_callback(tool, line_event, on_line)
        try:
            if local is None:
                monitoring.set_events(tool, line_event)
            else:
                for code in local:
                    monitoring.set_local_events(tool, code, line_event)
            body()
        finally:
            if local is None:
                monitoring.set_events(tool, 0)
            else:
                for code in local:
                    monitoring.set_local_events(tool, code, 0)
            monitoring.register_callback(tool, line_event, None)

    @staticmethod
    def _trace(body: "Callable[[], object]", on_call: "Callable[[FrameType, str, object], object]") -> None:
        previous = sys.gettrace()
        sys.settrace(on_call)  # type: ignore[arg-type]
        try:
            body()
        finally:
            sys.settrace(previous)
