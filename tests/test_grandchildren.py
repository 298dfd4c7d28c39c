"""Python grandchildren started by exec are instrumented, as transparently as the child.

A spawned child starts a grandchild by multiprocessing (each start method,
chosen with ``get_context``: CPython 3.14 makes forkserver the default on
Linux) or by ``subprocess.Popen([sys.executable, ...])``; the grandchild
installs a SIGTERM handler, the child relays a SIGTERM to it as a master
does, and ``signal_log`` shows the grandchild's handler ran, with its own pid
and, in its ``"started"`` event, its parent's. The grandchild's view of
itself (environment, import path, modules, fds, dispositions, command line,
output) is the same with and without the plugin.
"""

from __future__ import annotations

import multiprocessing
import sys

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _methods() -> list[object]:
    """The start methods, each skipped where multiprocessing does not have it."""
    out: list[object] = []
    available = multiprocessing.get_all_start_methods()
    for method in ("fork", "forkserver", "spawn"):
        marks = []
        if method not in available:
            marks = [pytest.mark.skip(reason=f"multiprocessing has no {method!r} start method on {sys.platform}")]
        out.append(pytest.param(method, marks=marks, id=method))
    return out


# The child: starts one grandchild (by multiprocessing's start method argv[1],
# or by Popen for "popen"), which says "ready" with its pid and parent pid and
# waits for SIGTERM; its handler exits 3. The child relays SIGTERM to it.
CHILD = r'''
import multiprocessing, os, signal, subprocess, sys

GRANDCHILD = """
import os, signal, sys
def on_term(signum, frame):
    sys.exit(3)
r, w = os.pipe()  # a wakeup fd: a SIGTERM that lands just before the wait still ends it
os.set_blocking(w, False)
signal.set_wakeup_fd(w)
signal.signal(signal.SIGTERM, on_term)
print(f"ready {os.getpid()} {os.getppid()}", flush=True)
while True:
    os.read(r, 1)
"""


def wakeup_fd():
    """Each signal writes its number to the pipe returned: a read of it cannot
    miss a signal that lands just before the read starts (CPython's C handler
    only sets a flag, which a pause(), join() or wait() would not see until it
    returned). Set in each process: a fork would share the parent's pipe."""
    r, w = os.pipe()
    os.set_blocking(w, False)
    signal.set_wakeup_fd(w)
    return r


def until_signalled(wakeup, sig):
    # The handler runs right after the read that returned its signal's number.
    while os.read(wakeup, 1) != bytes([sig]):
        pass


def worker(conn):
    def on_term(signum, frame):
        sys.exit(3)
    wakeup = wakeup_fd()
    signal.signal(signal.SIGTERM, on_term)
    conn.send((os.getpid(), os.getppid()))
    conn.close()
    until_signalled(wakeup, signal.SIGTERM)


if __name__ == "__main__":
    how = sys.argv[1]
    if how == "popen":
        p = subprocess.Popen(
            [sys.executable, "-c", GRANDCHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        line = p.stdout.readline()
        assert line.startswith("ready "), line
        pid, ppid = map(int, line.split()[1:])
        stop, finish = p.send_signal, p.wait
    else:
        ctx = multiprocessing.get_context(how)
        ours, theirs = ctx.Pipe()
        p = ctx.Process(target=worker, args=(theirs,))
        p.start()
        pid, ppid = ours.recv()
        stop = lambda sig: os.kill(p.pid, sig)
        finish = lambda: (p.join(), p.exitcode)[1]
    wakeup = wakeup_fd()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop(signal.SIGTERM))
    print(f"grandchild {pid} {ppid}", flush=True)
    until_signalled(wakeup, signal.SIGTERM)  # relayed: now the grandchild ends
    print(f"grandchild exit {finish()}", flush=True)
'''

RELAY_TEST = """
import signal

def test_relay(spawn, signal_log, send_signal):
    proc = spawn("child.py", HOW)
    pid, ppid = map(int, proc.expect(r"grandchild (\\d+) (\\d+)\\r?\\n").groups())
    send_signal(signal.SIGTERM, to=proc)
    proc.expect(r"grandchild exit 3\\r?\\n")
    assert proc.wait() == 0, proc.output
    handled = [e for e in signal_log.filter("handled", signal.SIGTERM) if e.pid == pid]
    assert handled and handled[0].handler.endswith("on_term"), signal_log.timeline()
    assert handled[0].parent == ppid, signal_log.timeline()
    started = [e for e in signal_log if e.kind == "started" and e.pid == pid]
    assert len(started) == 1 and started[0].parent == ppid, signal_log.timeline()
    if HOW in ("popen", "spawn"):
        assert ppid == proc.pid
    events = list(signal_log)
    first = min(i for i, e in enumerate(events) if e.pid == pid)
    assert events[first].kind == "started", signal_log.timeline()
"""


@pytest.mark.parametrize("start", ["forkserver", "exec"])
@pytest.mark.parametrize("how", [*_methods(), pytest.param("popen", id="popen")])
def test_a_grandchild_reports_its_handler_and_parent(pytester: pytest.Pytester, run, how: str, start: str) -> None:
    """The child's start (forked from the plugin's template, or exec'd) and the grandchild's."""
    if start == "forkserver" and not sys.platform.startswith("linux"):
        pytest.skip("the plugin's fork server runs on Linux")
    pytester.makepyfile(child=CHILD)
    pytester.makepyfile(test_relay=f"HOW = {how!r}\n" + RELAY_TEST)
    result = run(f"--signal-start-method={start}")
    result.assert_outcomes(passed=1)


def test_descendants_false_leaves_the_grandchild_alone(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(child=CHILD)
    pytester.makepyfile(
        test_off="""
        import signal

        def test_off(spawn, signal_log, send_signal):
            proc = spawn("child.py", "popen", descendants=False)
            pid, _ = map(int, proc.expect(r"grandchild (\\d+) (\\d+)\\r?\\n").groups())
            send_signal(signal.SIGTERM, to=proc)
            proc.expect(r"grandchild exit 3\\r?\\n")
            assert proc.wait() == 0
            assert [e for e in signal_log if e.pid == pid] == [], signal_log.timeline()
        """
    )
    run().assert_outcomes(passed=1)


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_descendants_must_be_a_bool(pytester: pytest.Pytester, run, value: object) -> None:
    pytester.makepyfile(child="pass\n")
    pytester.makepyfile(
        test_bad=f"""
        import pytest

        def test_bad(spawn):
            with pytest.raises(TypeError, match=r"spawn\\(descendants={value!r}\\): descendants must be True or False"):
                spawn("child.py", descendants={value!r})
        """
    )
    run().assert_outcomes(passed=1)


# -- transparency ----------------------------------------------------------------------

# What a process sees of itself, one line per item (its fds but the
# instrumentation's channel, which lives high and close-on-exec, as in the
# child: see the docs; an fd of ours leaked into it would be inheritable).
SELF_REPORT = r"""
import os, signal, sys
def self_report(out):
    lines = []
    lines.append("environ " + repr(sorted(os.environ.items())))
    lines.append("path " + repr(sys.path))
    lines.append("modules " + repr(sorted(m for m in sys.modules if not m.startswith("pytest_signals"))))
    lines.append("leaked " + repr(sorted(m for m in sys.modules if m.startswith("pytest_signals"))))
    finders = [f"{type(f).__module__}.{type(f).__qualname__}" for f in sys.meta_path]
    # The instrumentation's import hook (asyncio's patching) is on the meta path
    # until asyncio is imported, in the grandchild as in the child: the one known difference.
    lines.append("meta_path " + repr([f for f in finders if not f.startswith("pytest_signals.")]))
    lines.append("argv " + repr(sys.argv) + " " + repr(getattr(sys, "orig_argv", None)))
    lines.append("flags " + repr(sys.flags))
    handlers = []
    for s in sorted(signal.valid_signals()):
        try:
            h = signal.getsignal(s)
        except (OSError, ValueError):
            continue
        handlers.append((int(s), h if h in (signal.SIG_DFL, signal.SIG_IGN, None) else getattr(h, "__qualname__", "?")))
    lines.append("dispositions " + repr(handlers))
    lines.append("mask " + repr(sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, []))))
    limit = min(os.sysconf("SC_OPEN_MAX"), 1024)
    fds = []
    for fd in range(limit):
        try:
            inheritable = os.get_inheritable(fd)
        except OSError:
            continue
        if fd == limit - 16 and not inheritable:
            continue  # an instrumented process's channel (the child has one there too)
        fds.append((fd, inheritable))
    lines.append("fds " + repr(fds))
    lines.append("hooks " + repr([getattr(os, n).__name__ for n in ("execv", "execve", "posix_spawn")]))
    out.write("".join(f"{how}: {line}\n" for line in lines))
    out.flush()
"""

TRANSPARENCY_CHILD = (
    r"""
import multiprocessing, os, subprocess, sys
how = sys.argv[1]
"""
    + SELF_REPORT
    + r"""
def worker():
    self_report(sys.stdout)

if __name__ == "__main__":
    if how == "popen":
        code = "how = 'popen'\n" + SELF_REPORT_SOURCE + "\nself_report(sys.stdout)\nprint('tail', flush=True)\n"
        done = subprocess.run([sys.executable, "-c", code])
        print(f"status {done.returncode}", flush=True)
    else:
        p = multiprocessing.get_context(how).Process(target=worker)
        p.start()
        p.join()
        print(f"status {p.exitcode}", flush=True)
"""
)

TRANSPARENCY_TEST = """
import os, subprocess, sys

def test_same(spawn):
    on = spawn("child.py", HOW)
    on.wait()
    off = spawn("child.py", HOW, descendants=False)
    off.wait()
    # spawn's child gets os.environ (not the C environ, where readline, imported
    # by pytest here, has set LINES and COLUMNS): the plain run gets the same.
    plain = subprocess.run([sys.executable, "child.py", HOW], capture_output=True, text=True, env=dict(os.environ))
    assert (on.returncode, off.returncode, plain.returncode) == (0, 0, 0), (on.stderr, plain.stderr)
    assert on.stderr == off.stderr == plain.stderr == ""
    # The child's own import path has the test's entries (spawn's promise):
    # a grandchild that multiprocessing hands it to differs there from a plain run's.
    inherits_path = HOW != "popen"
    def lines(text, drop_path):
        return [l for l in text.splitlines() if not (drop_path and l.startswith(HOW + ": path "))]
    def differences(a, b):
        drop = inherits_path and b is plain.stdout
        a, b = lines(a, drop), lines(b, drop)
        out = []
        for x, y in zip(a, b):
            if x != y:
                x_items, y_items = x.split(" ", 2)[-1], y.split(" ", 2)[-1]
                try:
                    x_set, y_set = set(eval(x_items)), set(eval(y_items))
                    name = x.split(" ")[1]
                    out.append((name, "only with the plugin:", x_set - y_set, "only without:", y_set - x_set))
                except Exception:
                    out.append((x, y))
        return out + ([] if len(a) == len(b) else [("lines", len(a), len(b))])
    assert differences(on.stdout, off.stdout) == []
    assert differences(on.stdout, plain.stdout) == []
    assert f"{HOW}: leaked []" in on.stdout
"""


def _transparency_cases() -> list[object]:
    return [*_methods(), pytest.param("popen", id="popen")]


@pytest.mark.parametrize("how", _transparency_cases())
def test_the_grandchild_sees_what_it_sees_without_the_plugin(pytester: pytest.Pytester, run, how: str) -> None:
    """Environment, sys.path, sys.modules, meta path, argv, flags, dispositions,
    mask, fds, exec functions' names, output and exit status of the grandchild
    (a fork's, a forkserver's or a spawned worker, a Popen'd interpreter):
    the same instrumented, not instrumented, and under a plain subprocess.run."""
    source = TRANSPARENCY_CHILD.replace("SELF_REPORT_SOURCE", repr(SELF_REPORT))
    pytester.makepyfile(child=source)
    pytester.makepyfile(test_same=f"HOW = {how!r}\n" + TRANSPARENCY_TEST)
    run().assert_outcomes(passed=1)


# -- hostile children ------------------------------------------------------------------

HOSTILE_CHILD = (
    r"""
import os, signal, subprocess, sys
how = sys.argv[1]
"""
    + SELF_REPORT
    + r"""
code = "how = 'gc'\n" + SELF_REPORT_SOURCE + "\nself_report(sys.stdout)\n"
python = sys.executable
subprocess.run([python, "-c", "pass"])  # a control: the exec hook is live in this child
if how == "env={}":
    subprocess.run([python, "-c", code], env={})
elif how == "pass_fds=()":
    keep = os.open(os.devnull, os.O_RDONLY)  # an fd of the program's, not passed
    subprocess.run([python, "-c", code], close_fds=True, pass_fds=())
elif how == "close_fds=False":  # posix_spawn where the platform has it
    subprocess.run([python, "-c", code], close_fds=False)
elif how in ("-I", "-E", "-S", "-Esc"):
    subprocess.run([python, how, "-c" if how != "-Esc" else code] + ([code] if how != "-Esc" else []))
elif how == "sh":  # a shell that execs Python: neither is ours to touch
    subprocess.run(["/bin/sh", "-c", 'exec "$0" -c "$1"', python, code])
elif how == "putenv":  # set in C only: inherited by exec, invisible in os.environ
    os.putenv("SET_IN_C_ONLY", "yes")
    subprocess.run([python, "-c", code + "print(os.environ.get('SET_IN_C_ONLY'))\n"])
elif how == "masked":  # an inherited signal mask and an ignored signal
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    subprocess.run([python, "-c", code])
elif how == "closed-channel":  # a daemon's closerange: our channel goes too
    os.closerange(3, 4096)
    subprocess.run([python, "-c", code])
elif how == "fork-execv":
    pid = os.fork()
    if pid == 0:
        os.execv(python, [python, "-c", code])
    os.waitpid(pid, 0)
elif how == "posix_spawnp":  # found by its name in this process's PATH (not the env it passes)
    os.environ["PATH"] = os.path.dirname(python) + os.pathsep + os.environ.get("PATH", "")
    env = dict(os.environ, PATH="/nonexistent-folder")
    pid = os.posix_spawnp(os.path.basename(python), [python, "-c", code], env)
    os.waitpid(pid, 0)
elif how == "posix_spawnp-elsewhere":  # PATH finds another program of that name first
    folder = os.path.abspath("elsewhere")
    os.makedirs(folder, exist_ok=True)
    other = os.path.join(folder, os.path.basename(python))
    with open(other, "w") as f:
        f.write("#!/bin/sh\necho another program\n")
    os.chmod(other, 0o755)
    os.environ["PATH"] = folder + os.pathsep + os.path.dirname(python)
    pid = os.posix_spawnp(os.path.basename(python), [python, "-c", code], dict(os.environ))
    os.waitpid(pid, 0)
elif how == "fork-execvp":
    pid = os.fork()
    if pid == 0:
        os.environ["PATH"] = os.path.dirname(python) + os.pathsep + os.environ.get("PATH", "")
        os.execvp(os.path.basename(python), [python, "-c", code])
    os.waitpid(pid, 0)
elif how == "nested":  # a grandchild that starts one of its own
    outer = "import subprocess, sys\nsubprocess.run([sys.executable, '-c', %r])\n" % code
    subprocess.run([python, "-c", outer])
print("done", flush=True)
"""
)

HOSTILE_TEST = """
import os, subprocess, sys

def test_hostile(spawn, signal_log):
    on = spawn("hostile.py", HOW)
    assert on.wait() == 0, on.stderr
    plain = subprocess.run([sys.executable, "hostile.py", HOW], capture_output=True, text=True, env=dict(os.environ))
    assert on.stderr == plain.stderr == ""
    assert on.stdout.splitlines() == plain.stdout.splitlines()
    control, *started = signal_log.filter("started")
    assert control.parent == on.pid, signal_log.timeline()
    assert len(started) == STARTED, signal_log.timeline()
    if STARTED:
        assert started[0].parent == on.pid, signal_log.timeline()
    if STARTED == 2:
        assert started[1].parent == started[0].pid, signal_log.timeline()
"""

HOSTILE = {
    "env={}": 1,  # an empty environment gets the bootstrap's variables, taken off again
    "pass_fds=()": 1,
    "close_fds=False": 1,
    "-I": 0,  # isolated mode ignores PYTHONPATH: not instrumented, left as it is
    "-E": 0,
    "-S": 0,  # no site, no sitecustomize
    "-Esc": 0,  # -E among combined options
    "sh": 0,
    "putenv": 1,
    "masked": 1,
    "closed-channel": 0,
    "fork-execv": 1,
    "posix_spawnp": 1,
    "posix_spawnp-elsewhere": 0,  # not this interpreter: its environment untouched
    "fork-execvp": 1,
    "nested": 2,
}


@pytest.mark.parametrize("how", list(HOSTILE))
def test_what_the_child_does_to_its_grandchild(pytester: pytest.Pytester, run, how: str) -> None:
    """Each way a child starts a Python grandchild: the grandchild's view of
    itself and the output are what a plain run gives, and it is instrumented
    exactly when its bootstrap can run and take everything off again."""
    source = HOSTILE_CHILD.replace("SELF_REPORT_SOURCE", repr(SELF_REPORT))
    pytester.makepyfile(hostile=source)
    pytester.makepyfile(test_hostile=f"HOW = {how!r}\nSTARTED = {HOSTILE[how]}\n" + HOSTILE_TEST)
    run().assert_outcomes(passed=1)


def test_a_child_that_execs_python_again_is_still_observed(pytester: pytest.Pytester, run) -> None:
    """A server that re-execs itself (a reload, a daemon's re-exec) keeps its
    pid: the new program's handler is reported as the child's, with no
    ``"started"`` event (it is not a new process), and a SIGTERM to it is
    answered by that handler."""
    pytester.makepyfile(
        reexec="""
        import os, signal, sys
        if sys.argv[1:] == ["again"]:
            def on_term(signum, frame):
                os.write(1, b"handled\\n")  # not print: it may run inside print("ready again")
                sys.exit(4)
            r, w = os.pipe()  # a wakeup fd: a SIGTERM that lands just before the wait still ends it
            os.set_blocking(w, False)
            signal.set_wakeup_fd(w)
            signal.signal(signal.SIGTERM, on_term)
            print("ready again", os.getpid(), flush=True)
            while True:
                os.read(r, 1)
        else:
            print("first", os.getpid(), flush=True)
            os.execv(sys.executable, [sys.executable, __file__, "again"])
        """
    )
    pytester.makepyfile(
        test_reexec="""
        import signal

        def test_reexec(spawn, signal_log, send_signal):
            proc = spawn("reexec.py")
            proc.expect(rf"ready again {proc.pid}\\r?\\n")
            proc.wait_for_handler(signal.SIGTERM)
            delivery = send_signal(signal.SIGTERM, to=proc)
            assert delivery.wait().outcome == "handled", signal_log.timeline()
            assert proc.wait() == 4
            assert signal_log.filter("started") == [], signal_log.timeline()
            handled = signal_log.filter("handled", signal.SIGTERM)
            assert [e.pid for e in handled] == [proc.pid], signal_log.timeline()
        """
    )
    run().assert_outcomes(passed=1)


ERRORS_CHILD = r"""
import os, subprocess, sys, traceback
python = sys.executable
calls = [
    lambda: os.execv(python, []),
    lambda: os.execv(python, [""]),
    lambda: os.execve(python, [python, "-c", "pass"], {"A": "x\0"}),
    lambda: os.posix_spawn(python, [python, "-c", "pass"], {"A": "x\0"}),
    lambda: os.posix_spawn(python, [python, "-c", "pass"], dict(os.environ), file_actions=[("bad",)]),
    lambda: subprocess.Popen([python, "-c", "pass"], cwd="/nonexistent-folder"),
    lambda: subprocess.Popen([python, "-c", "pass"], env={"A": "x\0"}),
]
for call in calls:
    try:
        call()
    except Exception as exc:
        files = [os.path.basename(f.filename) for f in traceback.extract_tb(exc.__traceback__)]
        print(type(exc).__name__, exc, files, flush=True)
os.execve(python, [python, "-c", "pass"], {"B": "y\0"})  # uncaught: the traceback Python prints
"""


def test_a_failing_exec_raises_what_it_raises_without_the_plugin(pytester: pytest.Pytester, run) -> None:
    """Errors from the wrapped calls: the same type, message and traceback
    (no frame of ours), caught and uncaught, as under a plain run."""
    pytester.makepyfile(errors=ERRORS_CHILD)
    pytester.makepyfile(
        test_errors="""
        import os, subprocess, sys

        def test_errors(spawn):
            on = spawn("errors.py")
            on.wait()
            plain = subprocess.run([sys.executable, "errors.py"], capture_output=True, text=True, env=dict(os.environ))
            assert on.returncode == plain.returncode == 1
            seen = on.stdout.splitlines()
            if sys.version_info < (3, 11):
                # 3.10 adds the wrapper's frame again on a bare re-raise: a
                # caught error's traceback shows it (the docs say so).
                seen = [line.replace(", 'exec_hook.py'", "") for line in seen]
            assert seen == plain.stdout.splitlines()
            assert len(on.stdout.splitlines()) == 7
            assert on.stderr == plain.stderr
            assert "exec_hook" not in on.stderr
            assert ("exec_hook" in on.stdout) is (sys.version_info < (3, 11))
        """
    )
    run().assert_outcomes(passed=1)


def test_uvicorn_workers_report_their_handlers(pytester: pytest.Pytester, run) -> None:
    """uvicorn ``--workers 2``: the master starts its workers with
    multiprocessing's spawn method and, on SIGTERM, terminates them; each
    worker's own handler for it runs, as the log shows (with the master's
    pid as each worker's parent)."""
    pytest.importorskip("uvicorn")
    pytester.makepyfile(
        app="""
        async def app(scope, receive, send):
            if scope["type"] == "lifespan":
                while True:
                    message = await receive()
                    if message["type"] == "lifespan.startup":
                        await send({"type": "lifespan.startup.complete"})
                    elif message["type"] == "lifespan.shutdown":
                        await send({"type": "lifespan.shutdown.complete"})
                        return
        """
    )
    pytester.makepyfile(
        test_uvicorn="""
        import signal

        def test_workers(spawn, signal_log, send_signal):
            proc = spawn("uvicorn", "app:app", "--workers", "2", "--host", "127.0.0.1", "--port", "0")
            # Each worker says so once its handlers are in place.
            proc.expect_count(r"Application startup complete\\.\\r?\\n", 2)
            tree = {e.pid: e.parent for e in signal_log.filter("started")}
            # (multiprocessing's resource tracker is in the tree too, SIGTERM ignored)
            installed = signal_log.filter("installed", signal.SIGTERM)
            workers = {e.pid for e in installed if e.pid in tree and e.handler.endswith("handle_exit")}
            assert len(workers) == 2, signal_log.timeline()
            assert all(tree[pid] == proc.pid for pid in workers), signal_log.timeline()
            send_signal(signal.SIGTERM, to=proc)
            assert proc.wait(timeout=30) == 0, proc.output
            handled = {e.pid for e in signal_log.filter("handled", signal.SIGTERM) if e.handler.endswith("handle_exit")}
            assert workers <= handled, signal_log.timeline()
        """
    )
    run().assert_outcomes(passed=1)


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="no forkserver start method")
def test_the_forkserver_start_methods_server_is_instrumented(pytester: pytest.Pytester, run) -> None:
    """multiprocessing's fork server (CPython 3.14's default start method on
    Linux) is a Python process started by exec: it reports in, with the child
    as its parent, and its own handlers (SIGCHLD, SIGINT ignored) are in the log."""
    pytester.makepyfile(
        fs="""
        import multiprocessing

        def work():
            pass

        if __name__ == "__main__":
            p = multiprocessing.get_context("forkserver").Process(target=work)
            p.start()
            p.join()
            print("exit", p.exitcode, flush=True)
        """
    )
    pytester.makepyfile(
        test_fs="""
        import signal

        def test_fs(spawn, signal_log):
            proc = spawn("fs.py")
            assert proc.wait() == 0
            assert "exit 0" in proc.stdout
            tree = {e.pid: e.parent for e in signal_log.filter("started")}
            servers = {  # (the server's forks, the workers, put SIGCHLD back to SIG_DFL)
                e.pid
                for e in signal_log.filter("installed", signal.SIGCHLD)
                if e.pid in tree and e.handler != "SIG_DFL"
            }
            assert len(servers) == 1, signal_log.timeline()
            server = servers.pop()
            assert tree[server] == proc.pid
            ignored = [e for e in signal_log.filter("installed", signal.SIGINT) if e.pid == server]
            assert ignored and ignored[0].handler == "SIG_IGN", signal_log.timeline()
        """
    )
    run().assert_outcomes(passed=1)
