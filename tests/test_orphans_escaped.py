"""No orphan outlives the test, not even one that left the child's session
and group (``setsid``, a daemon's double fork): the fork server's template is
a child subreaper, adopts them, and kills them at teardown and when pytest
dies (``_remote/subreaper.py``). ``proc.descendants()`` shows the tree and
``proc.assert_no_orphans()`` makes it an assertion."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys

import pytest
from test_orphans import _kill_left, sigkill_pytest_and_wait_gone

from pytest_signals import Descendant
from pytest_signals._children.tree import parse_ps
from pytest_signals._remote import subreaper

linux_only = pytest.mark.skipif(
    not hasattr(os, "pidfd_open") or not sys.platform.startswith("linux"),
    reason="the subreaper and pidfds are Linux's (macOS: see 'No orphans' in the docs)",
)

# The daemon locks daemon.lock for as long as it lives: the outer test tries
# the lock once the inner session has ended, with nothing to wait for.
# Its command line carries a marker (a forked child shows the template's).
DAEMON_PROGRAM = """
import os, signal, subprocess, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
r, w = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:  # the daemon: not a session leader, its parent gone
        os.close(r)
        os.dup2(w, 1)
        os.execv(sys.executable, [sys.executable, "-c", DAEMON_CODE, "daemon-marker"])
    os._exit(0)
os.close(w)
with os.fdopen(r) as reader:
    print(reader.readline().strip(), "up", flush=True)
if sys.argv[1:] == ["stay"]:
    while True:
        signal.pause()
"""
LOCKING = (
    "import fcntl, os, signal, sys; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "f = open('daemon.lock', 'w'); fcntl.flock(f, fcntl.LOCK_EX); f.write(str(os.getpid())); f.flush(); "
    "print('daemon', os.getpid(), flush=True); os.close(1); signal.pause()"
)
DAEMON = DAEMON_PROGRAM.replace("DAEMON_CODE", repr(LOCKING))

# A grandchild that calls setsid while its parent, the child, still runs.
SETSID_GRANDCHILD = """
import os, signal, subprocess, sys
grandchild = subprocess.Popen(
    [sys.executable, "-c",
     "import fcntl, os, signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
     "f = open('daemon.lock', 'w'); fcntl.flock(f, fcntl.LOCK_EX); f.write(str(os.getpid())); f.flush(); "
     "print('daemon', os.getpid(), flush=True); signal.pause()", "daemon-marker"],
    start_new_session=True, stdout=subprocess.PIPE, text=True,
)
print(grandchild.stdout.readline().strip(), "up", flush=True)
while True:
    signal.pause()
"""

LEAVE_IT = """
def test_leaves_a_daemon(spawn):
    proc = spawn("app.py", *ARGS)
    proc.expect(r"daemon \\d+ up\\n")
"""


def _lock_held(path: str) -> bool:
    """Whether a live process holds the daemon's lock (a dead one's is released)."""
    with open(path, "a") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True


def _stop_survivor(path: str) -> None:
    """What the code before this feature left running: the daemon whose pid
    is in its lock file, through a pidfd, once its command line proves it is."""
    with open(path) as file:
        pid = int(file.read())
    fd = os.pidfd_open(pid)
    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        ours = b"daemon-marker" in cmdline.read()
    if ours:
        _kill_left({fd: pid})
    else:
        os.close(fd)


@linux_only
@pytest.mark.parametrize(
    ("program", "args"),
    [(DAEMON, ()), (DAEMON, ("stay",)), (SETSID_GRANDCHILD, ())],
    ids=["double fork, the child exited", "double fork, the child runs", "setsid grandchild"],
)
def test_an_escaped_descendant_is_stopped_at_teardown_and_named(
    pytester: pytest.Pytester, run, program: str, args: tuple[str, ...]
) -> None:
    pytester.makepyfile(app=program, test_leave=LEAVE_IT.replace("*ARGS", repr(args)[1:-1] or ""))
    result = run("-s", "--signal-start-method=forkserver")
    lock = str(pytester.path / "daemon.lock")
    held = _lock_held(lock)
    if held:
        _stop_survivor(lock)
    assert not held, f"the daemon outlived the test session:\n{result.stdout.str()}"
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*pytest-signals: processes stopped at teardown*",
            "test_leave.py::test_leaves_a_daemon: pid * (* -c * daemon-marker), an orphan of the processes "
            "this test spawned (it had left their session and its parent had ended), was still running: SIGKILL",
        ]
    )


HANG = """
import sys, threading

def test_leaves_a_daemon_and_hangs(spawn):
    proc = spawn("app.py")
    match = proc.expect(r"daemon (\\d+) up\\n")
    sys.stdout.write(f"\\nPIDS {proc.pid} {match.group(1)} READY\\n")
    sys.stdout.flush()
    threading.Event().wait(60)  # the outer test kills pytest long before
"""


@linux_only
def test_sigkilled_pytest_leaves_no_escaped_daemon(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(app=DAEMON, test_hang=HANG)

    def watched(line: bytes) -> list[int]:
        daemon = int(line.split()[2])
        assert os.getsid(daemon) != int(line.split()[1]), "the daemon left the child's session"
        return [daemon]

    sigkill_pytest_and_wait_gone(pytester, ["--signal-start-method=forkserver"], watched)


# -- descendants() and assert_no_orphans() -------------------------------------------

THREE_LEVELS = """
import os, signal, subprocess, sys
code = (
    "import os, signal, subprocess, sys; "
    "p = subprocess.Popen([sys.executable, '-c', 'import os, signal; print(os.getpid(), flush=True); "
    "signal.pause()', 'level-3'], stdout=subprocess.PIPE, text=True); "
    "print(os.getpid(), p.stdout.readline().strip(), flush=True); signal.pause()"
)
middle = subprocess.Popen([sys.executable, "-c", code, "level-2"], stdout=subprocess.PIPE, text=True)
print("tree", os.getpid(), middle.stdout.readline().strip(), flush=True)
signal.pause()
"""

TEST_TREE = """
from pytest_signals import Descendant

def test_the_tree(spawn):
    proc = spawn("tree.py")
    match = proc.expect(r"tree (\\d+) (\\d+) (\\d+)\\n")
    child, middle, last = (int(g) for g in match.groups())
    assert child == proc.pid
    found = proc.descendants()
    assert all(isinstance(d, Descendant) for d in found)
    assert [(d.pid, d.parent, d.orphan) for d in found] == [(middle, child, False), (last, middle, False)]
    assert found[0].command.endswith("level-2") and found[1].command.endswith("level-3"), found
"""


@linux_only
def test_descendants_shows_three_levels_with_parents_and_command_lines(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(tree=THREE_LEVELS, test_tree=TEST_TREE)
    run().assert_outcomes(passed=1)


CLEAN = """
import subprocess, sys
subprocess.run([sys.executable, "-c", "pass"], check=True)
print("done", flush=True)
"""

TEST_ASSERT = """
import pathlib
import pytest

@pytest.fixture
def pytester_path():
    return pathlib.Path.cwd()

def test_a_clean_program(spawn):
    proc = spawn("clean.py")
    assert proc.wait() == 0
    proc.assert_no_orphans()
    assert proc.descendants() == []

def test_a_daemon(spawn):
    proc = spawn("app.py")
    match = proc.expect(r"daemon (\\d+) up\\n")
    assert proc.wait() == 0
    [orphan] = proc.descendants()
    assert orphan.pid == int(match.group(1)) and orphan.orphan
    with pytest.raises(AssertionError) as failure:
        proc.assert_no_orphans(timeout=0.2)
    message = str(failure.value)
    assert f"pid {orphan.pid} (parent " in message, message
    assert "daemon-marker" in message and "0.2s later" in message, message
    proc.assert_no_survivors()  # its session is empty: only the new check sees the daemon

def test_while_it_runs(spawn, pytester_path):
    (pytester_path / "second").mkdir()
    proc = spawn(str(pytester_path / "app.py"), "stay", cwd=pytester_path / "second")
    proc.expect(r"daemon \\d+ up\\n")
    with pytest.raises(RuntimeError, match="still runs"):
        proc.assert_no_orphans()
    proc.stop()
    with pytest.raises(ValueError, match="timeout"):
        proc.assert_no_orphans(timeout=-1)
"""


@linux_only
def test_assert_no_orphans_passes_for_a_clean_program_and_names_the_daemon(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(clean=CLEAN, app=DAEMON, test_assert=TEST_ASSERT)
    result = run("--signal-start-method=forkserver")
    for lock in (pytester.path / "daemon.lock", pytester.path / "second" / "daemon.lock"):
        if lock.exists() and _lock_held(str(lock)):
            _stop_survivor(str(lock))
    result.assert_outcomes(passed=3)


# -- hostile programs ------------------------------------------------------------------

# It reaps every child it has, and SIGCHLD is ignored (children reap themselves).
REAPER = DAEMON.replace(
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n",
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\nsignal.signal(signal.SIGCHLD, signal.SIG_IGN)\n",
).replace(
    'if sys.argv[1:] == ["stay"]:',
    "try:\n    while True:\n        os.wait()\nexcept ChildProcessError:\n    pass\nif False:",
)


@linux_only
def test_a_program_that_reaps_its_children_still_leaves_no_daemon_and_a_stranger_lives(
    pytester: pytest.Pytester, run
) -> None:
    assert REAPER != DAEMON
    pytester.makepyfile(app=REAPER, test_leave=LEAVE_IT.replace("*ARGS", ""))
    stranger = subprocess.Popen(["sleep", "600"], start_new_session=True)  # not the test's: never signalled
    try:
        result = run("-s", "--signal-start-method=forkserver")
        lock = str(pytester.path / "daemon.lock")
        held = _lock_held(lock)
        if held:
            _stop_survivor(lock)
        assert not held, f"the daemon outlived the test session:\n{result.stdout.str()}"
        assert stranger.poll() is None, "the plugin signalled a process that is not the test's"
        result.assert_outcomes(passed=1)
    finally:
        stranger.kill()
        stranger.wait()


# -- the pure parts --------------------------------------------------------------------


def test_tree_lists_parents_before_children_and_skips_zombies() -> None:
    table = {10: (1, "S"), 11: (10, "S"), 12: (11, "R"), 13: (10, "Z"), 14: (13, "S"), 20: (1, "S")}
    assert subreaper.tree([10], table) == [(11, 10), (12, 11)]
    assert subreaper.tree([13], table) == [(14, 13)]
    assert subreaper.tree([99], table) == []


def test_adopted_reads_every_processs_parent_not_the_children_files() -> None:
    # /proc/<pid>/task/<tid>/children can skip a live child while another
    # exits (proc_tid_children(5)); the parent of every process cannot.
    table = {10: (5, "S"), 11: (5, "Z"), 12: (5, "S"), 13: (6, "S"), 5: (1, "S")}
    assert subreaper.adopted(5, {12}, table) == [10, 11]


def test_parse_ps_reads_the_tree_below_the_root() -> None:
    text = "  10     1 Ss   sh -c app\n  11    10 S    python worker.py --x\n  12    11 Z    \n  13     1 S    other\n"
    assert parse_ps(text, 10) == [Descendant(11, 10, "python worker.py --x")]


def test_a_descendant_reads_well() -> None:
    assert str(Descendant(5, 4, "")) == "pid 5 (parent 4): ?"
    assert str(Descendant(5, 4, "sleep 1", orphan=True)) == "pid 5 (parent 4): sleep 1"


# -- a recycled pid is never signalled ---------------------------------------------------

# A daemon that ends when its stdin does (the child's, inherited).
SHORT_DAEMON = DAEMON_PROGRAM.replace(
    "DAEMON_CODE", repr("import os, sys; print('daemon', os.getpid(), flush=True); os.close(1); sys.stdin.read()")
)

# In a pid namespace of its own (see test_orphans.py): the orphan ends and the
# template reaps it; the driver starts an unrelated process with its pid; the
# tree must not show it, and teardown must not kill it.
RECYCLE_DRIVER = r"""
import os, select, subprocess, sys
from time import monotonic

def say(*words):
    print(*words, flush=True)

try:
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write("300")
except OSError as exc:
    say("DRIVER-SKIP cannot choose the next pid in the namespace:", exc)
    sys.exit(0)
os.mkfifo("recycled.fifo")
pytest_proc = subprocess.Popen(
    [sys.executable, "-m", "pytest", "-s", "-p", "no:cacheprovider", "--signal-start-method=forkserver",
     "test_recycled.py"],
    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
)
seen = b""
deadline = monotonic() + 60
while b"\nREAPED " not in seen or not seen.split(b"\nREAPED ", 1)[1].count(b"\n"):
    left = deadline - monotonic()
    if left <= 0 or not select.select([pytest_proc.stdout], [], [], left)[0]:
        say("DRIVER-FAIL no REAPED line within 60s:", seen.decode(errors="replace"))
        sys.exit(1)
    chunk = os.read(pytest_proc.stdout.fileno(), 4096)
    if not chunk:
        say("DRIVER-FAIL pytest ended first:", seen.decode(errors="replace"))
        sys.exit(1)
    seen += chunk
orphan = int(seen.split(b"\nREAPED ", 1)[1].split()[0])
with open("/proc/sys/kernel/ns_last_pid", "w") as f:
    f.write(str(orphan - 1))
stranger = subprocess.Popen(["sleep", "600"], start_new_session=True)
if stranger.pid != orphan:
    say("DRIVER-FAIL the unrelated process got pid", stranger.pid, "not the orphan's", orphan)
    sys.exit(1)
with open("recycled.fifo", "w") as fifo:
    fifo.write("go\n")
rest = pytest_proc.communicate(timeout=60)[0]
alive = os.waitid(os.P_PID, stranger.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
say("INNER", (seen + rest).decode(errors="replace"))
say("STRANGER", "ALIVE" if alive else "KILLED")
"""

TEST_RECYCLED = """
import os, select
from pytest_signals._children.fork_server import FORK_SERVER

def test_the_orphans_pid_is_recycled(spawn):
    fifo = os.open("recycled.fifo", os.O_RDONLY | os.O_NONBLOCK)
    proc = spawn("app.py")
    orphan = int(proc.expect(r"daemon (\\d+) up\\n").group(1))
    assert proc.wait() == 0
    assert [d.pid for d in proc.descendants()] == [orphan]
    pidfd = os.pidfd_open(orphan)
    proc.close_stdin()  # the daemon reads end of file and exits
    assert select.select([pidfd], [], [], 30)[0], "the daemon did not exit"
    assert FORK_SERVER.sweep(30) == []  # it was the template's: reaped now, nothing left to kill
    print(f"\\nREAPED {orphan}", flush=True)
    assert select.select([fifo], [], [], 60)[0], "the driver did not recycle the pid"
    assert os.read(fifo, 16) == b"go\\n"
    assert proc.descendants() == [], "the unrelated process is not the test's"
"""


@linux_only
def test_an_orphans_recycled_pid_is_neither_listed_nor_signalled(pytester: pytest.Pytester) -> None:
    from test_orphans import _pid_namespaces

    why_not = _pid_namespaces()
    if why_not is not None:
        pytest.skip(f"needs an unprivileged pid namespace: {why_not}")
    assert SHORT_DAEMON != DAEMON_PROGRAM
    pytester.makepyfile(driver=RECYCLE_DRIVER, app=SHORT_DAEMON, test_recycled=TEST_RECYCLED)
    command = ["unshare", "--pid", "--fork", "--user", "--map-root-user", "--mount-proc", sys.executable, "driver.py"]
    try:
        done = subprocess.run(command, cwd=pytester.path, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the driver did not finish within 120s; it printed:\n{exc.stdout!r}")
    printed = done.stdout + done.stderr
    if "DRIVER-SKIP" in printed:
        pytest.skip(printed.split("DRIVER-SKIP", 1)[1].strip())
    assert "DRIVER-FAIL" not in printed, printed
    assert "1 passed" in printed, printed
    assert "STRANGER ALIVE" in printed, printed


# -- waiting for and signalling a daemon found through its pidfile ----------------------

PIDFILE_APP = """
import os, signal, sys
r, w = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        wake_r, wake_w = os.pipe()  # a wakeup fd: a SIGTERM that lands just before the wait still ends it
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        with open("app.pid", "w") as f:
            f.write(str(os.getpid()))
        os.write(w, b"x")
        while True:
            os.read(wake_r, 1)
    os._exit(0)
os.close(w)
os.read(r, 1)
print("started", flush=True)
"""

TEST_PIDFILE = """
import os, signal
import pytest
from pytest_signals import WaitFailed

def test_the_daemon_is_waited_for_and_signalled(spawn, send_signal):
    proc = spawn("pidapp.py")
    proc.expect("started\\n")
    assert proc.wait() == 0
    with open("app.pid") as f:
        daemon = int(f.read())
    with pytest.raises(WaitFailed, match=f"pid {daemon} .*a descendant of pid {proc.pid}, to end; it still runs"):
        proc.wait_descendant(daemon, timeout=0.1)
    send_signal(signal.SIGTERM, to=daemon)
    proc.wait_descendant(daemon, timeout=10)
    assert proc.descendants() == []

def test_a_stranger_is_refused_with_the_reason(spawn, send_signal):
    stranger = int(os.environ["STRANGER"])
    proc = spawn("pidapp.py")
    proc.expect("started\\n")
    with pytest.raises(ValueError, match=f"pid {stranger} is not a process of pid {proc.pid}'s tree: .*{stranger} -> "):
        proc.wait_descendant(stranger)
    refused = f"to={stranger} is not a process this test started .*parent chain \\\\({stranger} -> "
    with pytest.raises(ValueError, match=refused):
        send_signal(signal.SIGTERM, to=stranger)
    with pytest.raises(ValueError, match="itself: use wait"):
        proc.wait_descendant(proc.pid)
    with pytest.raises(ValueError, match="a positive int"):
        proc.wait_descendant("12")
"""


@linux_only
def test_a_pidfile_daemon_is_waited_for_and_signalled_and_a_stranger_refused(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(pidapp=PIDFILE_APP, test_pidfile=TEST_PIDFILE)
    stranger = subprocess.Popen(["sleep", "600"], start_new_session=True)  # the outer test's, not the inner's
    try:
        monkeypatch.setenv("STRANGER", str(stranger.pid))
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--signal-start-method=forkserver")
        assert stranger.poll() is None, "the stranger was signalled"
    finally:
        stranger.kill()
        stranger.wait()
    result.assert_outcomes(passed=2)


# The daemon may end before wait_descendant looks (right after the SIGTERM):
# a zombie not reaped yet, or an orphan the template has reaped already. Each
# case is made certain here: the template stopped, or its sweep waited for.
ZOMBIE_GRANDCHILD = """
import os, signal
if os.fork() == 0:
    r, w = os.pipe()  # a wakeup fd: a SIGTERM that lands just before the wait still ends it
    os.set_blocking(w, False)
    signal.set_wakeup_fd(w)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print("grandchild", os.getpid(), flush=True)
    while True:
        os.read(r, 1)
while True:  # never reaps it: it stays a zombie
    signal.pause()
"""

TEST_ENDED = """
import os, select, signal
from pytest_signals._children.fork_server import FORK_SERVER

def _daemon(spawn):
    proc = spawn("pidapp.py")
    proc.expect("started\\n")
    assert proc.wait() == 0
    with open("app.pid") as f:
        daemon = int(f.read())
    return proc, daemon, os.pidfd_open(daemon)

def test_a_zombie_of_the_childs_own_tree(spawn, send_signal):
    proc = spawn("zombie.py")
    grandchild = int(proc.expect(r"grandchild (\\d+)\\n").group(1))
    pidfd = os.pidfd_open(grandchild)
    send_signal(signal.SIGTERM, to=grandchild)
    assert select.select([pidfd], [], [], 30)[0], "the grandchild did not end"
    proc.wait_descendant(grandchild, timeout=10)
    assert proc.descendants() == []

def test_an_adopted_orphan_not_reaped_yet(spawn, send_signal, monkeypatch):
    proc, daemon, pidfd = _daemon(spawn)
    monkeypatch.setattr(FORK_SERVER, "resume_if_stopped", lambda child=None: None)  # it stays stopped
    os.kill(FORK_SERVER.pid, signal.SIGSTOP)  # it cannot reap the daemon meanwhile
    try:
        send_signal(signal.SIGTERM, to=daemon)
        assert select.select([pidfd], [], [], 30)[0], "the daemon did not end"
        with open(f"/proc/{daemon}/stat") as f:
            assert f.read().rpartition(")")[2].split()[0] == "Z"
        proc.wait_descendant(daemon, timeout=10)
    finally:
        os.kill(FORK_SERVER.pid, signal.SIGCONT)

def test_an_adopted_orphan_reaped_already(spawn, send_signal):
    proc, daemon, pidfd = _daemon(spawn)
    send_signal(signal.SIGTERM, to=daemon)
    assert select.select([pidfd], [], [], 30)[0], "the daemon did not end"
    assert FORK_SERVER.sweep(30) == []  # reaped by now, by the sweep if not before
    try:
        signal.pidfd_send_signal(pidfd, 0)
        raise AssertionError("the daemon was not reaped")
    except ProcessLookupError:
        pass
    proc.wait_descendant(daemon, timeout=10)

def test_another_childs_process_is_refused_with_the_true_reason(spawn):
    import pytest

    first = spawn("zombie.py")
    grandchild = int(first.expect(r"grandchild (\\d+)\\n").group(1))
    second = spawn("zombie.py")
    second.expect(r"grandchild \\d+\\n")
    chain = rf"\\({grandchild} -> {first.pid} -> {FORK_SERVER.pid} -> [^)]*\\) reaches the fork server's template"
    with pytest.raises(ValueError, match=chain):
        second.wait_descendant(grandchild)
"""


@linux_only
def test_a_descendant_that_ended_before_wait_descendant_looked_is_waited_for_and_another_childs_refused(
    pytester: pytest.Pytester, run
) -> None:
    pytester.makepyfile(pidapp=PIDFILE_APP, zombie=ZOMBIE_GRANDCHILD, test_ended=TEST_ENDED)
    run("--signal-start-method=forkserver").assert_outcomes(passed=4)


# -- a daemon that supervises workers, each in a session of its own ------------------

SUPERVISOR = """
import fcntl, os, signal
f = open("daemon.lock", "w")
fcntl.flock(f, fcntl.LOCK_EX)  # its workers share the lock: it is free once every one is dead
f.write(str(os.getpid()))
f.flush()

def worker():
    pid = os.fork()
    if pid == 0:
        os.setsid()
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            signal.pause()
    return pid

workers = {worker() for _ in range(3)}
print("daemon", os.getpid(), flush=True)
os.close(1)
while True:  # a dead worker is replaced at once
    pid, _ = os.wait()
    workers.discard(pid)
    workers.add(worker())
"""


@linux_only
def test_a_supervising_daemon_and_its_escaped_workers_are_all_stopped(pytester: pytest.Pytester, run) -> None:
    app = DAEMON_PROGRAM.replace("DAEMON_CODE", repr("import runpy; runpy.run_path('supervisor.py')"))
    pytester.makepyfile(app=app, supervisor=SUPERVISOR, test_leave=LEAVE_IT.replace("*ARGS", ""))
    result = run("--signal-start-method=forkserver")
    lock = str(pytester.path / "daemon.lock")
    held = _lock_held(lock)
    if held:
        _stop_survivor(lock)
    assert not held, f"a process of the daemon's tree outlived the session:\n{result.stdout.str()}"
    result.assert_outcomes(passed=1)
    stopped = [line for line in result.stdout.lines if "an orphan of the processes this test spawned" in line]
    assert len(stopped) >= 4, result.stdout.str()  # the supervisor and its three workers, at least


@linux_only
def test_the_reason_for_a_stranger_names_its_parent_chain() -> None:
    from pytest_signals._children.tree import in_forked_tree, parent_chain, why_not_ours

    chain = parent_chain(os.getpid())
    assert chain[:1] == [os.getppid()]
    assert why_not_ours(os.getpid()).startswith(f"no process of its parent chain ({os.getpid()} -> {os.getppid()}")
    assert not in_forked_tree(os.getpid())
    assert why_not_ours(1) == "pid 1's parents cannot be read here"
