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
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from .._compat import monotonic
from .._remote import channel as _channel
from .command import (
    command,
    default_signals,
    ensure_bytecode,
    environment,
    first_entry,
    ignored,
    import_path,
    template_environment,
    which,
)
from .fork_server import FORK_SERVER, ForkServerTimeout
from .keeper import KEEPER, open_pidfd
from .process import SpawnedProcess
from .watch import ChildWatch

if TYPE_CHECKING:
    from .._inproc.guard import SignalGuard
    from . import namespaces


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
        as_init: bool = False,
        descendants: bool = True,
        launch: str | None = None,
        signal_anywhere: object = None,
    ) -> SpawnedProcess:
        """Start *target* in a real child process, and return its :class:`~pytest_signals.SpawnedProcess`.

        The child is started as a launcher would start it (*launch*): by
        default, without a terminal, as ``subprocess.Popen`` starts a command
        (a plain child), and with ``tty=True`` as a terminal's foreground job;
        always with default signal dispositions and an empty signal mask
        (even when pytest itself runs with SIGINT ignored). A Python target runs under the test's
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
            ignore: signals the child starts with ignored, as its launcher
                left them: ``("SIGHUP",)`` as under ``nohup``, ``("SIGINT",
                "SIGQUIT")`` as for a shell's ``cmd &``. Every other signal
                starts with its default action.
            as_init: run it as pid 1 of a new pid namespace (Linux; through a
                user namespace where the test is not root), as a container's
                entrypoint runs: signals from the test reach it only if it
                handles them (SIGKILL and SIGSTOP always do), and orphans in
                its tree become its to reap. ``proc.pid`` is its host pid.
                Where no pid namespace can be made, the test is skipped with
                the reason. See "Containers: pid 1" in the docs.
            descendants: carry the instrumentation into the Python processes
                the child starts by exec (multiprocessing's spawn and
                forkserver start methods, ``subprocess.Popen([sys.executable,
                ...])``, uvicorn ``--workers``), and on into theirs: they
                report to ``signal_log`` as the child does, each first with a
                ``"started"`` event naming its parent. Only processes of this
                same interpreter, and not those started with ``-I``, ``-E`` or
                ``-S``. ``False`` leaves every process the child starts as it
                would be without the plugin. On by default: see "Python
                grandchildren started by exec" in the process-trees page for
                what a descendant could notice, and the start-up cost.
            launch: the process model the child meets (see "How a child is
                launched" in the docs). ``"plain"`` (the default without a
                terminal): as ``subprocess.Popen`` starts it, a member of a
                session and a process group it does not lead, so that
                ``os.setpgrp()`` and ``os.setsid()`` succeed and a terminal
                it opens does not become its controlling terminal.
                ``"service"``: as systemd starts a service, the leader of a
                session of its own, with stdin ``/dev/null``.
                ``"terminal"``: the same as ``tty=True``, the foreground job of
                its terminal, whose session a small leader owns as a shell
                does (Ctrl-Z stops it, SIGCONT resumes it). For a
                container's pid 1, see *as_init*. ``proc.launch`` says which
                it got.
            signal_anywhere: a run of ``signal_anywhere(sig,
                within="module:function")``, the function being the child's:
                the child counts the points of that run, or has the signal
                delivered at that run's point (see "In a spawned child" in
                the Signal anywhere page). One child per run; a Python target.

        Raises:
            ValueError: a malformed target or argument, a path that is neither
                a ``.py`` file nor an executable program, a bad *env*, a
                signal in *ignore* that is unknown or cannot be ignored.
            FileNotFoundError: a script, directory or program that does not exist.
            TypeError: *as_init* or *descendants* is not a bool, or *launch* not a string.
            SpawnError: the target could not be imported or found (with the child's error).
            WaitFailed: the child did not start within *timeout* (the fork server's
                template did not answer in time, or the child did not report in).
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
        ignoring = ignored(ignore)
        if not isinstance(as_init, bool):
            raise TypeError(f"spawn(as_init={as_init!r}): as_init must be True or False")
        if as_init and tty:
            raise ValueError(
                "spawn(as_init=True, tty=True) is not supported: pid 1 of a new namespace "
                "is started without a terminal (run a terminal program under as_init=True "
                "through a command that allocates one, such as script(1))"
            )
        if not isinstance(descendants, bool):
            raise TypeError(f"spawn(descendants={descendants!r}): descendants must be True or False")
        mode = launch_mode(launch, tty, as_init)
        tty = mode == "terminal"
        anywhere = None
        if signal_anywhere is not None:
            from .._inproc.anywhere import child_run

            anywhere = child_run(signal_anywhere)
        argv, extra_env, kind = command(target, [os.fspath(a) for a in args], workdir)
        if anywhere is not None:
            if kind == "argv":
                raise ValueError(
                    f"spawn({target!r}, signal_anywhere=...): a list of strings is any program, not "
                    "instrumented; signal_anywhere needs a Python target (a .py file, a module, "
                    "'pkg.module:function', or sys.executable with its arguments)"
                )
            extra_env[_channel.ENV_ANYWHERE] = anywhere.request()
        if kind != "argv":
            extra_env[_channel.ENV_PATH] = _channel.encode_paths(import_path(kind, argv, workdir))
            if descendants:
                extra_env[_channel.ENV_DESCENDANTS] = "1"
        child_env = environment(env, extra_env, instrumented=kind != "argv")
        if tty and "TERM" not in child_env and "TERM" not in (env or {}):
            child_env["TERM"] = DEFAULT_TERM  # as a terminal emulator sets it; env={"TERM": None} leaves it out
        if kind != "argv":
            ensure_bytecode()
        if as_init:
            from .namespaces import unavailable

            why_not = unavailable()  # after every check of the arguments: bad input is an error everywhere
            if why_not is not None:
                import pytest

                pytest.skip(f"spawn(as_init=True) needs a new pid namespace: {why_not}")
            proc = self._start_init(argv, target, child_env, workdir, kind, bound, ignoring)
        else:
            proc = self._start(argv, target, child_env, workdir, tty, kind, bound, ignoring, mode)
        self.processes.append(proc)
        self._guard.spawned[proc.pid] = proc
        if anywhere is not None:
            anywhere.attach(proc)
        if kind != "argv":
            proc.wait_started(kind in ("module", "function"), bound)
        return proc

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
        mode: str = "plain",
    ) -> SpawnedProcess:
        instrumented = kind != "argv"
        channel_r, channel_w = os.pipe() if instrumented else (-1, -1)
        fds: dict[str, int] = {}
        forked, by_template, pidfd, session_pidfd = False, False, None, None
        session = group = 0
        exec_reason: str | None = None
        unadopted: str | None = None  # why the template did not start it
        ends_before = FORK_SERVER.orphan_ends()  # the orphans of its tree end after this
        try:
            try:
                exec_reason = self._exec_reason(argv, kind, env, cwd, timeout) if instrumented else None
                if instrumented and exec_reason is None:
                    (pid, session, group), forked = (
                        self._fork(argv, kind, env, cwd, channel_w, fds, timeout, ignore, mode),
                        True,
                    )
                elif (unadopted := FORK_SERVER.exec_refusal(template_environment(), timeout=timeout)) is None:
                    # The template forks and execs it: its tree's orphans are the template's.
                    executable = which(argv[0], env, cwd)
                    request_fds = [channel_w] if instrumented else []
                    pid, session, group = self._fork(
                        argv, kind, env, cwd, request_fds, fds, timeout, ignore, mode, executable
                    )
                    by_template = True
                elif tty:
                    from .terminal import spawn_in_terminal

                    pid, fds["terminal"] = spawn_in_terminal(
                        argv, env, cwd, channel_w if instrumented else None, ignore
                    )
                else:
                    pid = self._posix_spawn(argv, env, cwd, channel_w, fds, ignore, mode == "service")
            finally:
                if instrumented:
                    os.close(channel_w)
        except BaseException:
            if instrumented:
                os.close(channel_r)
            raise
        kept = None
        tickets: list[int] = []

        def released() -> None:
            for t in tickets:
                KEEPER.release(t)

        try:
            # A pidfd before anything could reap it: the template's for a child
            # it started (it opened it before it could reap); else pytest's own.
            held = forked or by_template  # the template's child, reaped by it
            pidfd = fds.pop("pidfd", None) if held else None
            session_pidfd = fds.pop("session_pidfd", None) if held else None
            if pidfd is None:
                pidfd = open_pidfd(pid, FORK_SERVER.pid if held else os.getpid())
            if instrumented and not held and exec_reason is not None:
                exec_reason += f"; started by pytest, so the orphans of its tree are not adopted ({unadopted})"
            kept = KEEPER.watch(pid, pidfd)  # it and its session die with pytest, even a SIGKILLed pytest
            tickets.append(kept)
            if session_pidfd is not None:  # its launcher's session too
                tickets.append(KEEPER.watch(session, session_pidfd))
            if instrumented:
                fds["channel"] = channel_r
            # A terminal job's leader is its parent, which it can stop: resumed as the template is.
            leader = None
            if mode == "terminal" and session not in (0, pid) and session_pidfd is not None:
                leader = (session, session_pidfd)
            watch = ChildWatch(
                pid,
                self._guard.log,
                fds,
                instrumented,
                pidfd=pidfd,
                wait_status=(lambda: FORK_SERVER.wait_status(pid, pidfd, leader)) if held else None,
                on_reaped=released,  # the moment its numbers are free
                output_memory=self._guard.settings.output_memory,
                release=(lambda: FORK_SERVER.release(pid)) if held else None,
                holder_alive=(lambda: FORK_SERVER.alive) if held else None,
                group=group or pid,
                session=session or pid,
                session_pidfd=session_pidfd,
            )
            got = "service" if mode == "plain" and group in (0, pid) else mode  # no anchor: it leads its session
            if mode == "terminal" and session in (0, pid):
                got = "terminal-leader"  # no session leader of its own: it leads the terminal's session
            return SpawnedProcess(
                pid=pid,
                argv=argv,
                target=target,
                tty=tty,
                launch=got,
                instrumented=instrumented,
                log=self._guard.log,
                timeout=timeout,
                watch=watch,
                forked=forked,
                exec_reason=exec_reason,
                adopted=(lambda: (FORK_SERVER.adopted(), FORK_SERVER.pid)) if held else None,
                orphan_ended=(lambda p, bound: FORK_SERVER.orphan_ended(p, ends_before, bound)) if held else None,
            )
        except BaseException:  # nothing would ever stop it: do it now
            if pidfd is not None:
                with contextlib.suppress(OSError):
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                with contextlib.suppress(OSError):
                    os.close(pidfd)
            elif not held:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            if not held:
                with contextlib.suppress(OSError):
                    os.waitpid(pid, 0)
            if kept is not None:
                released()
            if session_pidfd is not None:
                with contextlib.suppress(OSError):
                    os.close(session_pidfd)
            raise

    def _start_init(
        self,
        argv: list[str],
        target: object,
        env: dict[str, str],
        cwd: str | None,
        kind: str,
        timeout: float,
        ignore: tuple[int, ...],
    ) -> SpawnedProcess:
        """Start *argv* as pid 1 of a new pid namespace (``namespaces.py``)."""
        from . import namespaces

        instrumented = kind != "argv"
        executable = which(argv[0], env, cwd)
        channel_r, channel_w = os.pipe() if instrumented else (-1, -1)
        fds: dict[str, int] = {}
        try:
            try:
                with _stdio_pipes(fds) as (stdin, stdout, stderr):
                    actions = [
                        (os.POSIX_SPAWN_DUP2, stdin, 0),
                        (os.POSIX_SPAWN_DUP2, stdout, 1),
                        (os.POSIX_SPAWN_DUP2, stderr, 2),
                    ]
                    if instrumented:
                        actions.append((os.POSIX_SPAWN_DUP2, channel_w, _channel.CHANNEL_FD))
                    try:
                        init = namespaces.start(executable, argv, env, cwd, actions, ignore, default_signals(), timeout)
                    except namespaces.InitError as exc:
                        from .process import SpawnError

                        raise SpawnError(str(exc)) from None
            finally:
                if instrumented:
                    os.close(channel_w)
        except BaseException:
            if instrumented:
                os.close(channel_r)
            raise
        pid, pidfd = init.pid, init.pidfd
        tickets: list[int] = []

        def released() -> None:
            init.release()
            for ticket in tickets:
                KEEPER.release(ticket)

        if instrumented:
            fds["channel"] = channel_r
        try:
            tickets += [KEEPER.watch(pid, pidfd), KEEPER.watch(init.launcher, init.launcher_pidfd)]
            return self._init_process(init, argv, target, fds, instrumented, timeout, released)
        except BaseException:  # nothing would ever stop it: do it now (its namespace goes with it)
            init.kill()
            for ticket in tickets:
                KEEPER.release(ticket)
            for fd in fds.values():
                with contextlib.suppress(OSError):
                    os.close(fd)
            raise

    def _init_process(
        self,
        init: namespaces.InitProcess,
        argv: list[str],
        target: object,
        fds: dict[str, int],
        instrumented: bool,
        timeout: float,
        released: Callable[[], None],
    ) -> SpawnedProcess:
        pid, pidfd = init.pid, init.pidfd
        watch = ChildWatch(
            pid,
            self._guard.log,
            fds,
            instrumented,
            pidfd=pidfd,
            wait_status=init.wait_status,
            output_memory=self._guard.settings.output_memory,
            release=released,
            holder_alive=lambda: init.alive,
            host_pid=init.host_pid,
        )
        return SpawnedProcess(
            pid=pid,
            argv=argv,
            target=target,
            tty=False,
            instrumented=instrumented,
            log=self._guard.log,
            timeout=timeout,
            watch=watch,
            exec_reason=f"as_init=True: {init.describe()}",
            init=init,
        )

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
        channel: int | list[int],
        fds: dict[str, int],
        timeout: float,
        ignore: tuple[int, ...],
        mode: str = "plain",
        executable: str | None = None,
    ) -> tuple[int, int, int]:
        """Fork the child from the template, and return its pid and the ids of
        its session and its process group (its launcher's: see
        ``_remote/launchers.py``); with *executable*, the fork
        execs it (*channel* is then the list of its fds after 0-2). A terminal
        child gets a new pseudo-terminal whose other side is its stdin, stdout
        and stderr and the controlling terminal of its session, whose leader
        runs it as the foreground job (``launchers.terminal_job``)."""
        extra = channel if isinstance(channel, list) else [channel]
        op = "spawn" if executable is None else "exec"
        tty = mode == "terminal"
        request: dict[str, object] = {
            "executable": executable,
            "kind": kind,
            "argv": argv,
            "env": env,
            "cwd": cwd,
            "tty": tty,
            "ignore": list(ignore),
            "plain": mode == "plain",
            "job": mode == "terminal",
        }
        if tty:
            from .terminal import open_terminal

            master, slave = open_terminal()
            try:
                with _template_in_time(argv, timeout):
                    child = FORK_SERVER.spawn(request, [slave, slave, slave, *extra], timeout, op)
            except BaseException:
                os.close(master)
                raise
            finally:
                os.close(slave)  # the child has its own: the terminal ends (EIO) when the child's side closes
            fds["terminal"] = master
        else:
            with _stdio_pipes(fds, mode == "service") as (stdin, stdout, stderr), _template_in_time(argv, timeout):
                child = FORK_SERVER.spawn(request, [stdin, stdout, stderr, *extra], timeout, op)
        if child.pidfd is not None:
            fds["pidfd"] = child.pidfd  # the watcher's, to signal and wait through
        if child.session_pidfd is not None:
            fds["session_pidfd"] = child.session_pidfd  # its launcher's: vouches for its session
        return child.pid, child.session or child.pid, child.group or child.pid

    @staticmethod
    def _posix_spawn(
        argv: list[str],
        env: dict[str, str],
        cwd: str | None,
        channel: int,
        fds: dict[str, int],
        ignore: tuple[int, ...],
        service: bool = False,
    ) -> int:
        command, executable = argv, which(argv[0], env, cwd)
        if cwd is not None or ignore:
            # posix_spawn can neither chdir nor ignore a signal: a shell that
            # does both, then execs, keeps the same pid (an ignored signal
            # stays ignored across exec).
            steps = [f"trap '' {' '.join(map(str, ignore))}"] if ignore else []
            steps += ['cd -- "$0"'] if cwd is not None else []
            script = " && ".join(steps) + ' && exec "$@"'
            command = ["/bin/sh", "-c", script, cwd or "sh", *argv]
            executable = "/bin/sh"
        with _stdio_pipes(fds, service) as (stdin, stdout, stderr):
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
                setsigdef=default_signals() - set(ignore),
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
        # What left the children's sessions (a daemon) and was adopted by the
        # fork server's template: before release, which lets it reap the children.
        orphans = (
            FORK_SERVER.sweep(self._guard.settings.timeout) if any(p.orphans_adopted for p in self.processes) else None
        )
        for proc in self.processes:
            proc.release()
        notes = [note for proc in self.processes for note in proc.teardown_notes(proc in running)]
        for pid, line in orphans or ():
            if _own_machinery(line):
                continue  # a spawned pytest's own fork server or keeper, on its way out: stopped, not the program's
            notes.append(
                f"pid {pid} ({line or '?'}), an orphan of the processes this test spawned (it had left "
                "their session and its parent had ended), was still running: SIGKILL"
            )
        notes.extend(FORK_SERVER.late_notes(self._guard.settings.timeout))
        FORK_SERVER.quiesce()  # its reader stops: no thread of ours between tests
        return notes


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _own_machinery(command_line: str) -> bool:
    """Whether *command_line* runs one of pytest-signals' own scripts (the
    fork server's template or the keeper of a pytest the test spawned)."""
    return any(arg.startswith(_PACKAGE) for arg in command_line.split(" "))


LAUNCH_MODES = ("plain", "service", "terminal")
DEFAULT_TERM = "xterm-256color"  # what a terminal child gets when the test's environment has no TERM


def launch_mode(launch: object, tty: bool, as_init: bool) -> str:
    """The process model a child is started in: ``"plain"``, ``"service"``,
    ``"terminal"`` or ``"init"``.

    Raises:
        TypeError: *launch* is not a string (or None).
        ValueError: an unknown *launch*, or one that contradicts *tty* or *as_init*.
    """
    if launch is not None and not isinstance(launch, str):
        raise TypeError(f"spawn(launch={launch!r}): launch must be one of {', '.join(map(repr, LAUNCH_MODES))}")
    if launch is not None and launch not in LAUNCH_MODES:
        raise ValueError(f"spawn(launch={launch!r}): launch must be one of {', '.join(map(repr, LAUNCH_MODES))}")
    if as_init:
        if launch is not None:
            raise ValueError(f"spawn(as_init=True, launch={launch!r}): as_init=True is a launch of its own (pid 1)")
        return "init"
    if tty and launch not in (None, "terminal"):
        raise ValueError(
            f"spawn(tty=True, launch={launch!r}): a child in a terminal is launched as that terminal's job "
            "(launch='terminal')"
        )
    return "terminal" if tty else (launch or "plain")


@contextlib.contextmanager
def _template_in_time(argv: list[str], timeout: float) -> Iterator[None]:
    """A template that does not answer within *timeout* is a wait that failed."""
    try:
        yield
    except ForkServerTimeout as exc:
        from .process import WaitFailed

        resumed = FORK_SERVER.resume_if_stopped()
        why = "" if resumed is None else f": {resumed}"
        raise WaitFailed(
            f"waited {timeout:g}s for {argv!r} to start: {exc}{why} (it is stopped when it comes; pass a longer "
            "timeout=)"
        ) from None


@contextlib.contextmanager
def _stdio_pipes(fds: dict[str, int], null_stdin: bool = False) -> Iterator[tuple[int, int, int]]:
    """Pipes for a child's stdin, stdout and stderr (stdin ``/dev/null``
    with *null_stdin*, as a service gets it). Yields the child's ends,
    which are closed here once the child has them; the test's ends go into
    *fds*, or are closed when the start fails."""
    if null_stdin:
        stdin_r, stdin_w = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC), -1
    else:
        stdin_r, stdin_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        yield stdin_r, out_w, err_w
    except BaseException:
        for fd in (stdin_w, out_r, err_r):
            if fd >= 0:
                os.close(fd)
        raise
    else:
        fds.update(stdout=out_r, stderr=err_r)
        if stdin_w >= 0:
            fds["stdin"] = stdin_w
    finally:
        for fd in (stdin_r, out_w, err_w):
            os.close(fd)
