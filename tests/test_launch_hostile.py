"""Hostile programs against the plain-child launch (the anchor model)."""

from __future__ import annotations

import os
import sys

import pytest
from test_orphans import FAMILY, HANG, sigkill_pytest_and_wait_gone
from test_orphans import TEST_FAMILY as TEST_FAMILY_WAITING

plain_children = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not hasattr(os, "pidfd_open"),
    reason="a plain child needs the fork server's template as a subreaper (Linux 5.3+)",
)
START_METHODS = pytest.mark.parametrize("start", ["forkserver", "exec"])

# Helpers the inner tests use: what the template holds, from /proc.
INNER_HELPERS = '''
import os
from pytest_signals._children.fork_server import FORK_SERVER


def template_children():
    """(pid, state) of every child of the template."""
    found = []
    for task in os.listdir(f"/proc/{FORK_SERVER.pid}/task"):
        with open(f"/proc/{FORK_SERVER.pid}/task/{task}/children") as f:
            for pid in f.read().split():
                try:
                    with open(f"/proc/{pid}/stat") as stat:
                        state = stat.read().rpartition(")")[2].split()[0]
                except OSError:
                    continue
                found.append((int(pid), state))
    return found


def zombies():
    return sorted(pid for pid, state in template_children() if state == "Z")


def sync(spawn):
    """Every earlier request (release...) is handled by the template once this child is up."""
    proc = spawn(["true"])
    assert proc.wait() == 0
    proc.close()  # released: the template reaps it (and its anchor) before it answers
'''


def _gone_or_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


@pytest.fixture
def helpers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(inner_helpers=INNER_HELPERS)


@plain_children
@START_METHODS
def test_exec_failure_of_a_plain_command_leaks_no_anchor(pytester: pytest.Pytester, run, helpers, start: str) -> None:
    """A command whose exec fails in the template (a script whose interpreter
    does not exist): the template reaps the fork, and must reap its anchor."""
    bad = pytester.path / "bad.sh"
    bad.write_text("#!/nonexistent/interpreter\necho never\n")
    bad.chmod(0o755)
    pytester.makepyfile(
        test_it="""
        import pytest
        from inner_helpers import zombies, sync

        def test_fails(spawn):
            sync(spawn)  # the template is up
            before = zombies()
            for _ in range(10):
                with pytest.raises(Exception):
                    spawn(["./bad.sh"])
            sync(spawn)
            assert zombies() == before, "anchors of failed execs left as zombies in the template"
        """
    )
    run(f"--signal-start-method={start}").assert_outcomes(passed=1)


@plain_children
@START_METHODS
def test_twenty_quick_plain_children_leave_no_zombie(pytester: pytest.Pytester, run, helpers, start: str) -> None:
    pytester.makepyfile(
        quick="import sys; sys.exit(3)",
        test_many="""
        import os
        from pytest_signals._children.fork_server import FORK_SERVER
        from inner_helpers import zombies, template_children, sync

        def test_many(spawn):
            procs = [spawn("quick.py") for _ in range(20)]
            cmds = [spawn(["sh", "-c", "exit 4"]) for _ in range(5)]
            assert [p.wait() for p in procs] == [3] * 20
            assert [p.wait() for p in cmds] == [4] * 5
            assert {p.launch for p in procs + cmds} == {"plain"}

        def test_nothing_left(spawn):
            sync(spawn)
            assert zombies() == [], template_children()
            assert template_children() == []
        """,
    )
    run(f"--signal-start-method={start}", "-p", "no:randomly").assert_outcomes(passed=2)


@plain_children
@START_METHODS
@pytest.mark.parametrize("target", ["'ghost.py'", "['sh', '-c', 'echo ghost $PPID; exec sleep 1000']"])
def test_a_tiny_timeout_starts_no_ghost(pytester: pytest.Pytester, run, helpers, start: str, target: str) -> None:
    """spawn(timeout=) tiny: either a child pytest knows of, or no child at
    all; and the template stays the only process serving the fork server's
    socket (an anchor whose report write fails must not return into its loop)."""
    pytester.makepyfile(
        ghost="""
        import os, signal
        print("ppid", os.getppid(), flush=True)
        signal.pause()
        """,
        test_ghost="""
        import os, select
        import pytest
        from pytest_signals._children.fork_server import FORK_SERVER
        from inner_helpers import template_children, sync

        def rogues():
            \"\"\"Live forks of the template that run its code in a session of their own: an anchor
            that went back into the template's loop.\"\"\"
            found = []
            for pid, state in template_children():
                if state == "Z" or os.getsid(pid) != pid:
                    continue
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"_bootstrap/template" in f.read():
                        found.append(pid)
            return found

        def test_tiny(spawn):
            sync(spawn)
            known = set()
            for timeout in [0.001, 0.002, 0.003] * 8:
                try:
                    proc = spawn(TARGET, timeout=timeout)
                except Exception as exc:
                    continue
                known.add(proc.pid)
            sync(spawn)  # every earlier request handled: each anchor has ended (a zombie) by now
            assert not rogues(), "an anchor serves the fork server's socket"
            for proc in spawn.processes:  # started, but wait_started() gave up: the plugin's, stopped at teardown
                known.add(proc.pid)
            running = {pid for pid, state in template_children() if state != "Z"}
            # A late child (its spawn gave up) is killed as its reply comes: it may not be
            # gone yet. A ghost, run although the template gave up on it, never ends.
            for pid in sorted(running - known):
                try:
                    pidfd = os.pidfd_open(pid)
                except ProcessLookupError:
                    continue
                ended = select.select([pidfd], [], [], 10)[0]
                os.close(pidfd)
                assert ended, f"pid {pid}, a child of the template nobody knows of, still runs"
        """.replace("TARGET", target),
    )
    result = run(f"--signal-start-method={start}")
    result.assert_outcomes(passed=1)


@plain_children
@START_METHODS
def test_the_parent_is_the_template_under_a_short_timeout(pytester: pytest.Pytester, run, start: str) -> None:
    pytester.makepyfile(
        ppid="import os; print(os.getppid(), os.getpid() != os.getpgrp(), flush=True)",
        test_ppid="""
        from pytest_signals._children.fork_server import FORK_SERVER

        def test_ppid(spawn):
            spawn(["true"]).wait()  # the template is up
            bad = []
            for timeout in [0.05, 0.1, 0.2] * 5:
                try:
                    proc = spawn("ppid.py", timeout=timeout)
                except Exception:
                    continue
                try:
                    proc.wait()
                except Exception:
                    continue
                parent, plain = proc.stdout.split()
                if int(parent) != FORK_SERVER.pid or plain != "True":
                    bad.append((timeout, proc.launch, FORK_SERVER.pid, proc.stdout, getattr(proc, "exec_reason", None)))
            assert not bad
        """,
    )
    run(f"--signal-start-method={start}").assert_outcomes(passed=1)


@plain_children
def test_a_short_first_timeout_leaves_later_children_plain(pytester: pytest.Pytester, run) -> None:
    """The template that did not start within the first spawn's timeout is
    never started again: every later child of the session, in every later
    test, silently leads its own session (launch 'service'), and setpgrp and
    setsid raise PermissionError in it again."""
    pytester.makepyfile(
        test_order="""
        def test_a_short_timeout_first(spawn):
            try:
                spawn(["true"], timeout=0.01).wait()
            except Exception:
                pass

        def test_then_a_plain_child(spawn):
            proc = spawn(["true"])
            assert proc.launch == "plain", proc.exec_reason
        """,
    )
    run("-p", "no:randomly").assert_outcomes(passed=2)


@plain_children
@START_METHODS
def test_reaps_everything_and_ignores_sigchld(pytester: pytest.Pytester, run, start: str) -> None:
    pytester.makepyfile(
        reaper="""
        import os, signal, sys
        pids = []
        for i in range(3):
            pid = os.fork()
            if pid == 0:
                os._exit(i)
            pids.append(pid)
        got = sorted(os.waitpid(-1, 0)[1] >> 8 for _ in pids)
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            pass
        else:
            sys.exit("a child it did not fork")
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)
        for i in range(3):
            if os.fork() == 0:
                os._exit(0)
        try:
            os.wait()
        except ChildProcessError:
            print("ok", got, flush=True)
        """,
        test_reaper="""
        def test_reaper(spawn):
            proc = spawn("reaper.py")
            assert proc.wait() == 0, proc.output
            assert proc.stdout == "ok [0, 1, 2]\\n"
        """,
    )
    run(f"--signal-start-method={start}").assert_outcomes(passed=1)


DAEMONIZE = """
import os, signal, sys
os.setsid()
r, w = os.pipe()
if os.fork() == 0:
    os.setsid() if len(sys.argv) > 1 else None  # a second session: escapes both
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.write(w, str(os.getpid()).encode())
        os.close(w)
        signal.pause()
    os._exit(0)
os.close(w)
print("daemon", os.read(r, 32).decode(), flush=True)
"""


@plain_children
@START_METHODS
@pytest.mark.parametrize("second", ["", "again"])
def test_setsid_then_a_daemon_is_stopped_at_teardown(pytester: pytest.Pytester, run, start: str, second: str) -> None:
    pytester.makepyfile(
        daemonize=DAEMONIZE,
        test_daemon=f"""
        def test_daemon(spawn):
            proc = spawn("daemonize.py", *{[second] if second else []!r})
            daemon = int(proc.expect(r"daemon (\\d+)\\n").group(1))
            assert proc.wait() == 0
            with open("daemon.pid", "w") as f:
                f.write(str(daemon))
        """,
    )
    result = run("-rA")
    result.assert_outcomes(passed=1)
    daemon = int((pytester.path / "daemon.pid").read_text())
    result.stdout.fnmatch_lines([f"*pid {daemon} *SIGKILL*"])
    try:
        with open(f"/proc/{daemon}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return
    assert state in ("Z", "X"), "the daemon survived teardown"


@plain_children
@START_METHODS
def test_group_and_session_suicide(pytester: pytest.Pytester, run, start: str) -> None:
    pytester.makepyfile(
        pg0="import os, signal; os.setpgrp(); os.killpg(0, signal.SIGKILL)",
        pgneg="import os, signal; os.kill(-os.getpgrp(), signal.SIGKILL)",
        sidkill="import os, signal; os.killpg(os.getsid(0), signal.SIGKILL)",
        sidpid="import os, signal; os.kill(os.getsid(0), signal.SIGKILL); print('alive', flush=True)",
        sidterm="import os, signal; os.kill(os.getsid(0), signal.SIGSTOP); os.kill(os.getsid(0), signal.SIGCONT); print('alive', flush=True)",  # noqa: E501
        test_suicide="""
        import pytest, signal

        @pytest.mark.parametrize("prog", ["pg0.py", "pgneg.py", "sidkill.py"])
        def test_dies(spawn, prog):
            proc = spawn(prog)
            assert proc.wait() == -signal.SIGKILL, proc.output

        @pytest.mark.parametrize("prog", ["sidpid.py", "sidterm.py"])
        def test_the_anchor_is_a_zombie(spawn, prog):
            proc = spawn(prog)
            assert proc.wait() == 0, proc.output
            assert proc.stdout == "alive\\n"
        """,
    )
    run(f"--signal-start-method={start}").assert_outcomes(passed=5)


@plain_children
@START_METHODS
def test_stops_itself(pytester: pytest.Pytester, run, start: str) -> None:
    pytester.makepyfile(
        stopper="""
        import os, signal
        print("stopping", flush=True)
        os.kill(os.getpid(), signal.SIGSTOP)
        print("resumed", flush=True)
        signal.pause()
        """,
        test_stop="""
        import os, signal

        def test_left_stopped(spawn):
            proc = spawn("stopper.py")
            proc.expect("stopping")
            proc.wait_for_stop() if hasattr(proc, "wait_for_stop") else None
            with open("pid", "w") as f:
                f.write(str(proc.pid))
        """,
    )
    result = run("-rA")
    result.assert_outcomes(passed=1)
    pid = int((pytester.path / "pid").read_text())
    assert _gone_or_zombie(pid)


@plain_children
def test_signals_its_parent(pytester: pytest.Pytester, run) -> None:
    """A child's parent is the fork server's template: a program that signals
    its parent (a readiness SIGUSR1, a SIGTERM, a Ctrl-C passed up) must not
    end it, and every later child is still forked from it."""
    pytester.makepyfile(
        patricide="""
        import os, signal, sys
        for name in sys.argv[1:]:
            os.kill(os.getppid(), getattr(signal, name))
        print("sent", flush=True)
        """,
        test_parent="""
        import signal
        from pytest_signals._children.fork_server import FORK_SERVER

        def test_kills_parent(spawn):
            proc = spawn("patricide.py", "SIGTERM", "SIGHUP", "SIGINT", "SIGUSR1", "SIGUSR2", "SIGQUIT", "SIGALRM")
            template = FORK_SERVER.pid
            assert proc.wait() == 0, proc.output
            later = spawn("patricide.py")
            assert later.wait() == 0
            assert FORK_SERVER.pid == template and FORK_SERVER.alive

        def test_the_child_has_the_usual_dispositions(spawn):
            probe = spawn("probe.py")
            assert probe.wait() == 0, probe.output
            assert probe.stdout == "<Handlers.SIG_DFL: 0> <Handlers.SIG_DFL: 0> default_int_handler\\n"
        """,
        probe="""
        import signal
        handlers = [signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGUSR1)]
        print(*map(repr, handlers), signal.getsignal(signal.SIGINT).__name__)
        """,
    )
    result = run("-rA", "-p", "no:randomly")
    result.assert_outcomes(passed=2)


@plain_children
def test_a_shell_command_that_setsids_a_background_program(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        test_cmd="""
        import sys

        def test_cmd(spawn):
            proc = spawn(["sh", "-c", "setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $!"])
            assert proc.wait() == 0
            with open("bg.pid", "w") as f:
                f.write(proc.stdout.strip())
        """,
    )
    result = run("-rA")
    result.assert_outcomes(passed=1)
    bg = int((pytester.path / "bg.pid").read_text())
    result.stdout.fnmatch_lines([f"*pid {bg} *sleep 1000*"])
    assert _gone_or_zombie(bg)


GRANDCHILD_SETSID = FAMILY.replace('"import os, signal; ', '"import os, signal; os.setsid(); ', 1)
assert "os.setsid()" in GRANDCHILD_SETSID
TEST_FAMILY = TEST_FAMILY_WAITING.replace("WAIT", HANG)


@plain_children
@START_METHODS
def test_sigkilled_pytest_grandchild_that_setsid(pytester: pytest.Pytester, start: str) -> None:
    pytester.makepyfile(family=GRANDCHILD_SETSID, test_family=TEST_FAMILY)

    def watched(line: bytes) -> list[int]:
        child, grandchild = (int(p) for p in line.split()[1:3])
        assert os.getsid(grandchild) == grandchild
        return [child, grandchild]

    sigkill_pytest_and_wait_gone(pytester, ["test_family.py", f"--signal-start-method={start}"], watched)


@plain_children
def test_grandchild_that_setsid_stopped_at_teardown(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        family=GRANDCHILD_SETSID,
        test_it="""
        def test_it(spawn):
            proc = spawn("family.py")
            m = proc.expect(r"family (\\d+) (\\d+)\\n")
            with open("gc.pid", "w") as f:
                f.write(m.group(2))
        """,
    )
    result = run("-rA")
    result.assert_outcomes(passed=1)
    gc = int((pytester.path / "gc.pid").read_text())
    result.stdout.fnmatch_lines([f"*pid {gc} *SIGKILL*"])
    assert _gone_or_zombie(gc)


@plain_children
def test_launch_values(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        prog="print('hi')",
        test_values="""
        import pytest

        @pytest.mark.parametrize("bad", ["Plain", "", " plain", "daemon", "init"])
        def test_bad_value(spawn, bad):
            with pytest.raises(ValueError) as info:
                spawn("prog.py", launch=bad)
            assert repr(bad) in str(info.value)

        @pytest.mark.parametrize("bad", [b"plain", 1, True, ["plain"]])
        def test_bad_type(spawn, bad):
            with pytest.raises(TypeError) as info:
                spawn("prog.py", launch=bad)
            assert repr(bad) in str(info.value)

        @pytest.mark.parametrize("kwargs, expected", [
            ({}, "plain"),
            ({"launch": "plain"}, "plain"),
            ({"launch": "service"}, "service"),
            ({"launch": "terminal"}, "terminal"),
            ({"tty": True}, "terminal"),
        ])
        def test_launch_attr(spawn, kwargs, expected):
            proc = spawn("prog.py", **kwargs)
            assert proc.launch == expected
            proc.wait()
            assert proc.tty == (expected == "terminal")

        @pytest.mark.parametrize("kwargs, expected", [
            ({}, "plain"),
            ({"launch": "service"}, "service"),
            ({"tty": True}, "terminal"),
        ])
        def test_launch_attr_command(spawn, kwargs, expected):
            proc = spawn(["sh", "-c", "echo $$ $(ps -o sid= -p $$) $(ps -o pgid= -p $$)"], **kwargs)
            assert proc.launch == expected
            proc.wait()
        """,
    )
    run("-rA").assert_outcomes(passed=17)


@plain_children
def test_the_anchor_is_not_a_descendant(pytester: pytest.Pytester, run) -> None:
    """The anchor (the zombie leader of a plain child's session) is the
    template's child, not the program's: it is no descendant of the child,
    nor an orphan of its tree."""
    pytester.makepyfile(
        test_anchor="""
        import os, signal
        import pytest

        def test_anchor(spawn, send_signal):
            other = spawn(["sh", "-c", "read x"])
            proc = spawn(["sh", "-c", "read x"])
            anchor = os.getsid(proc.pid)
            assert anchor != proc.pid
            assert proc.descendants() == []
            with pytest.raises((ValueError, ProcessLookupError)):
                proc.wait_descendant(anchor, timeout=1)
            with pytest.raises((ValueError, ProcessLookupError)):
                proc.wait_descendant(os.getsid(other.pid), timeout=1)
        """
    )
    run("-rA").assert_outcomes(passed=1)


@plain_children
@pytest.mark.parametrize("launch", ["plain", "service"])
def test_teardown_report_never_names_the_anchor(pytester: pytest.Pytester, run, launch: str) -> None:
    pytester.makepyfile(
        stubborn="""
        import os, signal, subprocess, sys
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        code = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('w', flush=True); signal.pause()"
        worker = subprocess.Popen([sys.executable, "-c", code],
                                  stdout=subprocess.PIPE, text=True)
        worker.stdout.readline()
        print("up", os.getsid(0), worker.pid, flush=True)
        signal.pause()
        """,
        test_it="""
        import os, signal, pytest

        def test_it(spawn, send_signal):
            proc = spawn("stubborn.py", launch=LAUNCH)
            m = proc.expect(r"up (\\d+) (\\d+)\\n")
            with open("ids", "w") as f:
                f.write(m.group(1) + " " + m.group(2))
            try:
                send_signal(signal.SIGTERM, to=int(m.group(1)))
            except Exception as exc:
                print("SEND", type(exc).__name__, exc)
            else:
                print("SEND accepted")
        """.replace("LAUNCH", repr(launch)),
    )
    result = run("-rA", "-s")
    result.assert_outcomes(passed=1)
    anchor, _worker = (pytester.path / "ids").read_text().split()
    if launch == "plain":
        assert f"pid {anchor} " not in result.stdout.str()


@plain_children
@START_METHODS
@pytest.mark.parametrize("launch", ["plain", "service"])
def test_late_children_that_end_at_once_leave_no_zombies(
    pytester: pytest.Pytester, run, helpers, start: str, launch: str
) -> None:
    """spawn() gives up (tiny timeout), the template's reply comes late and the
    child has already ended: the template must still reap it and its anchor."""
    pytester.makepyfile(
        quick="pass",
        test_late="""
        from inner_helpers import zombies, template_children, sync

        def test_late(spawn):
            sync(spawn)
            for timeout in [0.001, 0.002, 0.003, 0.004] * 6:
                for target in (["true"], "quick.py"):
                    try:
                        spawn(target, timeout=timeout, launch=LAUNCH).wait()
                    except Exception:
                        pass

        def test_nothing_left(spawn):
            sync(spawn)
            assert zombies() == [], template_children()
        """.replace("LAUNCH", repr(launch)),
    )
    run(f"--signal-start-method={start}", "-p", "no:randomly", "-rA").assert_outcomes(passed=2)


MANY_FAMILIES = """
import sys, threading

def test_many_families(spawn):
    pids = []
    for i in range(4):
        proc = spawn("family.py", *(["x"] if i % 2 else []))
        match = proc.expect(r"family (\\d+) (\\d+)\\n")
        pids += [match.group(1), match.group(2)]
    stopped = spawn("stopper.py")
    stopped.expect("stopping")
    pids.append(str(stopped.pid))
    sys.stdout.write(f"\\nPIDS {' '.join(pids)} READY\\n")
    sys.stdout.flush()
    threading.Event().wait(60)  # the outer test kills pytest long before
"""

FAMILY_MAYBE_SETSID = """
import os, signal, subprocess, sys
if len(sys.argv) > 1:
    os.setsid()
else:
    os.setpgrp()
signal.signal(signal.SIGTERM, signal.SIG_IGN)
grandchild = subprocess.Popen(
    [sys.executable, "-c",
     "import os, signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
     "print(os.getpid(), flush=True); signal.pause()"],
    stdout=subprocess.PIPE, text=True,
)
print("family", os.getpid(), grandchild.stdout.readline().strip(), flush=True)
while True:
    signal.pause()
"""


@plain_children
@START_METHODS
def test_sigkilled_pytest_with_many_plain_children(pytester: pytest.Pytester, start: str) -> None:
    pytester.makepyfile(
        family=FAMILY_MAYBE_SETSID,
        stopper="import os, signal; print('stopping', flush=True); os.kill(os.getpid(), signal.SIGSTOP); signal.pause()",  # noqa: E501
        test_family=MANY_FAMILIES,
    )

    def watched(line: bytes) -> list[int]:
        return [int(p) for p in line.split()[1:-1]]

    sigkill_pytest_and_wait_gone(pytester, ["test_family.py", f"--signal-start-method={start}"], watched)


@plain_children
@START_METHODS
def test_ignore_and_cwd_and_env_with_a_plain_child(pytester: pytest.Pytester, run, start: str) -> None:
    (pytester.path / "sub").mkdir()
    pytester.makepyfile(
        sub_prog="""
        import os, signal
        print(signal.getsignal(signal.SIGINT) == signal.SIG_IGN, os.getcwd().endswith("sub"),
              os.environ.get("HOSTILE"), os.getpid() != os.getpgrp(), flush=True)
        """,
        test_it="""
        import os, signal

        def test_py(spawn):
            proc = spawn(os.path.abspath("sub_prog.py"), ignore=[signal.SIGINT], cwd="sub", env={"HOSTILE": "1"})
            assert proc.launch == "plain"
            assert proc.wait() == 0, proc.output
            assert proc.stdout == "True True 1 True\\n"

        def test_cmd(spawn):
            script = "grep SigIgn /proc/$$/status; pwd; echo $HOSTILE; "
            script += "[ $$ != $(ps -o pgid= -p $$ | tr -d ' ') ] && echo plain"
            proc = spawn(["sh", "-c", script],
                         ignore=[signal.SIGINT], cwd="sub", env={"HOSTILE": "1"})
            assert proc.launch == "plain"
            assert proc.wait() == 0, proc.output
            out = proc.stdout.splitlines()
            assert int(out[0].split()[1], 16) & (1 << (signal.SIGINT - 1)), out
            assert out[-3].endswith("sub"), out
            assert out[-2:] == ["1", "plain"], out
        """,
    )
    run(f"--signal-start-method={start}").assert_outcomes(passed=2)
