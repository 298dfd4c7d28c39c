"""Child-side instrumentation: what a spawned Python child reports, and how.

Loaded only in children started by ``spawn``, through the bootstrap
``sitecustomize`` before the target runs. It must not change what it observes,
so it imports almost nothing, keeps a virtual table so that
``signal.getsignal`` returns exactly what the program set (``asyncio.run``
still finds ``default_int_handler`` and installs its own SIGINT handling), and
reports over a private channel (fd 3 at start, close-on-exec):

* dispositions installed, by ``signal.signal`` and ``loop.add_signal_handler``;
* handler calls (one per delivery; for a loop handler, the callback the loop
  ran, never the loop's internal no-op handler);
* asyncio tasks a cancellation reached, and how each ended (name and coroutine);
* ``KeyboardInterrupt`` raised by a handler, and one that reaches the top level.

Forks carry it with them. A fork (``os.fork``, multiprocessing's "fork"
context, a prefork master's workers) inherits the real dispositions, the
virtual table that describes them and the channel, so it keeps the whole
observation as it is, under its own pid: ``os.register_at_fork`` hands it
over at once, and it reports in (``JOINED``: the pid it was forked from)
before anything else it sends. A report that comes before the hook ran (a
handler that ran inside an earlier after-fork hook) hands it over first. The
rejected alternative, observing only the first pid and leaving forks the real
functions, showed a fork the plugin's wrappers: ``getsignal(SIGINT)`` was
not ``default_int_handler``, so ``asyncio.run`` skipped its Ctrl-C handling.
A fork that closes its fds, or opens files over their numbers, stops
reporting (the identity check in ``_write``); one that execs loses the channel
(close-on-exec).

And, on Linux, it lets the test side ask for the Python stacks of the child's
threads when a wait on it gives up: faulthandler, registered (in C) for the
highest real-time signal, writes them on the channel. What the program could
see of that is said in ``_children/stacks.py``.
"""

import os
import sys
import time

from . import channel as _channel
from .names import handler_name, module_name
from .predicates import UNCHANGED, disposition_kind, is_disposition, is_loop_noop, is_own, own_meaning
from .tasks import NOTE_CANCELS, cancelled_event, note_pending_cancels

if False:  # for type checkers only; typing is not imported in the child
    from typing import Any

_signal: "Any" = __import__("_signal")

CHANNEL_FD = _channel.CHANNEL_FD
ENV_CHANNEL = _channel.ENV_CHANNEL
ENV_BOOT = _channel.ENV_BOOT
ENV_PYTHONPATH = _channel.ENV_PYTHONPATH
ENV_MODULE = _channel.ENV_MODULE
ENV_FUNCTION = _channel.ENV_FUNCTION
ENV_PATH = _channel.ENV_PATH
PRIVATE_NAME = _channel.PRIVATE_NAME
# Modules whose frames the program never sees in its tracebacks (the fork
# server's template runs the target from its own frames; the exec hook wraps
# the calls that start programs).
_OWN_MODULES = (
    __name__,
    "pytest_signals._remote.template",
    "pytest_signals._remote.exec_hook",
    "pytest_signals._remote.tracepoints",
    "pytest_signals._remote.anywhere_child",
)
# signal_anywhere delivers from its tracer, so the interpreter hands the
# handler the tracer's frame: the handler gets this one, the program's frame
# at the point, instead (set just before the signal is raised, used once).
_frame_at_point: "list[Any]" = []

_fd = -1
_fd_identity = (-1, -1)  # the channel pipe's (st_dev, st_ino)
_pid = -1  # the process the instrumentation reports for; in a fork, until it takes over, its parent
_virtual: dict[int, object] = {}
# What each disposition set through the patched signal.signal means to the
# program: a pytest run spawned by a test has its own pytest-signals, whose
# wrappers and guards stand for the handlers and dispositions its tests set
# (``predicates.own_meaning``). Only those are the program's behaviour.
_meanings: dict[int, object] = {}
_UNKNOWN = object()
_real_signal = _signal.signal
_real_getsignal = _signal.getsignal
_SIGINT = 2
_cancels: set[int] = set()  # ids of tasks a cancellation is on its way to (3.10)


def _send(kind: str, *fields: object) -> None:
    if _fd < 0:
        return
    pid = os.getpid()
    if pid != _pid:
        _take_over(pid)
    _write(_channel.encode(kind, pid, *fields))


def _write(message: bytes) -> None:
    """Write *message*, led by a fork's JOINED line while that is not through."""
    global _fd, _leading
    try:
        # Still our pipe? A program that closed its fds (a daemon's closerange)
        # may have opened a file of its own under this number: never write there.
        if _fd < 0 or _identity(_fd) != _fd_identity:
            _fd = -1  # the program closed the channel: stop reporting, quietly
            return
        lead = _leading
        os.write(_fd, lead + message)
        if lead:
            _leading = b""
    except OSError:
        _fd = -1


# -- forks -------------------------------------------------------------------------
#
# A fork's JOINED must reach the test side before anything else it reports,
# and a Python handler can run between any two bytecodes, inside the very code
# that sends it. So the line is made once per fork and leads every write of
# the fork (in the same write) until one got through; a handler that wrote
# between that write and the clearing sent the same line again, which the
# test side knows by its time and leaves out. (Blocking signals around the
# fork would have ordered it too, but changes what the program sees: CPython
# drops a signal that reaches a fork before its after-fork clean-up, and one
# held blocked there would be delivered instead.)

_leading = b""  # a fork's JOINED line, until a write of it got through


def _take_over(pid: int) -> None:
    """This process is a fork of the one the instrumentation reported for:
    report for this one from now on, led by where it was forked from."""
    global _pid, _leading
    if _pid < 0 or pid == _pid:
        return
    # The forking thread is the fork's only one: threading makes one it did not know its MainThread.
    line = _channel.encode(_channel.JOINED, pid, repr(time.monotonic()), _pid, _thread_name("MainThread"))
    # No call and no backward jump between the test and the stores (where
    # CPython runs handlers): a handler that ran above took over already.
    if _pid != pid:
        _leading, _pid = line, pid


def _after_fork() -> None:
    """``os.register_at_fork``'s hook in every fork: it reports in at once.
    Never raises: an error here is printed in the program's output."""
    try:
        _take_over(os.getpid())
        if _leading:
            _write(b"")
    except BaseException:
        pass


def _current_fd() -> int:
    """The channel's fd while it is still ours, else -1 (for exec_hook)."""
    global _fd
    try:
        if _fd >= 0 and _identity(_fd) != _fd_identity:
            _fd = -1
    except OSError:
        _fd = -1
    return _fd


def _identity(fd: int) -> "tuple[int, int]":
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def _high_fd() -> int:
    """Where the channel moves at start: high, out of the way of the fds a
    program opens (which take the lowest free number), below the fd limit."""
    try:
        limit = os.sysconf("SC_OPEN_MAX")
    except (ValueError, OSError):
        limit = 256
    return max(min(limit, 1024) - 16, CHANNEL_FD + 1)


def _thread_name(unknown: str = "?") -> str:
    """The name threading has for this thread, *unknown* for one it does not
    know. Never ``current_thread()`` for such a thread (one of ``_thread``,
    or, in a fork before threading's own after-fork hook ran, the thread that
    forked): that would make threading take it for a dummy thread from then on."""
    threading = sys.modules.get("threading")
    if threading is None:
        return "MainThread"
    known = getattr(threading, "_active", None)
    if not isinstance(known, dict):
        return str(threading.current_thread().name)
    thread = known.get(threading.get_ident())
    return unknown if thread is None else str(thread.name)


def emit(
    kind: str,
    signum: int | None = None,
    handler: str | None = None,
    task: str | None = None,
    detail: str = "",
    message: "str | None" = None,
    ended: "str | None" = None,
) -> None:
    """Report one event to the test process."""
    number = None if signum is None else int(signum)  # str() of an IntEnum differs across versions
    _send(
        _channel.EVENT,
        repr(time.monotonic()),
        kind,
        number,
        _thread_name(),
        handler,
        task,
        detail,
        _channel.optional(message),
        ended,
    )


# -- names -----------------------------------------------------------------------
#
# The program's own module is ``__main__`` here, and ``app.server`` in the test
# that imports it: its handlers are named after the module or file the child
# was started from, so that one handler has one name in the log and in the
# report. ``spawn("pkg.mod")`` (``-m``) has it in ``__main__.__spec__``; a file
# is named by where it can be imported from on the child's sys.path.

_main_name: "list[str | None]" = []  # once known


def _in_main(handler: object) -> bool:
    while True:
        if getattr(handler, "__module__", None) == "__main__":
            return True
        inner = getattr(handler, "func", None)  # functools.partial
        if inner is None or hasattr(handler, "__qualname__"):
            return False
        handler = inner


def _main_module_name() -> "str | None":
    if _main_name:
        return _main_name[0]
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if not isinstance(name, str) or not name:
        path = getattr(main, "__file__", None)
        name = None
        if isinstance(path, str):
            real = os.path.realpath
            entries = [real(p or ".") for p in sys.path if isinstance(p, str)]
            name = module_name(real(path), entries, os.path.isfile)
    _main_name.append(name)
    return name


def _handler_name(handler: object) -> str:
    return handler_name(handler, _main_module_name() if _in_main(handler) else None)


# -- signal.signal / signal.getsignal ----------------------------------------------


def _observed(handler: "Any", name: "str | None" = None) -> "Any":
    name = _handler_name(handler) if name is None else name

    def observed(signum: int, frame: "Any") -> "Any":
        if _frame_at_point:
            frame = _frame_at_point.pop()
        emit("handled", signum, name)
        try:
            return handler(signum, frame)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                emit("keyboard_interrupt", signum, name, detail="raised by the handler")
            _drop_own_frame(exc)
            raise

    observed.__wrapped__ = handler  # type: ignore[attr-defined]
    return observed


def _drop_own_frame(exc: BaseException) -> None:
    """Keep our wrapper out of the traceback the program prints: a bare
    ``raise`` does not add the current frame again."""
    tb = exc.__traceback__
    if tb is not None and tb.tb_frame.f_globals.get("__name__") == __name__:
        exc.__traceback__ = tb.tb_next


def _without_own_frames(tb: "Any", value: "Any") -> "Any":
    """A new traceback without this module's and the template's frames: the
    fork server's template prints an uncaught exception with it, as the top
    level of a fresh interpreter would."""
    entries, dropped, head = [], False, tb
    while tb is not None:
        if not _is_own_frame(tb):
            entries.append(tb)
        else:
            dropped = True
        tb = tb.tb_next
    if not dropped:
        return head
    types = sys.modules.get("types") or __import__("types")
    rebuilt = None
    for entry in reversed(entries):
        rebuilt = types.TracebackType(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    if value is not None:
        value.__traceback__ = rebuilt
    return rebuilt


def _patched_signal(signalnum: "Any", handler: "Any") -> "Any":
    if not isinstance(signalnum, int) or not (callable(handler) or is_disposition(handler)):
        return _real_signal(signalnum, handler)
    if is_loop_noop(handler):  # the loop's own, not a handler the program wrote: never "installed"
        # asyncio's callbacks are reported by our add_signal_handler. uvloop's
        # loop cannot be patched: its handler's calls are, so that a delivery
        # to the child still completes when the loop takes the signal.
        uvloop = getattr(handler, "__name__", "") != "_sighandler_noop"
        previous = _real_signal(signalnum, _observed(handler) if uvloop else handler)
        _meanings.pop(signalnum, None)
        old = _virtual.pop(signalnum, previous)
        if uvloop:
            _virtual[signalnum] = handler
        _send(_channel.DISPOSITION, int(signalnum), "handler")
        return old
    own = is_own(handler)
    meaning = own_meaning(handler) if own else handler
    # A disposition, or pytest-signals' own stand-in for one, is not the program's handler: not observed.
    real = _observed(handler, _handler_name(meaning)) if callable(meaning) else handler
    previous = _real_signal(signalnum, real)
    old = _virtual.pop(signalnum, previous)
    if callable(handler):
        _virtual[signalnum] = handler
    before = _meanings.pop(signalnum, _UNKNOWN)
    if before is _UNKNOWN:
        before = own_meaning(old) if is_own(old) else old
    if meaning is UNCHANGED:
        meaning = before
    _meanings[signalnum] = meaning
    same = meaning is before or (is_disposition(meaning) and meaning == before)
    if not ((own or is_own(old)) and same):  # else an inner pytest-signals' machinery: not the program's doing
        emit("installed", signalnum, _handler_name(meaning), detail=f"replaces {_handler_name(before)}")
    kind = "plugin" if own and not callable(meaning) else disposition_kind(handler)
    _send(_channel.DISPOSITION, int(signalnum), kind)
    return old


def _patched_getsignal(signalnum: "Any") -> "Any":
    real = _real_getsignal(signalnum)
    if isinstance(signalnum, int) and signalnum in _virtual:
        return _virtual[signalnum]
    return real


# -- asyncio ---------------------------------------------------------------------


def _patch_unix_events(module: "Any") -> None:
    loop_class = module._UnixSelectorEventLoop
    original_add = loop_class.add_signal_handler
    import functools

    def add_signal_handler(self: "Any", sig: int, callback: "Any", *args: "Any") -> "Any":
        import asyncio

        if asyncio.iscoroutine(callback) or asyncio.iscoroutinefunction(callback) or not callable(callback):
            return original_add(self, sig, callback, *args)  # asyncio's own error
        name = _handler_name(callback)

        @functools.wraps(callback)
        def observed_callback(*cb_args: "Any") -> "Any":
            emit("handled", sig, name, detail="event-loop handler")
            try:
                return callback(*cb_args)
            except BaseException as exc:
                _drop_own_frame(exc)
                raise
            finally:
                if NOTE_CANCELS:
                    note_pending_cancels(asyncio.all_tasks(self), _cancels)

        result = original_add(self, sig, observed_callback, *args)
        emit("installed", sig, name, detail="loop.add_signal_handler")
        _send(_channel.DISPOSITION, int(sig), "handler")
        return result

    add_signal_handler.__wrapped__ = original_add  # type: ignore[attr-defined]
    loop_class.add_signal_handler = add_signal_handler


def _report_cancelled(task: "Any") -> None:
    fields = cancelled_event(task, _cancels)
    if fields is not None:
        emit("cancelled", None, **fields)


def _patch_base_events(module: "Any") -> None:
    loop_class = module.BaseEventLoop
    original_create_task = loop_class.create_task

    def create_task(self: "Any", coro: "Any", *args: "Any", **kwargs: "Any") -> "Any":
        task = original_create_task(self, coro, *args, **kwargs)
        _cancels.discard(id(task))  # a noted id of a task long gone
        task.add_done_callback(_report_cancelled)
        return task

    create_task.__wrapped__ = original_create_task  # type: ignore[attr-defined]
    loop_class.create_task = create_task


def _patch_runners(module: "Any") -> None:
    """3.10's ``asyncio.run`` cancels every task left when main ends."""
    original = module._cancel_all_tasks

    def _cancel_all_tasks(loop: "Any") -> "Any":
        _cancels.update(id(task) for task in module.tasks.all_tasks(loop) if not task.done())
        return original(loop)

    _cancel_all_tasks.__wrapped__ = original  # type: ignore[attr-defined]
    module._cancel_all_tasks = _cancel_all_tasks


_POST_IMPORT = {"asyncio.unix_events": _patch_unix_events, "asyncio.base_events": _patch_base_events}
if NOTE_CANCELS:
    _POST_IMPORT["asyncio.runners"] = _patch_runners


class _Finder:
    """Patches asyncio modules right after they are imported, and tells the
    test process when the target module of ``spawn("pkg.module")`` was found."""

    def __init__(self, module: str | None) -> None:
        self.module = module

    def find_spec(self, name: str, path: "Any" = None, target: "Any" = None) -> "Any":
        if name not in _POST_IMPORT and name != self.module:
            return None
        spec = None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                break
        if name == self.module:
            self.module = None
            _send(_channel.STARTED if spec is not None else _channel.FAILED, f"No module named {name!r}")
        if spec is not None and name in _POST_IMPORT and spec.loader is not None:
            loader, patch = spec.loader, _POST_IMPORT.pop(name)
            exec_module = loader.exec_module

            def patched_exec(module: "Any") -> None:
                exec_module(module)
                patch(module)

            loader.exec_module = patched_exec
        if not _POST_IMPORT and self.module is None and self in sys.meta_path:
            sys.meta_path.remove(self)
        return spec


# -- the top level ---------------------------------------------------------------


# How the child learns that a KeyboardInterrupt reached its top level, with
# ``sys.excepthook`` left as it is. A replaced hook is seen: ``code``'s
# consoles print differently unless ``sys.excepthook is sys.__excepthook__``,
# and a program that hands a KeyboardInterrupt it caught to the hook (the
# asyncio REPL) looked interrupted. What only the interpreter's top level
# does: PyErr_Print sets ``sys.last_value`` (``sys.last_exc`` on 3.12+), then
# raises the "sys.excepthook" audit event with the traceback it hands the hook.
# The audit hook is ``dict.get`` of a dict whose one key compares equal to that
# event's name in Python, and hashes as it does: for every other event
# (``open``, ``import``, ``time.sleep``...) it runs no Python code, so no
# handler of a pending signal runs inside it and nothing is kept. At that
# event the child says so on its channel; the test side reports a
# KeyboardInterrupt at the top level only when the child then died by SIGINT
# (or exited 130, with SIGINT blocked), as CPython ends after one. A program
# sees: one more audit hook (there is no API to list them).

_PRINT_EVENT = "sys.excepthook"


class _TopLevel:
    __slots__ = ()

    def __hash__(self) -> int:
        return hash(_PRINT_EVENT)

    def __eq__(self, other: object) -> bool:
        if other == _PRINT_EVENT:
            _printed_at_top_level()
        return False


def _printed_at_top_level() -> None:
    value = getattr(sys, "last_exc" if sys.version_info >= (3, 12) else "last_value", None)
    if isinstance(value, BaseException):
        _drop_own_entries(value.__traceback__)
        if isinstance(value, KeyboardInterrupt):
            _send(_channel.TOP_LEVEL_INTERRUPT, repr(time.monotonic()), _thread_name())


def _is_own_frame(tb: "Any") -> bool:
    namespace = tb.tb_frame.f_globals
    return namespace.get("__name__") in _OWN_MODULES or "__pytest_signals_template__" in namespace


def _drop_own_entries(tb: "Any") -> None:
    """Take this module's frames out of the traceback the top level is about
    to print, in place (it hands the hook this very object): 3.10 keeps our
    wrapper's frame on a bare re-raise, and ``run_function``'s is ours."""
    while tb is not None:
        after = tb.tb_next
        while after is not None and _is_own_frame(after):
            after = after.tb_next
        if after is not tb.tb_next:
            tb.tb_next = after
        tb = after


def _start_coverage() -> None:
    """The test process measures coverage: so does this child, with its
    configuration (coverage.py's own subprocess start-up, which does nothing
    when coverage's .pth file already started it)."""
    try:
        import coverage  # remote-import-ok: only when the test run measures children

        coverage.process_startup()
    except Exception:  # a broken coverage install must not change what the child does
        pass


# -- the import path ---------------------------------------------------------------
#
# A child imports what the test imports: the test process's sys.path entries
# that a plain start of the child lacks (pytest's ``pythonpath`` setting, its
# rootdir entries, a conftest's ``sys.path.insert``) join the child's own,
# each placed after the entry it follows in the test process (in front of
# everything when it comes first there), so an entry the test put in front of
# site-packages stays in front of it and one it appended stays behind. The
# child's own entries keep their order. multiprocessing's spawn start method
# hands its children the parent's sys.path for the same reason.
#
# A new interpreter has its own path when this runs (from sitecustomize, before
# Python puts the program's sys.path[0] in front). A fork of the template has
# the template's, which was started without any PYTHONPATH but the bootstrap
# folder: its path is the installation's alone (the standard library,
# site-packages and what their .pth files add), and the child's own is what
# site makes of PYTHONPATH in front of it: each entry made absolute, the
# duplicates dropped.

_installation: "list[str] | None" = None  # the template's sys.path, as it started
_modules_at_bootstrap: "set[str]" = set()  # the template's sys.modules when this ran


def _dedupe(paths: "list[str]", seen: "set[str]") -> "list[str]":
    out = []
    for path in paths:
        if path not in seen:
            seen.add(path)
            out.append(path)
    return out


def _merged(test_path: "list[str]", own: "list[str]", first: "list[str]") -> "list[str]":
    """*own* (the child's path after its *first* entry) with the entries of
    *test_path* that neither has, each after the entry it follows in *test_path*."""
    result = list(own)
    have = set(own) | set(first)
    at = 0
    for entry in test_path:
        if entry in have:
            if entry in own:
                at = result.index(entry) + 1
            continue
        have.add(entry)
        result.insert(at, entry)
        at += 1
    return result


def _set_import_path(test_path: "list[str]", pythonpath: "str | None", forked: bool) -> None:
    first = [] if not forked or getattr(sys.flags, "safe_path", False) else sys.path[:1]
    if forked and _installation is not None:
        entries = [] if not pythonpath else [os.path.abspath(p) for p in pythonpath.split(os.pathsep)]
        own = _dedupe(entries + _installation, set())
    else:
        own = sys.path[len(first) :]
    sys.path[:] = first + _merged(test_path, own, first)


def bootstrap(forked: bool = False) -> None:
    """Install the instrumentation. Called from the bootstrap sitecustomize,
    and again in each fork of the template (*forked*)."""
    global _fd, _fd_identity, _pid, _installation, _modules_at_bootstrap
    environ = os.environ
    boot = environ.pop(ENV_BOOT, None)
    if boot is not None:
        sys.path[:] = [p for p in sys.path if p != boot]
    channel_number = environ.pop(ENV_CHANNEL, None)
    if channel_number is None:
        # The fork server's template: its forks call this again.
        _installation, _modules_at_bootstrap = list(sys.path), set(sys.modules)
        return
    parent = environ.pop(_channel.ENV_PARENT, None)  # an exec'd descendant (exec_hook.py)
    descendants = environ.pop(_channel.ENV_DESCENDANTS, None) is not None
    pythonpath = environ.pop(ENV_PYTHONPATH, None)
    if pythonpath is None:  # there was none
        environ.pop("PYTHONPATH", None)
    else:
        environ["PYTHONPATH"] = pythonpath
    _set_import_path(_channel.decode_paths(environ.pop(ENV_PATH, "")), pythonpath, forked)
    try:
        # The channel leaves fd 3 (or where a parent's exec_hook put it) for
        # the program: a plain start has nothing there.
        inherited = int(channel_number) if channel_number.isdigit() else CHANNEL_FD
        high = _high_fd()
        if inherited == high:
            os.set_inheritable(high, False)
        else:
            os.dup2(inherited, high, inheritable=False)
            os.close(inherited)
        _fd_identity = _identity(high)
    except OSError:  # no channel (the program's parent closed it): not instrumented
        _forget_own_modules()
        return
    _fd, _pid = high, os.getpid()
    os.register_at_fork(after_in_child=_after_fork)
    if parent is not None:  # started by exec from a process of the tree: report in first
        _send(_channel.JOINED, repr(time.monotonic()), parent, _thread_name("MainThread"), "exec")
    ignored = [s for s in range(1, 65) if _safe_getsignal(s) == 1]
    _send(_channel.IGNORED, ",".join(map(str, ignored)))
    if _real_getsignal(_SIGINT) is _signal.default_int_handler:
        _real_signal(_SIGINT, _observed(_signal.default_int_handler))
        _virtual[_SIGINT] = _signal.default_int_handler
    _signal.signal = _patched_signal
    _signal.getsignal = _patched_getsignal
    hook: Any = {_TopLevel(): None}.get  # see _TopLevel
    sys.addaudithook(hook)
    finder = _Finder(environ.pop(ENV_MODULE, None))
    for name in list(_POST_IMPORT):
        if name in sys.modules:
            _POST_IMPORT.pop(name)(sys.modules[name])
    if descendants:
        from . import exec_hook

        boot_dir = boot or os.path.join(os.path.dirname(os.path.dirname(__file__)), "_bootstrap")
        _POST_IMPORT.update(exec_hook.install(boot_dir, _current_fd))
    sys.meta_path.insert(0, finder)
    _send(_channel.READY, high, _register_stacks(high))
    anywhere = environ.pop(_channel.ENV_ANYWHERE, None)
    if anywhere is not None:  # last: its tracing starts here and runs into the program
        from . import anywhere_child

        anywhere_child.start(anywhere, _send, emit, _frame_at_point)
    # Out of sys.modules, so the program sees the modules it would see without
    # us (a "pkg:function" target finds this module under a private name).
    this = sys.modules[__name__]
    _forget_own_modules()
    if "COVERAGE_PROCESS_CONFIG" in environ or "COVERAGE_PROCESS_START" in environ:
        _start_coverage()
    if ENV_FUNCTION in environ:
        sys.modules[PRIVATE_NAME] = this


def _forget_own_modules() -> None:
    for name in [name for name in sys.modules if name == "pytest_signals" or name.startswith("pytest_signals.")]:
        sys.modules.pop(name, None)


def _register_stacks(fd: int) -> "int | str":
    """faulthandler's C handler for the stack signal, writing every thread's
    stack on *fd*: the signal, or "" without one. Only where the test side can
    tell when it has written them all (Linux's /proc), and only while the
    signal is at its default. Python's own table is not told: ``getsignal``
    still says ``SIG_DFL``, as without the instrumentation."""
    signum = getattr(_signal, "SIGRTMAX", None)
    if signum is None or not sys.platform.startswith("linux") or _safe_getsignal(signum) != 0:
        return ""
    loaded = "faulthandler" in sys.modules
    try:
        import faulthandler

        faulthandler.register(signum, file=fd, all_threads=True, chain=False)
    except (ImportError, OSError, RuntimeError, ValueError):
        return ""
    finally:
        if not loaded:
            sys.modules.pop("faulthandler", None)  # as a plain start has it; its C state stays
    return int(signum)


def _safe_getsignal(signum: int) -> object:
    try:
        return _real_getsignal(signum)
    except (ValueError, OSError):
        return None


def run_function() -> None:
    """Entry of ``spawn("pkg.module:function")``: import, report, call, exit with its result."""
    sys.modules.pop(PRIVATE_NAME, None)
    target = os.environ.pop(ENV_FUNCTION)
    module_name, _, attribute = target.partition(":")
    import importlib

    try:
        obj: Any = importlib.import_module(module_name)  # remote-import-ok: the target, the program's own
        for part in attribute.split("."):
            obj = getattr(obj, part)
    except BaseException as exc:
        _send(_channel.FAILED, f"{type(exc).__name__}: {exc}")
        raise
    _send(_channel.STARTED)
    sys.argv[0] = target
    result = obj()
    if hasattr(result, "__await__"):
        import asyncio

        result = asyncio.run(result)
    sys.exit(result)
