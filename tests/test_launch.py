"""How a child is launched: the process model it meets (a plain child, a
service, a terminal's job, pid 1), and what programs that look at it do."""

from __future__ import annotations

import os
import shutil
import sys

import pytest
from test_orphans import FAMILY, HANG, TEST_FAMILY, sigkill_pytest_and_wait_gone

from pytest_signals._children.spawn import launch_mode

plain_children = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not hasattr(os, "pidfd_open"),
    reason="a plain child needs the fork server's template as a subreaper (Linux 5.3+)",
)
START_METHODS = pytest.mark.parametrize("start", ["forkserver", "exec"])

SUPERVISOR = """
import os, signal, subprocess, sys
os.setpgrp()  # the supervisor's own group, so that it can stop its tree with killpg(0)
worker = subprocess.Popen([sys.executable, "-c", "import signal; print('worker up', flush=True); signal.pause()"],
                          stdout=subprocess.PIPE, text=True)
worker.stdout.readline()
wake_r, wake_w = os.pipe()
os.set_blocking(wake_w, False)
signal.set_wakeup_fd(wake_w)
signal.signal(signal.SIGTERM, lambda *a: None)
print("supervising", os.getpid(), os.getpgrp(), worker.pid, os.getppid(), flush=True)
os.read(wake_r, 1)
os.killpg(0, signal.SIGTERM)  # its whole tree: the worker, and itself (a handler that does nothing)
sys.exit(0 if worker.wait() == -signal.SIGTERM else 3)
"""

SETSID = """
import os, sys
before = (os.getpid() == os.getpgrp(), os.getpid() == os.getsid(0))
os.setsid()
print("setsid", before, os.getpid() == os.getsid(0) == os.getpgrp(), flush=True)
"""


def test_launch_mode_names_every_bad_value() -> None:
    assert launch_mode(None, False, False) == "plain"
    assert launch_mode(None, True, False) == "terminal"
    assert launch_mode("terminal", False, False) == "terminal"
    assert launch_mode("service", False, False) == "service"
    assert launch_mode(None, False, True) == "init"
    with pytest.raises(ValueError, match="'daemon'"):
        launch_mode("daemon", False, False)
    with pytest.raises(TypeError, match="launch=3"):
        launch_mode(3, False, False)
    with pytest.raises(ValueError, match=r"tty=True, launch='plain'"):
        launch_mode("plain", True, False)
    with pytest.raises(ValueError, match=r"as_init=True, launch='service'"):
        launch_mode("service", False, True)


@plain_children
@START_METHODS
def test_a_supervisor_calls_setpgrp_and_setsid_as_under_popen(pytester: pytest.Pytester, run, start: str) -> None:
    """Under subprocess.Popen both succeed; a spawned child used to lead its
    session, where both raise PermissionError."""
    pytester.makepyfile(supervisor=SUPERVISOR, setsid_prog=SETSID)
    pytester.makepyfile(
        test_launch="""
        import os, signal, sys
        from pytest_signals._children.fork_server import FORK_SERVER

        def test_supervisor(spawn, send_signal):
            proc = spawn("supervisor.py")
            assert proc.launch == "plain"
            pid, group, worker, parent = map(int, proc.expect(r"supervising (\\d+) (\\d+) (\\d+) (\\d+)\\n").groups())
            assert pid == group == proc.pid, "setpgrp made it a group of its own"
            assert parent == FORK_SERVER.pid, "its parent is the template from its first instruction"
            assert os.getsid(worker) == os.getsid(proc.pid) != proc.pid
            send_signal(signal.SIGTERM, to=proc)
            assert proc.wait() == 0, proc.output

        def test_setsid(spawn):
            proc = spawn("setsid_prog.py")
            assert proc.wait() == 0, proc.output
            assert proc.stdout == "setsid (False, False) True\\n"

        def test_a_command_too(spawn):
            proc = spawn(["sh", "-c", "echo $$ $PPID"])
            assert proc.wait() == 0
            pid, parent = map(int, proc.stdout.split())
            assert (pid, parent) == (proc.pid, FORK_SERVER.pid)
        """
    )
    run(f"--signal-start-method={start}").assert_outcomes(passed=3)


@plain_children
@pytest.mark.skipif(shutil.which("setsid") is None, reason="no setsid command (util-linux)")
def test_setsid_the_command_does_not_fork(pytester: pytest.Pytester, run) -> None:
    """util-linux setsid forks when its caller leads a process group: proc
    was then setsid's first process, which exits, not the program."""
    pytester.makepyfile(
        prog="""
        import os, signal
        r, w = os.pipe()  # a wakeup fd: a signal that lands just before the wait still wakes it
        os.set_blocking(w, False)
        signal.set_wakeup_fd(w)
        signal.signal(signal.SIGTERM, lambda *a: os._exit(5))
        print("prog", os.getpid(), os.getpid() == os.getsid(0), flush=True)
        while True:
            os.read(r, 1)
        """,
        test_setsid="""
        import signal, sys

        def test_setsid(spawn, send_signal):
            proc = spawn(["setsid", sys.executable, "prog.py"])
            match = proc.expect(r"prog (\\d+) (\\w+)\\r?\\n")
            assert (int(match.group(1)), match.group(2)) == (proc.pid, "True")
            send_signal(signal.SIGTERM, to=proc)
            assert proc.wait() == 5
        """,
    )
    run().assert_outcomes(passed=1)


@plain_children
@START_METHODS
def test_a_terminal_a_plain_child_opens_is_not_its_controlling_terminal(
    pytester: pytest.Pytester, run, start: str
) -> None:
    """Opening a pty's slave by name, without O_NOCTTY, makes it the
    controlling terminal of a session leader that has none: closing the
    master then hangs it up (SIGHUP). Under Popen the program exits 0."""
    pytester.makepyfile(
        pty_user="""
        import os
        master, slave = os.openpty()
        fd = os.open(os.ttyname(slave), os.O_RDWR)  # no O_NOCTTY
        with open("/proc/self/stat") as stat:
            tty = int(stat.read().rpartition(")")[2].split()[4])
        os.close(master)
        os.close(fd)
        os.close(slave)
        print("tty", tty, flush=True)
        """,
        test_pty="""
        def test_pty(spawn):
            proc = spawn("pty_user.py")
            assert proc.wait() == 0, proc.output
            assert proc.stdout == "tty 0\\n"
        """,
    )
    run(f"--signal-start-method={start}").assert_outcomes(passed=1)


@START_METHODS
def test_a_service_leads_its_session_with_stdin_from_dev_null(pytester: pytest.Pytester, run, start: str) -> None:
    pytester.makepyfile(
        service="""
        import os, sys
        print(os.getpid() == os.getsid(0) == os.getpgrp(), repr(sys.stdin.read()), flush=True)
        """,
        test_service="""
        import pytest

        def test_service(spawn):
            proc = spawn("service.py", launch="service")
            assert proc.launch == "service"
            with pytest.raises(ValueError, match="launched as a service: its stdin is /dev/null"):
                proc.write("x")
            assert proc.wait() == 0, proc.output
            assert proc.stdout == "True ''\\n"

        def test_bad_launch(spawn):
            with pytest.raises(ValueError, match="'daemon'"):
                spawn("service.py", launch="daemon")
            with pytest.raises(ValueError, match="tty=True"):
                spawn("service.py", tty=True, launch="service")
        """,
    )
    run(f"--signal-start-method={start}").assert_outcomes(passed=2)


@plain_children
def test_teardown_stops_a_plain_child_that_made_its_own_session_and_its_worker(pytester: pytest.Pytester, run) -> None:
    """A plain child may leave its anchor's session (setsid): teardown still
    stops it and what it started in its new session (here in a group of its
    own, out of reach of a group kill), and names the worker it killed."""
    pytester.makepyfile(
        daemonish="""
        import os, signal, subprocess, sys
        os.setsid()
        code = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); signal.pause()"
        worker = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                                  preexec_fn=os.setpgrp)
        worker.stdout.readline()
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("worker", worker.pid, flush=True)
        signal.pause()
        """,
        test_it="""
        def test_leaves_it(spawn):
            proc = spawn("daemonish.py")
            worker = int(proc.expect(r"worker (\\d+)\\n").group(1))
            with open("worker.pid", "w") as f:
                f.write(str(worker))
        """,
    )
    result = run("-rA")
    result.assert_outcomes(passed=1)
    worker = int((pytester.path / "worker.pid").read_text())
    result.stdout.fnmatch_lines(
        [f"*pid {worker} (*-c import signal*), a descendant of pid *, was still running: SIGKILL*"]
    )
    try:
        os.kill(worker, 0)
    except ProcessLookupError:
        pass
    else:  # only a zombie, until its new parent reaps it
        with open(f"/proc/{worker}/stat") as stat:
            assert stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"), "the worker survived teardown"


@plain_children
@pytest.mark.parametrize("leaves", ["stays in its anchor's session", "makes a session of its own", "a terminal job"])
def test_a_sigkilled_pytest_leaves_no_plain_child_and_no_worker(pytester: pytest.Pytester, leaves: str) -> None:
    family = FAMILY.replace("import os,", "import os; os.setsid(); import", 1) if leaves.startswith("makes") else FAMILY
    assert family.count("setsid") == (1 if leaves.startswith("makes") else 0)
    test = TEST_FAMILY.replace("WAIT", HANG)
    if leaves == "a terminal job":
        test = test.replace('spawn("family.py")', 'spawn("family.py", tty=True)').replace(r'(\d+)\n")', r'(\d+)\r?\n")')
        assert "tty=True" in test, test
        assert r"\r?\n" in test, test
    pytester.makepyfile(family=family, test_family=test)

    def watched(line: bytes) -> list[int]:
        child, worker = (int(p) for p in line.split()[1:3])
        assert os.getsid(worker) == os.getsid(child)
        assert (os.getsid(child) == child) is leaves.startswith("makes")
        return [child, worker]

    sigkill_pytest_and_wait_gone(pytester, ["test_family.py"], watched)


CLASSIC_TSTP = """
import os, select, signal, sys

def on_tstp(signum, frame):  # the classic way: restore the terminal, stop for real, set up again
    os.write(1, b"suspending\\n")
    signal.signal(signal.SIGTSTP, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTSTP)  # stops here until SIGCONT (fg)
    signal.signal(signal.SIGTSTP, on_tstp)
    os.write(1, b"resumed\\n")

r, w = os.pipe()  # a wakeup fd: a signal that lands just before the wait still wakes it
os.set_blocking(w, False)
signal.set_wakeup_fd(w)
signal.signal(signal.SIGTSTP, on_tstp)
print("ready", os.getpgrp() == os.tcgetpgrp(0), os.getsid(0) != os.getpid(), flush=True)
while 0 not in select.select([0, r], [], [])[0]:  # a read of stdin alone could miss the SIGTSTP
    os.read(r, 64)
print("got", sys.stdin.readline().strip(), flush=True)
"""

HELPER_CLI = """
import os, signal, subprocess, sys
code = (
    "import os, signal, sys\\n"
    "def say(text):\\n"
    "    with open('helper.txt', 'w') as f:\\n"
    "        f.write(text)\\n"
    "signal.signal(signal.SIGHUP, lambda *a: (say('hung up'), os._exit(9)))\\n"
    "print('helper', os.getpid(), flush=True)\\n"
    "os.write(int(sys.argv[1]), b'x')\\n"
    "say('read ' + sys.stdin.readline().strip())\\n"
)
ready_r, ready_w = os.pipe()
subprocess.Popen([sys.executable, "-c", code, str(ready_w)], pass_fds=(ready_w,))
os.close(ready_w)
os.read(ready_r, 1)  # the helper is up (its SIGHUP handler too); the CLI is done
"""


@plain_children
@START_METHODS
def test_ctrl_z_stops_a_terminal_job_and_sigcont_resumes_it(pytester: pytest.Pytester, run, start: str) -> None:
    """A tty child is its terminal's foreground job, in a session that a
    small leader owns: its process group is not orphaned, so the classic
    SIGTSTP handler (SIG_DFL, then stop itself) really stops it."""
    pytester.makepyfile(
        classic=CLASSIC_TSTP,
        test_job="""
        import signal

        def test_ctrl_z(spawn, send_signal, signal_log):
            proc = spawn("classic.py", tty=True)
            assert proc.launch == "terminal"
            proc.expect(r"ready True True\\r?\\n")
            assert send_signal(signal.SIGTSTP, to=proc, via="tty").wait().outcome == "handled"
            proc.expect(r"suspending\\r?\\n")
            stopped = signal_log.wait_for("default", signal.SIGTSTP, process=proc.pid)
            assert stopped.detail == "stopped by SIGTSTP"
            send_signal(signal.SIGCONT, to=proc)  # fg
            proc.expect(r"resumed\\r?\\n")
            proc.write("line\\n")
            proc.expect(r"got line\\r?\\n")
            assert proc.wait() == 0
        """,
    )
    run(f"--signal-start-method={start}").assert_outcomes(passed=1)


@plain_children
@START_METHODS
def test_a_background_helper_outlives_the_cli_that_started_it(pytester: pytest.Pytester, run, start: str) -> None:
    """A tty CLI that starts a helper and exits 0: the helper goes on, as in
    a terminal shell (it used to be hung up at once: the CLI led the
    terminal's session, and its exit sent SIGHUP to the foreground job)."""
    pytester.makepyfile(
        cli=HELPER_CLI,
        test_helper="""
        import os, select

        def test_helper(spawn):
            proc = spawn("cli.py", tty=True)
            helper = int(proc.expect(r"helper (\\d+)\\r?\\n").group(1))
            assert proc.wait() == 0
            # Still there: it reads what is typed next (hung up, it would have said so and exited).
            proc.write("ping\\n")
            try:
                pidfd = os.pidfd_open(helper)
            except ProcessLookupError:
                pass  # gone already: helper.txt says how
            else:
                assert select.select([pidfd], [], [], 30)[0], "the helper neither read the line nor ended"
                os.close(pidfd)
            with open("helper.txt") as f:
                assert f.read() == "read ping"
        """,
    )
    run(f"--signal-start-method={start}").assert_outcomes(passed=1)


@START_METHODS
def test_a_terminal_can_be_resized_and_hung_up_and_sets_term(pytester: pytest.Pytester, run, start: str) -> None:
    """What a terminal emulator does to a job: a resize is a SIGWINCH with the
    new size, a closed window (a dropped ssh session) a SIGHUP; TERM is set
    as a terminal sets it."""
    pytester.makepyfile(
        editor="""
        import os, signal, sys
        def on_winch(signum, frame):
            size = os.get_terminal_size(0)
            os.write(1, b"size %d %d\\n" % (size.lines, size.columns))
        def on_hup(signum, frame):
            with open("hup.txt", "w") as f:
                f.write("saved on SIGHUP")
            os._exit(3)
        r, w = os.pipe()  # a wakeup fd: a signal that lands just before the wait still wakes it
        os.set_blocking(w, False)
        signal.set_wakeup_fd(w)
        signal.signal(signal.SIGWINCH, on_winch)
        signal.signal(signal.SIGHUP, on_hup)
        print("ready", os.environ.get("TERM"), flush=True)
        while True:
            os.read(r, 1)
        """,
        test_terminal="""
        import pytest

        def test_resize_then_hang_up(spawn, monkeypatch):
            monkeypatch.delenv("TERM", raising=False)
            proc = spawn("editor.py", tty=True)
            proc.expect(r"ready xterm-256color\\r?\\n")
            proc.resize(40, 132)
            proc.expect(r"size 40 132\\r?\\n")
            with pytest.raises(ValueError, match=r"resize\\(0, 80\\): rows"):
                proc.resize(0, 80)
            proc.hangup()
            assert proc.wait() == 3
            with open("hup.txt") as f:
                assert f.read() == "saved on SIGHUP"
            with pytest.raises(ValueError, match="hung up"):
                proc.write("x")
            proc.hangup()  # twice is fine

        def test_term_from_the_test_wins(spawn, monkeypatch):
            monkeypatch.setenv("TERM", "vt100")
            proc = spawn("editor.py", tty=True)
            proc.expect(r"ready vt100\\r?\\n")

        def test_not_a_terminal(spawn):
            proc = spawn("editor.py")
            with pytest.raises(ValueError, match="no terminal"):
                proc.resize(10, 10)
            with pytest.raises(ValueError, match="no terminal"):
                proc.hangup()
        """,
    )
    run(f"--signal-start-method={start}").assert_outcomes(passed=3)
