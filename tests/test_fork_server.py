"""spawn's fork server: children forked from a warm template are
indistinguishable from a new interpreter for the code under test."""

from __future__ import annotations

import json
import os
import sys

import pytest

PROBE = r"""
import atexit, os, signal, sys, threading
import asyncio

async def main():
    return 1

asyncio.run(main())
print(sys.argv, __name__, __file__, __spec__, __package__, type(__loader__).__name__)
print(sys.path, os.getcwd(), os.environ.get("PROBE"), "PYTEST_SIGNALS_CHANNEL" in os.environ)
print(sorted(sys.modules))
print([signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGCHLD)])
print(sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])), signal.set_wakeup_fd(-1))
print(os.getpid() == os.getpgid(0) == os.getsid(0))
print(sorted(int(fd) for fd in os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else "-")
if os.path.isdir("/proc/self"):  # what ps, pgrep -f and psutil read
    with open("/proc/self/cmdline", "rb") as f:
        print("cmdline", f.read().split(b"\0"))
    with open("/proc/self/environ", "rb") as f:
        names = sorted(v.partition(b"=")[0] for v in f.read().split(b"\0"))
    print("environ", [name for name in names if not name.startswith(b"PYTEST_SIGNALS_")])
    with open("environ.txt", "wb") as f:  # the outer test reads it after each start method's run
        f.write(b" ".join(names))
import resource, time
umask = os.umask(0)
os.umask(umask)
print(oct(umask), [(n, resource.getrlimit(getattr(resource, n))) for n in dir(resource) if n.startswith("RLIMIT_")])
print(time.tzname, time.timezone, sum(len(v) for k, v in os.environ.items() if k.startswith("BIG_")))
atexit.register(print, "atexit ran")
left_open = open("left-open.txt", "w")  # never closed: the exit flushes it
left_open.write(f"written by {sys.argv[1]}")
threading.Thread(target=lambda: print("thread joined")).start()
sys.stdout.flush()
ending = sys.argv[1]
if ending == "keyboard-interrupt":
    signal.raise_signal(signal.SIGINT)
elif ending == "system-exit":
    sys.exit("leaving with a message")
elif ending == "error":
    raise ValueError("at the top level")
"""

TEST_PROBE = """
import json, os, resource, pytest

ENDINGS = ["normal", "keyboard-interrupt", "system-exit", "error"]
BIG = {f"BIG_{n}": "e" * 65536 for n in range(16)}  # 1 MiB, in values exec accepts

@pytest.mark.parametrize("ending", ENDINGS)
def test_probe(spawn, ending, request, monkeypatch):
    # Each test sets up another world than the one the template started in.
    n = ENDINGS.index(ending)
    root = request.config.rootpath
    monkeypatch.chdir(root / "work" / ending)
    umask = os.umask((0o022, 0o027, 0o077, 0o002)[n])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 300) - n, hard))
    try:
        # A PYTHONPATH the fork applies as site does: relative, empty (the working
        # directory), repeated, and the script's own folder.
        pythonpath = os.pathsep.join(["rel", "", str(root / "sub"), str(root / "sub"), "rel"])
        env = {"PROBE": "yes", "TZ": f"T{'ABCD'[n]}Z-{n}", "PYTHONPATH": pythonpath, **BIG}
        proc = spawn(root / "sub" / "probe.py", ending, env=env)
        code = proc.wait()
    finally:
        os.umask(umask)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    method = request.config.getoption("signal_start_method")
    assert proc.forked is (method == "forkserver")
    with open("left-open.txt") as left_open:
        written = left_open.read()
    with open(root / f"{method}-{ending}.json", "w") as out:
        json.dump([proc.stdout, proc.stderr, code, written], out)
"""

ENDINGS = ["normal", "keyboard-interrupt", "system-exit", "error"]


def test_forked_children_are_indistinguishable_from_new_interpreters(pytester: pytest.Pytester, run) -> None:
    """The same program, forked from the template and started as a new
    interpreter: same output, same traceback, same exit, same modules, fds,
    dispositions, session, argv, sys.path (all of it), __main__; the working directory, umask,
    resource limits, time zone and environment the test set up."""
    if os.sysconf("SC_ARG_MAX") < 2 * 1024 * 1024:
        pytest.skip("exec takes less than the 1 MiB environment this test sends")
    pytester.mkdir("sub")
    for ending in ENDINGS:
        (pytester.path / "work" / ending).mkdir(parents=True)
    (pytester.path / "sub" / "probe.py").write_text(PROBE)
    pytester.makepyfile(test_probe=TEST_PROBE)
    for method in ("forkserver", "exec"):
        run(f"--signal-start-method={method}").assert_outcomes(passed=4)
        if method == "forkserver" and sys.platform.startswith("linux"):
            # A fork's /proc/<pid>/environ is its own, without the plugin's variables
            # (an exec'd child's still shows them there: they are read at its start).
            names = (pytester.path / "work" / "normal" / "environ.txt").read_bytes().split()
            assert b"PROBE" in names
            assert [name for name in names if name.startswith(b"PYTEST_SIGNALS")] == []
    for ending in ENDINGS:
        forked = json.loads((pytester.path / f"forkserver-{ending}.json").read_text())
        fresh = json.loads((pytester.path / f"exec-{ending}.json").read_text())
        assert forked == fresh, ending
    stdout, stderr, code, written = json.loads((pytester.path / "forkserver-keyboard-interrupt.json").read_text())
    assert written == "written by keyboard-interrupt"
    assert code == -2
    assert stderr.rstrip().endswith("KeyboardInterrupt")
    assert "pytest_signals" not in stderr
    assert "thread joined" in stdout
    assert "atexit ran" in stdout
    stdout, stderr, code, written = json.loads((pytester.path / "forkserver-system-exit.json").read_text())
    assert (code, stderr) == (1, "leaving with a message\n")


def test_default_is_the_fork_server_on_linux(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import sys

        def test_default(spawn):
            proc = spawn("json.tool", "--help")
            assert proc.wait() == 0
            assert proc.forked is (sys.platform == "linux")
        """
    )
    run("--signal-start-method=auto").assert_outcomes(passed=1)


def test_no_state_from_earlier_children(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        child="""
        import asyncio, sys
        print(getattr(asyncio, "LEFT_BEHIND", None), flush=True)
        asyncio.LEFT_BEHIND = sys.argv[1]
        """,
        test_children="""
        def test_each_starts_clean(spawn):
            for n in range(3):
                proc = spawn("child.py", str(n))
                assert proc.wait() == 0 and proc.forked
                assert proc.stdout == "None\\n"
        """,
    )
    run("--signal-start-method=forkserver").assert_outcomes(passed=1)


def test_a_different_start_up_environment_gets_a_new_interpreter(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        mod="VALUE = 'found through PYTHONPATH'\n",
        test_env="""
        import os

        def test_pythonpath(spawn, tmp_path):
            (tmp_path / "elsewhere.py").write_text("print('elsewhere', flush=True)\\n")
            proc = spawn("elsewhere", env={"PYTHONPATH": str(tmp_path)})
            assert proc.wait() == 0 and proc.stdout == "elsewhere\\n"
            assert proc.forked  # the fork makes sys.path what PYTHONPATH makes it in a new interpreter
            proc = spawn("mod")
            assert proc.wait() == 0 and proc.forked
            proc = spawn("mod", env={"UNRELATED": "1"})
            assert proc.wait() == 0 and proc.forked
            proc = spawn("mod", env={"LC_TIME": "POSIX" if os.environ.get("LC_TIME") == "C" else "C"})
            assert proc.wait() == 0
            assert not proc.forked  # the locale: every LC_* variable is the template's or a new interpreter's
            assert "in LC_TIME, which an interpreter reads as it starts" in proc.exec_reason
            assert proc.start_method == "exec" and "a new interpreter (its start-up environment" in repr(proc)
        """,
    )
    run("--signal-start-method=forkserver").assert_outcomes(passed=1)


def test_a_hard_limit_above_the_templates_gets_a_new_interpreter(pytester: pytest.Pytester, run) -> None:
    """A fork can lower a hard limit, never raise it (without CAP_SYS_RESOURCE):
    a child that needs one above the template's starts as a new interpreter.
    (Only a privileged test can raise its own hard limit again, so the
    template's record is made lower instead.)"""
    pytester.makepyfile(
        limit="""
        import resource
        print(resource.getrlimit(resource.RLIMIT_NOFILE), flush=True)
        """,
        test_limit="""
        import resource
        from pytest_signals._children.fork_server import FORK_SERVER

        def test_raised_hard_limit(spawn):
            first = spawn("limit.py")
            assert first.wait() == 0 and first.forked
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            FORK_SERVER._limits[resource.RLIMIT_NOFILE] = (soft, hard - 1)  # as if it had started with a lower one
            second = spawn("limit.py")
            assert second.wait() == 0 and not second.forked
            assert second.stdout == first.stdout == f"{(soft, hard)}\\n"
        """,
    )
    run("--signal-start-method=forkserver").assert_outcomes(passed=1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/<pid>/cmdline is Linux's")
def test_a_fork_shows_its_own_command_line_or_the_child_is_a_new_interpreter(pytester: pytest.Pytester, run) -> None:
    """ps, pgrep -f and psutil read /proc/<pid>/cmdline: a fork of the
    template shows the program's command line there, as an exec'd child
    does. Where the kernel refuses to give a fork its own (the template says
    so as it starts), the child is started as a new interpreter instead,
    and says why."""
    pytester.makepyfile(
        show="""
        import sys
        print(sys.orig_argv, flush=True)
        sys.stdin.read()
        """,
        test_cmdline="""
        import ast
        from pytest_signals._children.fork_server import FORK_SERVER

        def seen_by_ps(proc):
            argv = ast.literal_eval(proc.expect(r"(\\[.*\\])\\r?\\n").group(1))
            with open(f"/proc/{proc.pid}/cmdline", "rb") as f:
                shown = [arg.decode() for arg in f.read().split(b"\\0")[:-1]]
            proc.close_stdin()
            assert proc.wait() == 0
            return argv, shown

        def test_cmdline(spawn):
            first = spawn("show.py", "a b", "--flag")
            argv, shown = seen_by_ps(first)
            assert first.forked
            assert shown == argv and argv[1:] == ["show.py", "a b", "--flag"]
            FORK_SERVER._command_line_refused = "prctl(PR_SET_MM, PR_SET_MM_MAP): Operation not permitted"
            second = spawn("show.py", "again")
            argv, shown = seen_by_ps(second)
            assert not second.forked
            assert shown == argv and argv[1:] == ["show.py", "again"]
            assert "command line" in second.started_as and "Operation not permitted" in second.started_as
        """,
    )
    run("--signal-start-method=forkserver").assert_outcomes(passed=1)


def test_a_dead_template_means_new_interpreters(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import os, signal
        from pytest_signals._children.fork_server import FORK_SERVER

        def test_template_killed(spawn):
            first = spawn("json.tool", "--help")
            assert first.wait() == 0 and first.forked
            os.kill(FORK_SERVER.pid, signal.SIGKILL)
            with FORK_SERVER._cond:  # read until its end (no reader runs between calls)
                FORK_SERVER._await(lambda: False, 5)
                assert FORK_SERVER._dead
            second = spawn("json.tool", "--help")
            assert second.wait() == 0 and not second.forked
        """
    )
    run("--signal-start-method=forkserver").assert_outcomes(passed=1)


# A child that says who it is, or (given "block") waits to be stopped, bounded.
WHO = """
import os, signal, sys
if sys.argv[1] == "block":
    signal.sigtimedwait([signal.SIGUSR1], 60)
    sys.exit(3)
print(sys.argv[1], os.getpid(), flush=True)
"""


def test_a_reply_after_spawn_gave_up_never_goes_to_the_next_spawn(pytester: pytest.Pytester, run) -> None:
    """The template answers a request whose spawn() had already given up: that
    child is stopped and reported, and the next spawn gets its own child."""
    pytester.makepyfile(
        who=WHO,
        test_late="""
        import os, signal, pytest
        from pytest_signals import WaitFailed
        from pytest_signals._children.fork_server import FORK_SERVER

        def test_late_reply(spawn, monkeypatch):
            first = spawn("who.py", "first")
            assert first.wait() == 0 and first.forked
            monkeypatch.setattr(FORK_SERVER, "resume_if_stopped", lambda child=None: None)  # stays stopped
            os.kill(FORK_SERVER.pid, signal.SIGSTOP)  # it cannot answer until SIGCONT
            try:
                with pytest.raises(WaitFailed, match="did not answer within 0.5s"):
                    spawn("who.py", "block", timeout=0.5)
            finally:
                os.kill(FORK_SERVER.pid, signal.SIGCONT)
            second = spawn("who.py", "second")
            assert second.wait() == 0 and second.forked
            assert second.stdout == f"second {second.pid}\\n"
        """,
    )
    result = run("--signal-start-method=forkserver")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*processes stopped at teardown*",
            "test_late.py::test_late_reply: a child forked after its spawn() had given up (pid *) was stopped",
        ]
    )


def test_a_failed_fork_server_spawn_leaves_no_fd_open(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        who=WHO,
        test_fds="""
        import os, signal, pytest
        from pytest_signals import WaitFailed
        from pytest_signals._children.fork_server import FORK_SERVER

        def open_fds():
            where = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"
            return sorted(int(fd) for fd in os.listdir(where))

        def test_no_leak(spawn, monkeypatch):
            assert spawn("who.py", "first").wait() == 0
            before = open_fds()
            monkeypatch.setattr(FORK_SERVER, "resume_if_stopped", lambda child=None: None)  # stays stopped
            os.kill(FORK_SERVER.pid, signal.SIGSTOP)  # the spawn below times out
            try:
                with pytest.raises(WaitFailed, match="to start"):
                    spawn("who.py", "block", timeout=0.2)
                after = open_fds()
            finally:
                os.kill(FORK_SERVER.pid, signal.SIGCONT)
            assert after == before, f"open before the failed spawn: {before}; after: {after}"
        """,
    )
    run("--signal-start-method=forkserver").assert_outcomes(passed=1)


def test_requests_over_64_kib(pytester: pytest.Pytester, run) -> None:
    """Every request carries the whole environment: a big one (a CI's, or a
    long variable) and long arguments reach the forked child whole."""
    pytester.makepyfile(
        big="""
        import os, sys
        big = sum(len(v) for k, v in os.environ.items() if k.startswith("BIG_"))
        print(len(sys.argv[1]), len(os.environ["LONG"]), big, flush=True)
        """,
        test_big="""
        def test_big_request(spawn):
            env = {f"BIG_{n}": "e" * 65536 for n in range(16)}  # 1 MiB
            proc = spawn("big.py", "a" * 200_000, env={**env, "LONG": "v" * 70_000})
            assert proc.wait() == 0 and proc.forked, proc.output
            assert proc.stdout == "200000 70000 1048576\\n"
            again = spawn("big.py", "small", env={"LONG": "short"})  # the stream is still in step
            assert again.wait() == 0 and again.stdout == "5 5 0\\n"
        """,
    )
    run("--signal-start-method=forkserver").assert_outcomes(passed=1)


# Inner tests that call FORK_SERVER directly, without the spawn fixture's watcher.
DIRECT = """
import os, select, signal, sys
import pytest
from pytest_signals._children import command as command_module
from pytest_signals._children.fork_server import FORK_SERVER

def fork(script):
    env = command_module.environment(None, {})
    assert FORK_SERVER.refusal(env, env, timeout=30) is None
    pipes = [os.pipe() for _ in range(4)]
    theirs = [pipes[0][0], pipes[1][1], pipes[2][1], pipes[3][1]]
    request = {"kind": "file", "argv": [sys.executable, str(script)], "env": env, "cwd": None}
    child = FORK_SERVER.spawn(request, theirs, 30)
    for fd in theirs:
        os.close(fd)
    return child, pipes[1][0]

def read_line(fd):
    line = b""
    while not line.endswith(b"\\n"):
        assert select.select([fd], [], [], 30)[0], f"the child wrote {line!r}, then nothing for 30s"
        chunk = os.read(fd, 100)
        assert chunk, f"the child closed its stdout after {line!r}"
        line += chunk
    return line.decode()

def kill(child):
    signal.pidfd_send_signal(child.pidfd, signal.SIGKILL)
    assert select.select([child.pidfd], [], [], 30)[0], f"pid {child.pid} still runs 30s after SIGKILL"
    os.close(child.pidfd)
"""

PIDFD = """
def test_pidfd(tmp_path):
    (tmp_path / "up.py").write_text("import os, sys; print(os.getpid(), flush=True); sys.stdin.read()")
    child, stdout = fork(tmp_path / "up.py")
    assert read_line(stdout) == f"{child.pid}\\n"
    with open(f"/proc/self/fdinfo/{child.pidfd}") as info:
        assert f"Pid:\\t{child.pid}\\n" in info.read()
    assert not os.get_inheritable(child.pidfd)
    kill(child)
    status = FORK_SERVER.wait_status(child.pid)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
"""


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="pidfds are Linux only")
def test_spawn_returns_the_pid_and_a_pidfd_for_it(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(test_pidfd=DIRECT + PIDFD)
    run("--signal-start-method=forkserver").assert_outcomes(passed=1)


DEAD_TEMPLATE = """
from pytest_signals._children.status import StatusUnknown

def test_unknown(tmp_path):
    (tmp_path / "up.py").write_text("import sys; print('up', flush=True); sys.stdin.read()")
    child, stdout = fork(tmp_path / "up.py")
    assert read_line(stdout) == "up\\n"
    template = FORK_SERVER.pid
    os.kill(template, signal.SIGKILL)
    try:
        with pytest.raises(StatusUnknown) as raised:
            FORK_SERVER.wait_status(child.pid)
    finally:
        kill(child)
    reason = str(raised.value)
    assert f"template (pid {template})" in reason and f"pid {child.pid}" in reason, reason
    assert "killed" in reason, reason
"""


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="pidfds are Linux only")
def test_a_dead_template_leaves_statuses_unknown(pytester: pytest.Pytester, run) -> None:
    """When the template dies, the status of a child it had not reported is
    unknown, never an invented exit code 0."""
    pytester.makepyfile(test_dead=DIRECT + DEAD_TEMPLATE)
    run("--signal-start-method=forkserver").assert_outcomes(passed=1)


def test_the_template_is_not_a_child_of_pytest(pytester: pytest.Pytester) -> None:
    """Code under test that reaps every child of the test process
    (``os.wait()`` until ChildProcessError) never meets the template or the keeper."""
    pytester.makepyfile(
        who=WHO,
        test_reap="""
        import os, subprocess
        import pytest
        from pytest_signals._children.fork_server import FORK_SERVER
        from pytest_signals._children.keeper import KEEPER

        def children_of(parent):
            if not os.path.isdir("/proc/self"):
                ps = subprocess.run(["ps", "-A", "-o", "pid=", "-o", "ppid="], capture_output=True, text=True)
                return {int(pid) for pid, ppid in map(str.split, ps.stdout.splitlines()) if int(ppid) == parent}
            found = set()
            for entry in filter(str.isdigit, os.listdir("/proc")):
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        ppid = int(stat.read().rpartition(")")[2].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                if ppid == parent:
                    found.add(int(entry))
            return found

        def test_reap_everything(spawn):
            proc = spawn("who.py", "x")
            assert proc.wait() == 0 and proc.forked
            assert KEEPER.pid > 0 and FORK_SERVER.pid > 0
            # What code that reaps every child does: neither helper is pytest's child,
            # and the forked child is the template's, so there is nothing to wait for.
            with pytest.raises(ChildProcessError):
                while True:
                    os.wait()
            assert not children_of(os.getpid())
        """,
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--signal-start-method=forkserver", timeout=120)
    result.assert_outcomes(passed=1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork server, and /proc")
def test_a_spawn_interrupted_while_it_waits_leaves_no_child(pytester: pytest.Pytester, run) -> None:
    """A KeyboardInterrupt while spawn() waits on the template: the child the
    template forks for that request is stopped and reported, as one forked
    after its spawn() gave up, not left running for the rest of the session."""
    pytester.makepyfile(
        who=WHO,
        test_interrupted="""
        import os, signal, pytest
        from pytest_signals._children.fork_server import FORK_SERVER

        TEMPLATE = []

        def children(pid):
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                kids = f.read().split()
            lines = []
            for kid in kids:
                try:
                    with open(f"/proc/{kid}/cmdline", "rb") as f:
                        lines.append(f.read().replace(b"\\0", b" ").decode())
                except FileNotFoundError:
                    pass
            return lines

        def interrupt_the_wait(signum, frame):
            if not FORK_SERVER._waiters:  # not waiting on the template yet: look again soon
                signal.setitimer(signal.ITIMER_REAL, 0.05)
                return
            raise KeyboardInterrupt

        def test_interrupted(spawn, monkeypatch):
            first = spawn("who.py", "first")
            assert first.forked and first.wait() == 0  # its end told: nothing looks at the template below
            TEMPLATE.append(FORK_SERVER.pid)
            previous = signal.signal(signal.SIGALRM, interrupt_the_wait)
            monkeypatch.setattr(FORK_SERVER, "resume_if_stopped", lambda child=None: None)  # stays stopped
            os.kill(FORK_SERVER.pid, signal.SIGSTOP)  # it cannot answer until SIGCONT
            try:
                signal.setitimer(signal.ITIMER_REAL, 0.05)
                with pytest.raises(KeyboardInterrupt):
                    spawn("who.py", "block", timeout=60)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                os.kill(FORK_SERVER.pid, signal.SIGCONT)
            second = spawn("who.py", "second")
            assert second.wait() == 0 and second.stdout == f"second {second.pid}\\n"

        def test_next():
            assert not [c for c in children(TEMPLATE[0]) if "who.py block" in c], children(TEMPLATE[0])
        """,
    )
    result = run("--signal-start-method=forkserver")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["test_interrupted.py::test_interrupted: a child forked after its spawn() had given up (pid *) was stopped"]
    )
