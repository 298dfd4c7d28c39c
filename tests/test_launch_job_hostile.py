"""Hostile programs against the terminal-job launch (spawn(..., tty=True):
a small session leader owns the terminal and runs the child as its
foreground job)."""

from __future__ import annotations

import os
import sys

import pytest
from test_launch_hostile import INNER_HELPERS, _gone_or_zombie
from test_orphans import sigkill_pytest_and_wait_gone

terminal_jobs = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not hasattr(os, "pidfd_open"),
    reason="a terminal job needs the fork server's template as a subreaper (Linux 5.3+)",
)
pytestmark = terminal_jobs
START_METHODS = pytest.mark.parametrize("start", ["forkserver", "exec"])

JOB_HELPERS = (
    INNER_HELPERS
    + '''

def describe(pids):
    """For a failure message: each pid's state, fds, children (and theirs), and the template's matching fds."""
    from pytest_signals._children.fork_server import FORK_SERVER

    def fds(p):
        try:
            return sorted((int(fd), os.readlink(f"/proc/{p}/fd/{fd}")) for fd in os.listdir(f"/proc/{p}/fd"))
        except OSError:
            return []

    def state(p):
        try:
            with open(f"/proc/{p}/stat") as f:
                return " ".join(f.read().rpartition(")")[2].split()[:6])
        except OSError:
            return "gone"

    def kids(p):
        try:
            return [int(k) for k in open(f"/proc/{p}/task/{p}/children").read().split()]
        except OSError:
            return []

    template = {target: fd for fd, target in fds(FORK_SERVER.pid)}
    lines = []
    for p in pids:
        mine = fds(p)
        lines.append(f"{p} [{state(p)}] fds={mine} template_has={[(fd, template.get(t)) for fd, t in mine]} "
                     f"kids={[(k, state(k)) for k in kids(p)]}")
    return " | ".join(lines)


def leaders():
    """Live children of the template that lead a session with a terminal: terminal leaders."""
    found = []
    for pid, state in template_children():
        if state == "Z":
            continue
        try:
            if os.getsid(pid) == pid:
                found.append(pid)
        except OSError:
            pass
    return found
'''
)


@pytest.fixture
def helpers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(inner_helpers=JOB_HELPERS)


@START_METHODS
def test_quick_jobs_leave_no_zombie_and_no_leader(pytester: pytest.Pytester, run, helpers, start: str) -> None:
    pytester.makepyfile(
        quick="import sys; sys.exit(3)",
        test_many="""
        from inner_helpers import zombies, template_children, sync, leaders

        def test_many(spawn):
            procs = [spawn("quick.py", tty=True) for _ in range(12)]
            cmds = [spawn(["sh", "-c", "exit 4"], tty=True) for _ in range(3)]
            assert [p.wait() for p in procs] == [3] * 12
            assert [p.wait() for p in cmds] == [4] * 3
            assert {p.launch for p in procs + cmds} == {"terminal"}
            for p in procs + cmds:
                p.close()

        def test_nothing_left(spawn):
            sync(spawn)
            assert zombies() == [], template_children()
            assert leaders() == [], template_children()
            assert template_children() == []
        """,
    )
    run(f"--signal-start-method={start}", "-p", "no:randomly").assert_outcomes(passed=2)


@START_METHODS
def test_session_calls_of_the_job(pytester: pytest.Pytester, run, start: str) -> None:
    """As in a shell: setsid() fails (it leads its group), setpgrp() is a
    no-op, tcsetpgrp to its own group works, /dev/tty is its terminal."""
    pytester.makepyfile(
        calls="""
        import os, sys
        try:
            os.setsid()
            print("setsid ok", flush=True)
        except PermissionError:
            print("setsid EPERM", flush=True)
        os.setpgrp()
        os.tcsetpgrp(0, os.getpgrp())
        fd = os.open("/dev/tty", os.O_RDWR)
        os.write(fd, b"via dev tty\\n")
        print("fg", os.tcgetpgrp(fd) == os.getpgrp(), os.getsid(0) != os.getpid(), flush=True)
        """,
        test_calls="""
        def test_calls(spawn):
            proc = spawn("calls.py", tty=True)
            assert proc.wait() == 0, proc.output
            proc.expect(r"setsid EPERM\\r?\\n")
            proc.expect(r"via dev tty\\r?\\n")
            proc.expect(r"fg True True\\r?\\n")

        def test_calls_command(spawn):
            proc = spawn(["sh", "-c", "echo hi >/dev/tty; setsid -w true; echo rc=$?"], tty=True)
            assert proc.wait() == 0, proc.output
            proc.expect(r"hi\\r?\\n")
            proc.expect(r"rc=0\\r?\\n")
        """,
    )
    run(f"--signal-start-method={start}").assert_outcomes(passed=2)


GIVES_AWAY = """
import os, signal, sys
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.write(w, b"x")
    while True:
        signal.pause()
os.read(r, 1)
try:
    os.setpgid(pid, pid)
except OSError:
    pass
signal.signal(signal.SIGTTOU, signal.SIG_IGN)
os.tcsetpgrp(0, pid)  # the background helper is the foreground job now
print("gave", pid, flush=True)
sys.stdin.readline() if len(sys.argv) > 1 else signal.pause()
"""


@START_METHODS
def test_job_gives_the_foreground_away(pytester: pytest.Pytester, run, start: str) -> None:
    """The job makes another group of its session the foreground job, then
    blocks: the test still stops it, and teardown takes the other group."""
    pytester.makepyfile(
        gives=GIVES_AWAY,
        test_gives="""
        import signal

        def test_gives(spawn, send_signal):
            proc = spawn("gives.py", tty=True)
            other = int(proc.expect(r"gave (\\d+)\\r?\\n").group(1))
            with open("other.pid", "w") as f:
                f.write(str(other))
            send_signal(signal.SIGTERM, to=proc).wait()
            assert proc.wait() == -signal.SIGTERM

        def test_ctrl_c_goes_to_the_foreground_job(spawn, send_signal):
            proc = spawn("gives.py", tty=True)
            other = int(proc.expect(r"gave (\\d+)\\r?\\n").group(1))
            delivery = send_signal(signal.SIGINT, to=proc, via="tty").wait(timeout=5)
            assert delivery.outcome == "sent", delivery
            assert f"process group {other}" in delivery.events[0].detail
            assert proc.is_alive()

        def test_reads_in_the_background(spawn, send_signal, signal_log):
            proc = spawn("gives.py", "read", tty=True)
            proc.expect(r"gave (\\d+)\\r?\\n")
            # reading from the terminal in the background: SIGTTIN stops it (its group is not orphaned)
            signal_log.wait_for("default", signal.SIGTTIN, process=proc.pid)
            send_signal(signal.SIGKILL, to=proc)
            assert proc.wait() == -signal.SIGKILL
        """,
    )
    result = run(f"--signal-start-method={start}", "-rA", "-p", "no:randomly")
    result.assert_outcomes(passed=3)
    other = int((pytester.path / "other.pid").read_text())
    assert _gone_or_zombie(other)


KILLS_LEADER = """
import os, signal, sys
signal.signal(signal.SIGHUP, signal.SIG_IGN)  # the leader's end hangs the foreground job up
leader = os.getppid()
pidfd = os.pidfd_open(leader)
signal.pidfd_send_signal(pidfd, signal.SIGKILL)
import select
select.select([pidfd], [], [])  # it is gone (and re-parented us)
print("killed", leader, os.getppid() != leader, flush=True)
if sys.argv[1:] == ["exit"]:
    sys.exit(5)
while True:
    signal.pause()
"""


@START_METHODS
def test_job_kills_its_leader(pytester: pytest.Pytester, run, helpers, start: str) -> None:
    pytester.makepyfile(
        kills=KILLS_LEADER,
        test_kills="""
        import signal
        from inner_helpers import zombies, template_children, sync, leaders

        def test_kills_then_exits(spawn):
            proc = spawn("kills.py", "exit", tty=True)
            assert proc.wait() == 5, proc.output
            proc.expect(r"killed \\d+ True")

        def test_kills_then_runs(spawn, send_signal):
            proc = spawn("kills.py", tty=True)
            proc.expect(r"killed \\d+ True")
            assert send_signal(signal.SIGTERM, to=proc).wait().outcome == "default"
            assert proc.wait() == -signal.SIGTERM

        def test_kills_then_left_running(spawn):
            proc = spawn("kills.py", tty=True)
            proc.expect(r"killed \\d+ True")

        def test_nothing_left(spawn):
            sync(spawn)
            assert zombies() == [], template_children()
            assert template_children() == []
        """,
    )
    run(f"--signal-start-method={start}", "-p", "no:randomly", "-rA").assert_outcomes(passed=4)


def test_ctrl_z_after_the_leader_is_gone(pytester: pytest.Pytester, run) -> None:
    """Once its leader is gone the job's group is orphaned (its parent, the
    template, is in another session): a SIGTSTP with its default action is
    discarded by the kernel. The delivery must say so, not time out."""
    pytester.makepyfile(
        kills=KILLS_LEADER,
        test_tstp="""
        import signal

        def test_tstp(spawn, send_signal):
            proc = spawn("kills.py", tty=True)
            proc.expect(r"killed \\d+ True")
            delivery = send_signal(signal.SIGTSTP, to=proc).wait(timeout=5)
            assert delivery.outcome == "ignored", delivery
            assert proc.is_alive()

        def test_tty_key(spawn, send_signal):
            # The leader's end took the terminal from the session: a typed key signals nobody.
            proc = spawn("kills.py", tty=True)
            proc.expect(r"killed \\d+ True")
            try:
                delivery = send_signal(signal.SIGINT, to=proc, via="tty").wait(timeout=5)
            except ValueError as exc:
                assert "terminal" in str(exc)
            else:
                assert delivery.outcome in ("sent", "ignored"), delivery
            assert proc.is_alive()
        """,
    )
    run().assert_outcomes(passed=2)


@START_METHODS
def test_stops_its_own_group_many_times(pytester: pytest.Pytester, run, start: str) -> None:
    pytester.makepyfile(
        stopper="""
        import os, signal
        for i in range(15):
            print("stop", i, flush=True)
            os.killpg(0, signal.SIGTSTP)
            print("back", i, flush=True)
        """,
        test_stopper="""
        import signal

        def test_stopper(spawn, send_signal, signal_log):
            proc = spawn("stopper.py", tty=True)
            for i in range(15):
                signal_log.wait_for("default", signal.SIGTSTP, process=proc.pid, count=i + 1)
                send_signal(signal.SIGCONT, to=proc)
                proc.expect(rf"back {i}\\r?\\n")
            assert proc.wait() == 0, proc.output
        """,
    )
    run(f"--signal-start-method={start}").assert_outcomes(passed=1)


@START_METHODS
def test_stopped_by_the_tty_key_many_times(pytester: pytest.Pytester, run, start: str) -> None:
    pytester.makepyfile(
        reader="""
        import sys
        print("ready", flush=True)
        for line in sys.stdin:
            print("got", line.strip(), flush=True)
            if line.strip() == "end":
                break
        """,
        test_reader="""
        import signal

        def test_reader(spawn, send_signal, signal_log):
            proc = spawn("reader.py", tty=True)
            proc.expect("ready")
            for i in range(10):
                send_signal(signal.SIGTSTP, to=proc, via="tty")
                signal_log.wait_for("default", signal.SIGTSTP, process=proc.pid, count=i + 1)
                send_signal(signal.SIGCONT, to=proc, via="group")
                proc.write(f"{i}\\n")
                proc.expect(rf"got {i}\\r?\\n")
            proc.write("end\\n")
            assert proc.wait() == 0, proc.output
        """,
    )
    run(f"--signal-start-method={start}").assert_outcomes(passed=1)


@START_METHODS
def test_hangup(pytester: pytest.Pytester, run, start: str) -> None:
    pytester.makepyfile(
        deaf="""
        import os, signal, sys
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        print("deaf", flush=True)
        if sys.argv[1:] == ["read"]:
            try:
                while os.read(0, 100):
                    pass
                how = "eof"
            except OSError as exc:  # Linux: EIO once the terminal's other side is gone
                how = f"errno {exc.errno}"
            with open("eof.txt", "w") as f:
                f.write(how)
            sys.exit(4)
        while True:
            signal.pause()
        """,
        plain="""
        import signal
        print("ready", flush=True)
        signal.pause()
        """,
        test_hup="""
        import signal
        import pytest
        from pytest_signals import WaitFailed

        def test_default_dies(spawn):
            proc = spawn("plain.py", tty=True)
            proc.expect("ready")
            proc.hangup()
            assert proc.wait() == -signal.SIGHUP

        def test_command_dies(spawn):
            proc = spawn(["sh", "-c", "echo ready; read x"], tty=True)
            proc.expect("ready")
            proc.hangup()
            assert proc.wait() in (-signal.SIGHUP, 1, 2), proc.output

        def test_ignores_and_reads_eof(spawn):
            proc = spawn("deaf.py", "read", tty=True)
            proc.expect(r"deaf\\r?\\n")
            proc.hangup()
            assert proc.wait() == 4
            with open("eof.txt") as f:
                assert f.read() in ("eof", "errno 5")

        def test_ignores_and_stays(spawn):
            proc = spawn("deaf.py", tty=True)
            proc.expect(r"deaf\\r?\\n")  # all of it: a write after the hang-up fails (EIO)
            proc.hangup()
            with pytest.raises(WaitFailed):
                proc.wait(timeout=1)
            assert proc.is_alive()
            with pytest.raises(ValueError, match="hung up"):
                proc.resize(10, 10)
        """,
    )
    run(f"--signal-start-method={start}", "-rA").assert_outcomes(passed=4)


@START_METHODS
def test_a_background_helper_keeps_the_terminal_open(pytester: pytest.Pytester, run, start: str) -> None:
    pytester.makepyfile(
        cli="""
        import os, signal, subprocess, sys
        code = ("import os, signal; signal.signal(signal.SIGHUP, signal.SIG_IGN); "
                "signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                "print('helper', os.getpid(), flush=True); signal.pause()")
        p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        line = p.stdout.readline()
        print(line.strip(), os.getsid(0), flush=True)
        """,
        test_cli="""
        def test_cli(spawn):
            proc = spawn("cli.py", tty=True)
            m = proc.expect(r"helper (\\d+) (\\d+)\\r?\\n")
            with open("ids", "w") as f:
                f.write(m.group(1) + " " + m.group(2))
            assert proc.wait() == 0
            assert [d.pid for d in proc.descendants()] == [int(m.group(1))]

        def test_cli_hung_up(spawn):
            proc = spawn("cli.py", tty=True)
            helper = int(proc.expect(r"helper (\\d+) (\\d+)\\r?\\n").group(1))
            assert proc.wait() == 0
            proc.hangup()  # the job's group gets SIGHUP: the helper ignores it
            assert [d.pid for d in proc.descendants()] == [helper]
        """,
    )
    result = run(f"--signal-start-method={start}", "-rA", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
    helper, leader = (pytester.path / "ids").read_text().split()
    out = result.stdout.str()
    assert f"pid {helper} " in out, out
    assert f"pid {leader} " not in out, out
    assert _gone_or_zombie(int(helper))


GHOST_COMMAND = "['sh', '-c', 'echo ghost $PPID; exec sleep 1000']"


@START_METHODS
@pytest.mark.parametrize("target", ["'ghost.py'", GHOST_COMMAND])
def test_a_tiny_timeout_starts_no_ghost_job(pytester: pytest.Pytester, run, helpers, start: str, target: str) -> None:
    pytester.makepyfile(
        ghost="""
        import os, signal
        print("ppid", os.getppid(), flush=True)
        signal.pause()
        """,
        test_ghost="""
        import os
        from inner_helpers import template_children, sync, zombies, describe

        def test_tiny(spawn):
            sync(spawn)
            known = set()
            errors = []
            for timeout in [0.001, 0.002, 0.003, 0.005, 0.01] * 4:
                try:
                    proc = spawn(TARGET, timeout=timeout, tty=True)
                except Exception as exc:
                    errors.append(f"{timeout} {exc}"[:100])
                    continue
                known.add(proc.pid)
                known.add(os.getsid(proc.pid))
            sync(spawn)
            for proc in spawn.processes:  # started, but wait_started() gave up: the plugin's, stopped at teardown
                if proc.is_alive():
                    known |= {proc.pid, os.getsid(proc.pid)}
            running = {pid for pid, state in template_children() if state != "Z"}
            assert running <= known, f"children nobody knows of: {describe(sorted(running - known))} {errors[-3:]}"

        def test_nothing_left(spawn):
            sync(spawn)
            left = template_children()
            assert left == [], describe([p for p, _ in left])
        """.replace("TARGET", target),
    )
    run(f"--signal-start-method={start}", "-p", "no:randomly", "-rA").assert_outcomes(passed=2)


@START_METHODS
def test_late_jobs_that_end_at_once_leave_no_zombies(pytester: pytest.Pytester, run, helpers, start: str) -> None:
    pytester.makepyfile(
        quick="pass",
        test_late="""
        import os
        from inner_helpers import zombies, template_children, sync
        from pytest_signals._children.fork_server import FORK_SERVER

        FDS = []

        def template_fds():
            return len(os.listdir(f"/proc/{FORK_SERVER.pid}/fd"))

        def test_late(spawn):
            sync(spawn)
            FDS.append(template_fds())
            for timeout in [0.001, 0.002, 0.003, 0.004, 0.01] * 4:
                for target in (["true"], "quick.py"):
                    try:
                        spawn(target, timeout=timeout, tty=True).wait()
                    except Exception:
                        pass

        def test_nothing_left(spawn):
            sync(spawn)
            assert zombies() == [], template_children()
            assert template_children() == []
            assert template_fds() <= FDS[0], "the template leaks fds of failed starts"
        """,
    )
    run(f"--signal-start-method={start}", "-p", "no:randomly", "-rA").assert_outcomes(passed=2)


JOB_FAMILY = """
import os, signal, subprocess, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
code = ("import os, signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "signal.signal(signal.SIGHUP, signal.SIG_IGN); print(os.getpid(), flush=True); signal.pause()")
helper = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
print("family", os.getpid(), os.getsid(0), helper.stdout.readline().strip(), flush=True)
if sys.argv[1:] == ["stop"]:
    os.kill(os.getpid(), signal.SIGSTOP)
while True:
    signal.pause()
"""

TEST_JOB_FAMILIES = """
import sys, threading

def test_families(spawn):
    pids = []
    for i in range(2):
        proc = spawn("family.py", *(["stop"] if i % 2 else []), tty=True)
        m = proc.expect(r"family (\\d+) (\\d+) (\\d+)\\r?\\n")
        pids += m.groups()
    cmd = spawn(["sh", "-c", "trap '' HUP TERM; echo cmd $$; exec sleep 1000"], tty=True)
    pids.append(cmd.expect(r"cmd (\\d+)").group(1))
    sys.stdout.write(f"\\nPIDS {' '.join(pids)} READY\\n")
    sys.stdout.flush()
    threading.Event().wait(60)  # the outer test kills pytest long before
"""


@START_METHODS
def test_sigkilled_pytest_leaves_no_job_leader_or_helper(pytester: pytest.Pytester, start: str) -> None:
    pytester.makepyfile(family=JOB_FAMILY, test_family=TEST_JOB_FAMILIES)

    def watched(line: bytes) -> list[int]:
        pids = [int(p) for p in line.split()[1:-1]]
        assert len(set(pids)) == len(pids)
        return pids

    sigkill_pytest_and_wait_gone(pytester, ["test_family.py", f"--signal-start-method={start}"], watched)


@START_METHODS
def test_ctrl_c_to_a_command_job(pytester: pytest.Pytester, run, start: str) -> None:
    pytester.makepyfile(
        test_cmd="""
        import signal

        SCRIPT = "trap 'echo got INT; exit 3' INT; echo ready; while :; do sleep 0.05; done"

        def test_tty(spawn, send_signal):
            proc = spawn(["sh", "-c", SCRIPT], tty=True)
            proc.expect("ready")
            send_signal(signal.SIGINT, to=proc, via="tty")
            assert proc.wait() == 3, proc.output
            proc.expect("got INT")

        def test_group(spawn, send_signal):
            proc = spawn(["sh", "-c", SCRIPT], tty=True)
            proc.expect("ready")
            send_signal(signal.SIGINT, to=proc, via="group")
            assert proc.wait() == 3, proc.output
            proc.expect("got INT")

        def test_python_group(spawn, send_signal):
            # A wakeup fd, not pause(): a SIGINT landing just before pause() would leave
            # default_int_handler's KeyboardInterrupt pending for good.
            code = (
                "import os, signal; r, w = os.pipe(); os.set_blocking(w, False); signal.set_wakeup_fd(w); "
                "print('ready', flush=True); os.read(r, 1)"
            )
            proc = spawn(["python3", "-c", code], tty=True)
            proc.expect("ready")
            d = send_signal(signal.SIGINT, to=proc, via="group").wait()
            assert proc.wait() in (-signal.SIGINT, 1), proc.output
        """,
    )
    run(f"--signal-start-method={start}", "-rA").assert_outcomes(passed=3)


@START_METHODS
def test_the_leader_is_not_a_descendant_nor_named(pytester: pytest.Pytester, run, start: str) -> None:
    pytester.makepyfile(
        stubborn="""
        import os, signal, subprocess, sys
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        code = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('w', flush=True); signal.pause()"
        worker = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        worker.stdout.readline()
        print("up", os.getsid(0), worker.pid, flush=True)
        signal.pause()
        """,
        test_it="""
        import os, signal, pytest

        def test_descendants(spawn):
            other = spawn(["sh", "-c", "read x"], tty=True)
            proc = spawn(["sh", "-c", "read x"], tty=True)
            leader = os.getsid(proc.pid)
            assert leader != proc.pid
            assert proc.descendants() == []
            with pytest.raises((ValueError, ProcessLookupError)):
                proc.wait_descendant(leader, timeout=1)
            with pytest.raises((ValueError, ProcessLookupError)):
                proc.wait_descendant(os.getsid(other.pid), timeout=1)

        def test_stubborn(spawn, send_signal):
            proc = spawn("stubborn.py", tty=True)
            m = proc.expect(r"up (\\d+) (\\d+)\\r?\\n")
            with open("ids", "w") as f:
                f.write(m.group(1) + " " + m.group(2))
            assert [d.pid for d in proc.descendants()] == [int(m.group(2))]
            with pytest.raises(ValueError, match="launcher"):
                send_signal(signal.SIGKILL, to=int(m.group(1)))
            assert proc.is_alive()
        """,
    )
    result = run(f"--signal-start-method={start}", "-rA", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
    leader, worker = (pytester.path / "ids").read_text().split()
    out = result.stdout.str()
    assert f"pid {leader} " not in out, out
    assert _gone_or_zombie(int(worker))


def test_resize_and_hangup_errors(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        test_errors="""
        import pytest

        @pytest.mark.parametrize("rows, cols", [(0, 80), (24, 0), (-1, 80), (65536, 80), ("24", 80),
                                                (24.0, 80), (True, 80), (None, 80)])
        def test_bad_size(spawn, rows, cols):
            proc = spawn(["sh", "-c", "read x"], tty=True)
            with pytest.raises(ValueError, match=r"resize\\("):
                proc.resize(rows, cols)

        def test_after_end(spawn):
            proc = spawn(["true"], tty=True)
            assert proc.wait() == 0
            proc.resize(10, 20)  # the terminal is still there (its window too)
            proc.hangup()
            with pytest.raises(ValueError, match="hung up"):
                proc.resize(10, 20)
            proc.hangup()

        def test_not_a_terminal(spawn):
            proc = spawn(["true"])
            with pytest.raises(ValueError, match="no terminal"):
                proc.resize(10, 10)
            with pytest.raises(ValueError, match="no terminal"):
                proc.hangup()
        """,
    )
    run("-rA").assert_outcomes(passed=10)


KILLS_LEADER_FAMILY = """
import os, select, signal, subprocess, sys
signal.signal(signal.SIGHUP, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
code = ("import os, signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "signal.signal(signal.SIGHUP, signal.SIG_IGN); print(os.getpid(), flush=True); signal.pause()")
helper = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
helper_pid = helper.stdout.readline().strip()
leader = os.getppid()
pidfd = os.pidfd_open(leader)
signal.pidfd_send_signal(pidfd, signal.SIGKILL)
select.select([pidfd], [], [])
print("family", os.getpid(), leader, helper_pid, flush=True)
while True:
    signal.pause()
"""

TEST_KILLS_LEADER_FAMILY = """
import sys, threading

def test_family(spawn):
    proc = spawn("family.py", tty=True)
    m = proc.expect(r"family (\\d+) (\\d+) (\\d+)\\r?\\n")
    sys.stdout.write(f"\\nPIDS {m.group(1)} {m.group(3)} READY\\n")
    sys.stdout.flush()
    threading.Event().wait(60)  # the outer test kills pytest long before
"""


@START_METHODS
def test_sigkilled_pytest_after_the_job_killed_its_leader(pytester: pytest.Pytester, start: str) -> None:
    """Nothing vouches for the session any more (its leader is reaped): the
    job and its helper must go all the same (the template's own sweep)."""
    pytester.makepyfile(family=KILLS_LEADER_FAMILY, test_family=TEST_KILLS_LEADER_FAMILY)

    def watched(line: bytes) -> list[int]:
        return [int(p) for p in line.split()[1:-1]]

    sigkill_pytest_and_wait_gone(pytester, ["test_family.py", f"--signal-start-method={start}"], watched)


@START_METHODS
def test_teardown_after_the_job_killed_its_leader(pytester: pytest.Pytester, run, helpers, start: str) -> None:
    pytester.makepyfile(
        family=KILLS_LEADER_FAMILY,
        test_family="""
        from inner_helpers import template_children, sync

        def test_family(spawn):
            proc = spawn("family.py", tty=True)
            m = proc.expect(r"family (\\d+) (\\d+) (\\d+)\\r?\\n")
            with open("ids", "w") as f:
                f.write(" ".join(m.groups()))
            assert [d.pid for d in proc.descendants()] == [int(m.group(3))]

        def test_nothing_left(spawn):
            sync(spawn)
            assert template_children() == []
        """,
    )
    result = run(f"--signal-start-method={start}", "-rA", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
    _child, leader, helper = (pytester.path / "ids").read_text().split()
    assert f"pid {leader} " not in result.stdout.str()
    assert _gone_or_zombie(int(helper))


def test_tty_key_after_a_hang_up(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        test_key="""
        import signal
        import pytest

        def test_key(spawn, send_signal):
            proc = spawn(["sh", "-c", "trap '' HUP; echo ready; read x; read y"], tty=True)
            proc.expect("ready")
            proc.hangup()
            with pytest.raises(ValueError, match="hung up"):
                send_signal(signal.SIGINT, to=proc, via="tty")
        """,
    )
    run().assert_outcomes(passed=1)
