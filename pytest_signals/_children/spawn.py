"""Where children are started: the ``spawn`` fixture's :class:`Spawner`.

A Python target runs under the same interpreter as the tests, as it would from
a shell (``python app.py``, ``python -m pkg.app``), with the child-side
instrumentation loaded by a bootstrap ``sitecustomize`` and reporting over fd
3. Every child starts in a session of its own (so nothing sent to it or its
group reaches pytest), with default dispositions and an empty signal mask.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .. import _channel
from .._compat import monotonic
from .fork_server import FORK_SERVER
from .keeper import KEEPER, open_pidfd
from .process import SpawnedProcess
from .watch import ChildWatch

if TYPE_CHECKING:
    from .._inproc.guard import SignalGuard

BOOT_DIR = str(Path(__file__).parent.parent / "_bootstrap")
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


_CHILD_MODULES = (
    "__init__.py",
    "_channel.py",
    "_child.py",
    "_names.py",
    "_tasks.py",
    "_template.py",
    "_preload.py",
    "_bootstrap/sitecustomize.py",
    "_bootstrap/template.py",
)
_bytecode_ready = False


def _ensure_bytecode() -> None:
    """Compile what every child imports, once: with PYTHONDONTWRITEBYTECODE set
    (common in CI images) each child would otherwise compile it again, about
    10 ms a start. Best effort: a read-only install just stays slower."""
    global _bytecode_ready
    if _bytecode_ready:
        return
    _bytecode_ready = True
    import importlib.util
    import py_compile

    here = Path(__file__).parent.parent
    for name in _CHILD_MODULES:
        source = str(here / name)
        cached = importlib.util.cache_from_source(source)
        try:
            if os.path.getmtime(cached) >= os.path.getmtime(source):
                continue
        except OSError:
            pass
        with contextlib.suppress(OSError, py_compile.PyCompileError):
            py_compile.compile(source, cfile=cached, doraise=True)


def _default_signals() -> set[int]:
    return {int(s) for s in signal.valid_signals()} - {int(signal.SIGKILL), int(signal.SIGSTOP)}


class Spawner:
    """Starts children for one test and makes sure none outlives it.

    The ``spawn`` fixture is an instance; call it::

        proc = spawn("myapp.server:main", "--port", "0")   # import and call
        proc = spawn("myapp.server")                        # python -m myapp.server
        proc = spawn("tools/serve.py")                      # python tools/serve.py
        proc = spawn(["sh", "-c", "trap 'exit 3' TERM; ..."])  # any program
        proc = spawn("myapp.cli:main", tty=True)            # in a real terminal
    """

    def __init__(self, guard: SignalGuard) -> None:
        self._guard = guard
        self.processes: list[SpawnedProcess] = []

    def __repr__(self) -> str:
        return f"<spawn fixture of {self._guard.nodeid}: {len(self.processes)} process(es)>"

    def __call__(
        self,
        target: str | os.PathLike[str] | Sequence[str],
        *args: str,
        tty: bool = False,
        env: Mapping[str, str | None] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        timeout: float | None = None,
    ) -> SpawnedProcess:
        """Start *target* in a real child process, and return its :class:`~pytest_signals.SpawnedProcess`.

        The child runs in a session of its own, with default signal
        dispositions and an empty signal mask (even when pytest itself runs
        with SIGINT ignored). A Python target runs under the test's
        interpreter, as it would from a shell, and gets the test's import path
        (see "A spawned child's import path" below); it reports its handlers,
        handler calls, cancelled tasks and ``KeyboardInterrupt`` to
        ``signal_log``. ``spawn`` returns once the child's instrumentation is
        up (and, for the module targets, once the target was found).

        Args:
            target: ``"pkg.module:function"`` (imported and called: its return
                value is the exit status, and a coroutine function runs under
                ``asyncio.run``); ``"pkg.module"`` (run as ``python -m``); a
                path to a ``.py`` file (run as ``python path``); a path to any
                other executable file (run as that program:
                ``spawn(sys.executable, "-c", code)``); or a list of strings
                (any program, looked up in the child's ``PATH``; not
                instrumented: only its output and exit status are observed).
            args: strings, the child's ``sys.argv[1:]``.
            tty: run it in a pseudo-terminal (through ptyprocess) as that
                terminal's foreground job; ``send_signal(signal.SIGINT,
                to=proc, via="tty")`` then types Ctrl-C into it.
            env: variables added to the child's environment (the test
                process's), or removed from it with None.
            cwd: the child's working directory (the test's if None).
            timeout: bound of the start-up wait, and the default of every
                wait on the process; ``signal_timeout`` if None.

        Raises:
            ValueError: a malformed target or argument, a path that is neither
                a ``.py`` file nor an executable program, a bad *env*.
            FileNotFoundError: a script, directory or program that does not exist.
            SpawnError: the target could not be imported or found (with the child's error).
            WaitFailed: the child did not start within *timeout*.
        """
        __tracebackhide__ = True
        self._guard.check_active("spawn")
        from .._options import check_timeout

        bound = self._guard.settings.timeout if timeout is None else check_timeout(timeout, "timeout")
        for arg in args:
            if not isinstance(arg, (str, os.PathLike)):
                raise ValueError(f"spawn() arguments must be strings, got {arg!r}")
        workdir = None if cwd is None else os.fspath(cwd)
        if workdir is not None and not os.path.isdir(workdir):
            raise FileNotFoundError(f"spawn(cwd={workdir!r}): no such directory")
        argv, extra_env, kind = self._command(target, [os.fspath(a) for a in args], workdir)
        if kind != "argv":
            extra_env[_channel.ENV_PATH] = _channel.encode_paths(import_path(kind, argv, workdir))
        child_env = _environment(env, extra_env, instrumented=kind != "argv")
        if kind != "argv":
            _ensure_bytecode()
        proc = self._start(argv, target, child_env, workdir, tty, kind, bound)
        self.processes.append(proc)
        self._guard.spawned[proc.pid] = proc
        if kind != "argv":
            proc.wait_started(kind in ("module", "function"), bound)
        return proc

    def _command(self, target: object, args: list[str], cwd: str | None) -> tuple[list[str], dict[str, str], str]:
        python = sys.executable
        if isinstance(target, (list, tuple)):
            if not target or not all(isinstance(a, (str, os.PathLike)) for a in target):
                raise ValueError(f"spawn({target!r}): a command must be a non-empty list of strings")
            return [os.fspath(a) for a in target] + args, {}, "argv"
        if isinstance(target, os.PathLike) or (isinstance(target, str) and _looks_like_path(target)):
            path = os.fspath(target)
            full = path if os.path.isabs(path) else os.path.join(cwd or os.getcwd(), path)
            if not os.path.isfile(full):
                raise FileNotFoundError(f"spawn({path!r}): no such file (looked in {os.path.dirname(full)})")
            if path.endswith(".py"):
                return [python, path, *args], {}, "file"
            if os.access(full, os.X_OK):  # a program (the interpreter itself, a shell script): run it
                return [path, *args], {}, "argv"
            raise ValueError(
                f"spawn({path!r}): not a Python script (no .py suffix) and not an executable program. "
                f"Run a script without the suffix through the interpreter, as a list: "
                f"spawn([sys.executable, {path!r}, ...])"
            )
        if not isinstance(target, str):
            raise ValueError(
                f"spawn({target!r}): the target must be 'pkg.module:function', 'pkg.module', "
                "a path to a .py file, or a list of strings"
            )
        module, colon, function = target.partition(":")
        if colon:
            if not _DOTTED.match(module) or not _DOTTED.match(function):
                raise ValueError(f"spawn({target!r}): expected 'pkg.module:function'")
            code = f"import sys; sys.modules[{_channel.PRIVATE_NAME!r}].run_function()"
            return [python, "-c", code, *args], {_channel.ENV_FUNCTION: target}, "function"
        if not _DOTTED.match(target):
            raise ValueError(
                f"spawn({target!r}): not a module name, a 'module:function' or a path to an existing .py file"
            )
        return [python, "-m", target, *args], {_channel.ENV_MODULE: target}, "module"

    def _start(
        self,
        argv: list[str],
        target: object,
        env: dict[str, str],
        cwd: str | None,
        tty: bool,
        kind: str,
        timeout: float,
    ) -> SpawnedProcess:
        instrumented = kind != "argv"
        channel_r, channel_w = os.pipe() if instrumented else (-1, -1)
        fds: dict[str, int] = {}
        forked, pidfd = False, None
        exec_reason = "tty=True: a terminal child starts as a new interpreter" if tty and instrumented else None
        try:
            try:
                if tty:
                    from .terminal import spawn_in_terminal

                    pid, fds["terminal"] = spawn_in_terminal(argv, env, cwd, channel_w if instrumented else None)
                elif instrumented and (exec_reason := self._exec_reason(argv, kind, env, cwd, timeout)) is None:
                    pid, forked = self._fork(argv, kind, env, cwd, channel_w, fds, timeout), True
                else:
                    pid = self._posix_spawn(argv, env, cwd, channel_w, fds)
            finally:
                if instrumented:
                    os.close(channel_w)
        except BaseException:
            if instrumented:
                os.close(channel_r)
            raise
        kept = None
        try:
            # A pidfd before anything could reap it: the template's for a forked
            # child (it opened it before it could reap); else pytest's own.
            pidfd = fds.pop("pidfd", None) if forked else None
            if pidfd is None:
                pidfd = open_pidfd(pid, FORK_SERVER.pid if forked else os.getpid())
            kept = ticket = KEEPER.watch(pid, pidfd)  # it and its session die with pytest, even a SIGKILLed pytest
            if instrumented:
                fds["channel"] = channel_r
            watch = ChildWatch(
                pid,
                self._guard.log,
                fds,
                instrumented,
                pidfd=pidfd,
                wait_status=(lambda: FORK_SERVER.wait_status(pid)) if forked else None,
                on_reaped=lambda: KEEPER.release(ticket),  # the moment its numbers are free
                output_memory=self._guard.settings.output_memory,
                release=(lambda: FORK_SERVER.release(pid)) if forked else None,
                holder_alive=(lambda: FORK_SERVER.alive) if forked else None,
            )
            return SpawnedProcess(
                pid=pid,
                argv=argv,
                target=target,
                tty=tty,
                instrumented=instrumented,
                log=self._guard.log,
                timeout=timeout,
                watch=watch,
                forked=forked,
                exec_reason=exec_reason,
            )
        except BaseException:  # nothing would ever stop it: do it now
            if pidfd is not None:
                with contextlib.suppress(OSError):
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                with contextlib.suppress(OSError):
                    os.close(pidfd)
            elif not forked:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            if not forked:
                with contextlib.suppress(OSError):
                    os.waitpid(pid, 0)
            if kept is not None:
                KEEPER.release(kept)
            raise

    def _exec_reason(
        self, argv: list[str], kind: str, env: dict[str, str], cwd: str | None, timeout: float
    ) -> str | None:
        """Why a Python child starts as a new interpreter; None when the fork
        server's template forks it."""
        method = self._guard.settings.start_method
        if not self._guard.settings.forks():
            return f"signal_start_method={method}" + (f" (the choice on {sys.platform})" if method == "auto" else "")
        first = first_entry(kind, argv, cwd)
        return FORK_SERVER.refusal(env, template_environment(), timeout=timeout, cwd=cwd, first=first)

    @staticmethod
    def _fork(
        argv: list[str],
        kind: str,
        env: dict[str, str],
        cwd: str | None,
        channel: int,
        fds: dict[str, int],
        timeout: float,
    ) -> int:
        request: dict[str, object] = {"kind": kind, "argv": argv, "env": env, "cwd": cwd}
        with _stdio_pipes(fds) as (stdin, stdout, stderr):
            child = FORK_SERVER.spawn(request, [stdin, stdout, stderr, channel], timeout)
        if child.pidfd is not None:
            fds["pidfd"] = child.pidfd  # the watcher's, to signal and wait through
        return child.pid

    @staticmethod
    def _posix_spawn(argv: list[str], env: dict[str, str], cwd: str | None, channel: int, fds: dict[str, int]) -> int:
        command, executable = argv, _which(argv[0], env, cwd)
        if cwd is not None:
            # posix_spawn cannot chdir; a shell that execs keeps the same pid.
            command = ["/bin/sh", "-c", 'cd -- "$0" && exec "$@"', cwd, *argv]
            executable = "/bin/sh"
        with _stdio_pipes(fds) as (stdin, stdout, stderr):
            actions = [
                (os.POSIX_SPAWN_DUP2, stdin, 0),
                (os.POSIX_SPAWN_DUP2, stdout, 1),
                (os.POSIX_SPAWN_DUP2, stderr, 2),
            ]
            if channel >= 0:
                actions.append((os.POSIX_SPAWN_DUP2, channel, _channel.CHANNEL_FD))
            return os.posix_spawn(
                executable,
                command,
                env,
                file_actions=actions,
                setsid=True,
                setsigdef=_default_signals(),
                setsigmask=(),
            )

    def close_all(self, grace: float = 1.0) -> list[str]:
        """Stop and reap every child still running, all at once: SIGTERM to
        each, one grace period for all, then SIGKILL for whoever is left.
        Returns a note for each one stopped."""
        running = [proc for proc in self.processes if proc.begin_stop()]
        deadline = monotonic() + grace
        for proc in self.processes:
            proc.finish_stop(deadline)
        for proc in self.processes:
            proc.release()
        notes = [note for proc in self.processes for note in proc.teardown_notes(proc in running)]
        notes.extend(FORK_SERVER.late_notes(self._guard.settings.timeout))
        return notes


@contextlib.contextmanager
def _stdio_pipes(fds: dict[str, int]) -> Iterator[tuple[int, int, int]]:
    """Pipes for a child's stdin, stdout and stderr. Yields the child's ends,
    which are closed here once the child has them; the test's ends go into
    *fds*, or are closed when the start fails."""
    stdin_r, stdin_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        yield stdin_r, out_w, err_w
    except BaseException:
        for fd in (stdin_w, out_r, err_r):
            os.close(fd)
        raise
    else:
        fds.update(stdin=stdin_w, stdout=out_r, stderr=err_r)
    finally:
        for fd in (stdin_r, out_w, err_w):
            os.close(fd)


def template_environment() -> dict[str, str]:
    """The environment the fork server's template starts with: a spawned
    child's, without the test's PYTHONPATH (each fork applies its own: see
    ``_child.py``)."""
    return _environment({"PYTHONPATH": None}, {})


def first_entry(kind: str, argv: list[str], cwd: str | None) -> str:
    """The folder a Python child's ``sys.path[0]`` names: a script's own
    (symbolic links resolved), or the working directory for ``-m`` and for
    ``-c`` (whose ``""`` means it)."""
    here = os.path.abspath(cwd or os.getcwd())
    if kind == "file":
        return os.path.dirname(os.path.realpath(os.path.join(here, argv[1])))
    return here


def import_path(kind: str, argv: list[str], cwd: str | None) -> list[str]:
    """The test process's sys.path, for a child to take the entries its own
    lacks from (``_child.py`` merges them): absolute, each once, without the
    child's own first entry and the folder of the script that started pytest
    (a console script's ``bin``, which is that script's first entry, not an
    import path the tests set up)."""
    skip = {first_entry(kind, argv, cwd)}
    script = sys.argv[0] if sys.argv else ""
    if script and os.path.isfile(script):
        skip.update({os.path.dirname(os.path.abspath(script)), os.path.dirname(os.path.realpath(script))})
    paths: list[str] = []
    for entry in sys.path:
        if not isinstance(entry, (str, os.PathLike)):
            continue
        path = os.path.abspath(os.fspath(entry))  # relative to the test's working directory, where it was added
        if path not in skip:
            skip.add(path)
            paths.append(path)
    return paths


def _environment(
    overrides: Mapping[str, str | None] | None, extra: dict[str, str], instrumented: bool = True
) -> dict[str, str]:
    """The child's environment: the test process's, with *overrides* (None
    removes a variable) and, for Python targets, the instrumentation's."""
    child_env = dict(os.environ)
    for key, value in (overrides or {}).items():
        if not isinstance(key, str) or not key or "=" in key or "\0" in key:
            raise ValueError(
                f"spawn(env=...): {key!r} is not a valid environment variable name "
                "(a non-empty string without '=' or NUL)"
            )
        if value is None:
            child_env.pop(key, None)
        elif not isinstance(value, str) or "\0" in value:
            raise ValueError(f"spawn(env=...): the value of {key!r}, {value!r}, is not a string without NUL")
        else:
            child_env[key] = value
    if instrumented:
        original = child_env.get("PYTHONPATH")
        if original is not None:
            child_env[_channel.ENV_PYTHONPATH] = original
        child_env["PYTHONPATH"] = BOOT_DIR + ("" if not original else os.pathsep + original)
        child_env[_channel.ENV_BOOT] = BOOT_DIR
        child_env[_channel.ENV_CHANNEL] = str(_channel.CHANNEL_FD)
        child_env.update(extra)
        if not {"COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START"} & set(child_env):
            config = coverage_config()
            if config is not None:
                child_env["COVERAGE_PROCESS_CONFIG"] = config
    return child_env


COVERED: list[str] = []  # data files children were told to write (combined at the session's end)


def coverage_config() -> str | None:
    """When the test process measures coverage (pytest-cov, ``coverage run``),
    its configuration for a child: the same, in parallel mode, with the data
    file's absolute path, so that the child's data lands beside the test
    process's. coverage.py's own subprocess support reads it
    (``COVERAGE_PROCESS_CONFIG``); the child's instrumentation starts it."""
    coverage = sys.modules.get("coverage")
    current = getattr(getattr(coverage, "Coverage", None), "current", None)
    cov = current() if current is not None else None
    if cov is None or not hasattr(cov.config, "serialize"):  # not measuring, or coverage < 7.10
        return None
    import copy

    config = copy.copy(cov.config)
    data = getattr(cov, "_data", None)  # (see _compat: the data file's absolute base name)
    base = str(data.base_filename()) if data is not None else os.path.abspath(config.data_file)
    config.parallel, config.data_file = True, base
    if base not in COVERED:
        COVERED.append(base)
    serialized: str = config.serialize()
    return serialized


def _which(command: str, env: Mapping[str, str], cwd: str | None) -> str:
    """Where *command* is, looked up in the child's PATH (as ``subprocess``
    does), not pytest's.

    Raises:
        FileNotFoundError: not found there, naming the command and the PATH searched.
    """
    if os.sep in command or (os.altsep and os.altsep in command):
        return command  # a path (with cwd=, the shell resolves it there)
    import shutil

    path = env.get("PATH", os.defpath)
    found = shutil.which(command, path=path)
    if found is None:
        raise FileNotFoundError(f"spawn([{command!r}, ...]): no such program in the child's PATH ({path})")
    return found


def _looks_like_path(target: str) -> bool:
    return target.endswith(".py") or "/" in target or os.sep in target
