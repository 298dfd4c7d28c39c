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
from collections.abc import Iterable, Iterator, Mapping, Sequence
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
        ignore: Iterable[object] = (),
    ) -> SpawnedProcess:
        """Start *target* and return its :class:`SpawnedProcess`.

        Args:
            target: ``"pkg.module:function"``, ``"pkg.module"``, a path to a
                ``.py`` file (run by the test's interpreter, instrumented), a
                path to any other executable file (run as that program, like
                a list), or a list of strings (any program, not instrumented).
            args: become the child's ``sys.argv[1:]``.
            tty: run it in a pseudo-terminal, as that terminal's foreground job.
            env: variables added to (or, with None, removed from) the environment.
            cwd: the child's working directory.
            timeout: bound of the start-up wait; ``signal_timeout`` if None.
            ignore: signals the child starts with ignored, as its launcher
                left them: ``("SIGHUP",)`` as under ``nohup``, ``("SIGINT",
                "SIGQUIT")`` as for a shell's ``cmd &``. Every other signal
                starts with its default action.

        Raises:
            ValueError: a malformed target or argument.
            FileNotFoundError: a script or directory that does not exist.
            SpawnError: the target could not be imported or found (the child's error).
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
        ignored = _ignored(ignore)
        argv, extra_env, kind = self._command(target, [os.fspath(a) for a in args], workdir)
        child_env = _environment(env, extra_env, instrumented=kind != "argv")
        if kind != "argv":
            _ensure_bytecode()
        proc = self._start(argv, target, child_env, workdir, tty, kind, bound, ignored)
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
        ignore: tuple[int, ...] = (),
    ) -> SpawnedProcess:
        instrumented = kind != "argv"
        channel_r, channel_w = os.pipe() if instrumented else (-1, -1)
        fds: dict[str, int] = {}
        forked, pidfd = False, None
        try:
            try:
                warm = instrumented and self._guard.settings.forks() and FORK_SERVER.serves(env, _environment(None, {}))
                if tty and warm:
                    pid = self._fork_in_terminal(argv, kind, env, cwd, channel_w, fds, timeout, ignore)
                    forked = True
                elif tty:
                    from .terminal import spawn_in_terminal

                    pid, fds["terminal"] = spawn_in_terminal(
                        argv, env, cwd, channel_w if instrumented else None, ignore
                    )
                elif warm:
                    pid, forked = self._fork(argv, kind, env, cwd, channel_w, fds, timeout, ignore), True
                else:
                    pid = self._posix_spawn(argv, env, cwd, channel_w, fds, ignore)
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

    @staticmethod
    def _fork(
        argv: list[str],
        kind: str,
        env: dict[str, str],
        cwd: str | None,
        channel: int,
        fds: dict[str, int],
        timeout: float,
        ignore: tuple[int, ...],
    ) -> int:
        request: dict[str, object] = {"kind": kind, "argv": argv, "env": env, "cwd": cwd, "ignore": list(ignore)}
        with _stdio_pipes(fds) as (stdin, stdout, stderr):
            child = FORK_SERVER.spawn(request, [stdin, stdout, stderr, channel], timeout)
        if child.pidfd is not None:
            fds["pidfd"] = child.pidfd  # the watcher's, to signal and wait through
        return child.pid

    @staticmethod
    def _fork_in_terminal(
        argv: list[str],
        kind: str,
        env: dict[str, str],
        cwd: str | None,
        channel: int,
        fds: dict[str, int],
        timeout: float,
        ignore: tuple[int, ...],
    ) -> int:
        """Fork a terminal child from the template: a new pseudo-terminal whose
        other side is the child's stdin, stdout and stderr and, once the child
        leads a session of its own, its controlling terminal (the template
        makes it so), as ptyprocess sets one up for a new interpreter."""
        from .terminal import open_terminal

        master, slave = open_terminal()
        try:
            request: dict[str, object] = {
                "kind": kind,
                "argv": argv,
                "env": env,
                "cwd": cwd,
                "tty": True,
                "ignore": list(ignore),
            }
            child = FORK_SERVER.spawn(request, [slave, slave, slave, channel], timeout)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)  # the child has its own: the terminal ends (EIO) when the child's side closes
        fds["terminal"] = master
        if child.pidfd is not None:
            fds["pidfd"] = child.pidfd  # the watcher's, to signal and wait through
        return child.pid

    @staticmethod
    def _posix_spawn(
        argv: list[str],
        env: dict[str, str],
        cwd: str | None,
        channel: int,
        fds: dict[str, int],
        ignore: tuple[int, ...],
    ) -> int:
        command, executable = argv, _which(argv[0], env, cwd)
        if cwd is not None or ignore:
            # posix_spawn can neither chdir nor ignore a signal: a shell that
            # does both, then execs, keeps the same pid (an ignored signal
            # stays ignored across exec).
            steps = [f"trap '' {' '.join(map(str, ignore))}"] if ignore else []
            steps += ['cd -- "$0"'] if cwd is not None else []
            script = " && ".join(steps) + ' && exec "$@"'
            command = ["/bin/sh", "-c", script, cwd or "sh", *argv]
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
                setsigdef=_default_signals() - set(ignore),
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


def _ignored(signals: Iterable[object]) -> tuple[int, ...]:
    """The signals of ``spawn(ignore=...)``, as numbers.

    Raises:
        ValueError: not a list of signals, an unknown one, or SIGKILL/SIGSTOP (never ignored).
    """
    from .._signals import resolve_signal, signal_name

    if isinstance(signals, (str, int)):
        signals = (signals,)
    numbers = []
    for sig in signals:
        try:
            signum = resolve_signal(sig)
        except ValueError as exc:
            raise ValueError(f"spawn(ignore=...): {exc}") from None
        if signum in (signal.SIGKILL, signal.SIGSTOP):
            raise ValueError(f"spawn(ignore=...): {signal_name(signum)} cannot be ignored")
        numbers.append(int(signum))
    return tuple(sorted(set(numbers)))


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
