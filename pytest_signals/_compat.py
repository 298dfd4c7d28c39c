"""Every private interpreter name pytest-signals relies on, in one place.

A new CPython release means auditing this file: each entry says what the name
is, why the plugin needs it, and the versions it was checked on. The
test-process side reads these names only through the accessors below; the
child side (which must import nothing beyond the stdlib, and as little of it as
possible) uses the names listed under "child side" directly, at the places
named.

The clock is here too: deadlines and timestamps must come from a clock that
test doubles do not reach. freezegun replaces ``time.monotonic`` (and rewrites
module-level references to it in every loaded module); time-machine changes the
C-level ``time.time``/``clock_gettime(CLOCK_REALTIME)``. Neither touches
``clock_gettime(CLOCK_MONOTONIC)``, which we call through a reference taken at
import.
"""

from __future__ import annotations

import sys
import time
from types import FrameType
from typing import Any

from ._remote.predicates import is_loop_noop as is_loop_noop

CHECKED = "CPython 3.10.13, 3.11.7, 3.12.1, 3.13.0"

# (name, why, where) -- every entry checked on CHECKED.
PRIVATE_NAMES: tuple[tuple[str, str, str], ...] = (
    (
        "_signal.signal, _signal.getsignal",
        "signal.signal/getsignal look these up at call time, so patching them also covers "
        "code that did `from signal import signal` before the test",
        "_inproc/observe.py",
    ),
    (
        "pytest: Item._fixtureinfo.name2fixturedefs, FixtureDef.scope (pytest 8.0-9.x)",
        "the guard is set up first among a test's function-scoped fixtures, after the wider ones",
        "here",
    ),
    ("sys._getframe", "which module called signal.signal (another pytest plugin's changes are its own)", "here"),
    (
        "sys._getframe",
        "signal_anywhere hands the handler the program's frame at the point, not its tracer's",
        "_remote/tracepoints.py (program_frame)",
    ),
    ("asyncio._get_running_loop", "is an event loop running in this thread (without raising)", "here"),
    (
        "asyncio.unix_events._UnixSelectorEventLoop",
        "the class whose add_signal_handler/remove_signal_handler are observed",
        "_inproc/loop.py, _remote/child.py",
    ),
    (
        "asyncio loop._signal_handlers, Handle._callback",
        "handlers a loop got before the test (a session-scoped fixture's) are observed too",
        "_inproc/loop.py",
    ),
    (
        "asyncio.base_events.BaseEventLoop.create_task",
        "tasks a cancellation reached are reported",
        "_inproc/loop.py, _remote/child.py",
    ),
    (
        "asyncio's _sighandler_noop",
        "the loop's own no-op handler is the loop's, not the program's",
        "_remote/predicates.py (is_loop_noop, shared by the test side and children)",
    ),
    ("uvloop.Loop.__sighandler", "uvloop's own handler, likewise", "_remote/predicates.py (is_loop_noop)"),
    (
        "behaviour: the 'sys.excepthook' audit event is raised by PyErr_Print (the interpreter's top level) "
        "after it set sys.last_value (sys.last_exc on 3.12+), with the traceback it then hands to the hook; "
        "not by a program's own call of sys.excepthook. An uncaught KeyboardInterrupt ends the process by "
        "SIGINT (exit status 130 when that signal is blocked) after finalization",
        "a child learns that a KeyboardInterrupt reached its top level without replacing sys.excepthook",
        "_remote/child.py (_TopLevel), _remote/template.py (_print_uncaught), _children/watch.py",
    ),
    ("asyncio.Runner._on_sigint", "pytest-asyncio's Runner turns a SIGINT into a cancelled test", "here"),
    (
        "Task._cancelled_exc, gc.get_referents(task)",
        "a cancelled task's message, read without taking it",
        "_remote/tasks.py",
    ),
    (
        "Task._exception",
        "whether a task that absorbed a cancellation raised, read without marking it retrieved",
        "_remote/tasks.py",
    ),
    (
        "Task._must_cancel, Task._fut_waiter (3.10)",
        "a cancel() on its way to a task: 3.10's tasks keep no count of the ones they received",
        "_remote/tasks.py",
    ),
    (
        "asyncio.runners._cancel_all_tasks (3.10)",
        "asyncio.run cancels the tasks left at its end: noted as cancellations on their way",
        "_inproc/loop.py, _remote/child.py",
    ),
    ("runpy._run_module_as_main", "a forked child runs `-m module` as a new interpreter would", "_remote/template.py"),
    (
        "threading._shutdown",
        "a forked child's exit joins its threads as the interpreter's exit does",
        "_remote/template.py",
    ),
    (
        "threading.Thread._set_native_id",
        "a forked child's threading.main_thread().native_id is its own thread's, as in a fresh start "
        "(os.fork leaves the parent's there; the watchdog aims its timer at it)",
        "_remote/template.py",
    ),
    ("linecache._register_code", "3.13 keeps `-c` source for tracebacks", "_remote/template.py"),
    (
        "libc sigaction (ctypes)",
        "the kernel's disposition: C-level handlers (faulthandler) that getsignal cannot see, put back exactly",
        "_inproc/kernel.py",
    ),
    (
        "coverage.py: Coverage.current(), CoverageConfig.serialize() (7.10+), Coverage._data.base_filename()",
        "a spawned child is measured with the test process's coverage configuration, its data beside it",
        "_children/command.py, plugin.py",
    ),
    (
        "libc timer_create/timer_settime/timer_delete with SIGEV_THREAD_ID (ctypes, Linux)",
        "a hung handler is interrupted by a kernel timer aimed at the main thread: no thread of ours",
        "_inproc/watchdog.py",
    ),
    (
        "pytest: Function._fixtureinfo.argnames (pytest 8.0-9.x)",
        "a test marked signal_anywhere is called with the arguments pytest's own pytest_pyfunc_call passes",
        "here",
    ),
    (
        "behaviour: a trace or sys.monitoring callback runs with tracing suspended, and an exception it "
        "lets out is raised in the traced frame at that line (settrace then unsets itself)",
        "signal_anywhere runs the handler from the line callback: untraced, its exception where a handler's goes",
        "_remote/tracepoints.py",
    ),
    (
        "behaviour: sys.monitoring tool ids 3 and 4 are unassigned (0-2 and 5 are named for debuggers, "
        "coverage, profilers, optimizers; 3.12+); DISABLE lasts until restart_events()",
        "signal_anywhere counts lines under a free id, and re-enables what an earlier count disabled",
        "_remote/tracepoints.py",
    ),
    (
        "asyncio: BaseSelectorEventLoop._ssock, the read end of the loop's self-pipe (3.10-3.13)",
        "signal_anywhere takes back a signal's wakeup byte the loop never read before a run ended, so that "
        "the next run's handler does not get it",
        "here (drain_loop_wakeup), _inproc/anywhere.py",
    ),
    (
        "threading._active (3.10-3.13)",
        "a thread's name read without current_thread(), which would make threading take a thread it "
        "does not know (the forking one, in a fork before threading's own after-fork hook) for a dummy",
        "_remote/child.py",
    ),
    (
        "behaviour: in a fork, CPython drops the signals that arrived before its after-fork clean-up, then "
        "runs the os.register_at_fork after_in_child hooks (subprocess's preexec_fn too); Python signal "
        "handlers run only at calls, backward jumps and function starts (3.10+), not between a test and "
        "the stores after it",
        "a fork of a spawned child takes the instrumentation over and reports in before anything else",
        "_remote/child.py",
    ),
    (
        "_posixsubprocess.fork_exec: its first six positional arguments (args, executable_list, close_fds, "
        "fds_to_keep, cwd, env_list) on 3.10-3.13 (the rest differ: process_group 3.11+, and 3.13's "
        "use_vfork); subprocess.Popen and multiprocessing.util.spawnv_passfds call it, subprocess through "
        "its own `_fork_exec` reference on 3.11+",
        "a Python grandchild started by Popen or multiprocessing's spawn/forkserver gets the bootstrap's "
        "variables and the channel fd in fds_to_keep; any other call shape is passed through untouched",
        "_remote/exec_hook.py",
    ),
    (
        "behaviour: 3.13's subprocess uses os.posix_spawn with POSIX_SPAWN_CLOSEFROM for close_fds=True "
        "(where glibc has it)",
        "the exec hook replaces CLOSEFROM by one CLOSE per inheritable fd, so that the channel survives",
        "_remote/exec_hook.py",
    ),
    (
        "C environ through ctypes: the `environ` symbol (Linux, the BSDs), _NSGetEnviron() (macOS)",
        "an exec that inherits its environment (env=None) inherits the C one, which C code such as "
        "readline changes behind os.environ: an instrumented grandchild gets that one too",
        "_remote/exec_hook.py",
    ),
)

_clock_gettime = time.clock_gettime
_MONOTONIC = time.CLOCK_MONOTONIC


def monotonic() -> float:
    """Seconds on the kernel's monotonic clock, out of reach of frozen clocks."""
    return _clock_gettime(_MONOTONIC)


def first_function_fixture(item: Any, names: list[str]) -> int:
    """Index in *names* (the item's fixture closure, widest scope first) of the
    first fixture that is not wider than function scope: where the guard goes."""
    defs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    for index, name in enumerate(names):
        fixturedefs = defs.get(name)
        if not fixturedefs:
            return index
        scope = getattr(fixturedefs[-1], "_scope", None) or getattr(fixturedefs[-1], "scope", "function")
        if str(getattr(scope, "value", scope)) == "function":
            return index
    return len(names)


def test_function_args(item: Any) -> tuple[str, ...]:
    """The names of the arguments pytest passes to a test function."""
    return tuple(item._fixtureinfo.argnames)


def caller_frame(depth: int) -> FrameType | None:
    try:
        return sys._getframe(depth + 1)
    except ValueError:
        return None


def running_loop() -> Any:
    """The asyncio loop running in this thread, or None; never imports asyncio."""
    asyncio = sys.modules.get("asyncio")
    return None if asyncio is None else asyncio._get_running_loop()


def drain_loop_wakeup(loop: Any) -> None:
    """Discard what is waiting in *loop*'s self-pipe (signals' wakeup bytes)."""
    sock = getattr(loop, "_ssock", None)
    if sock is None:
        return
    try:
        while sock.recv(4096):
            pass
    except (BlockingIOError, InterruptedError, OSError):
        pass


def unix_loop_class() -> Any:
    return getattr(sys.modules.get("asyncio.unix_events"), "_UnixSelectorEventLoop", None)


def is_runner_sigint(handler: object) -> bool:
    """asyncio.Runner's SIGINT handler (or the backport's, on 3.10), a partial
    of the Runner's bound ``_on_sigint``."""
    func = getattr(handler, "func", None)
    owner = getattr(func, "__self__", None)
    return getattr(func, "__name__", "") == "_on_sigint" and type(owner).__name__ == "Runner"
