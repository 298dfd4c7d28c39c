"""``spawn(..., as_init=True)``: a container's pid 1, and the orchestrators'
stop sequence (``proc.stop_sequence``)."""

from __future__ import annotations

import pytest

from pytest_signals._children import namespaces

needs_namespaces = pytest.mark.skipif(
    namespaces.unavailable() is not None, reason=f"needs a new pid namespace: {namespaces.unavailable()}"
)

# An entrypoint without a SIGTERM handler, and one with.
PROGRAMS = {
    "bare": """
import os, sys
print("up as", os.getpid(), "child of", os.getppid(), flush=True)
sys.stdin.read()
print("stdin closed", flush=True)
""",
    "handled": """
import os, signal, sys

def on_term(signum, frame):
    os.write(1, b"terminating\\n")
    sys.exit(3)

r, w = os.pipe()  # a wakeup fd: a SIGTERM that lands just before the wait still ends it
os.set_blocking(w, False)
signal.set_wakeup_fd(w)
signal.signal(signal.SIGTERM, on_term)
print("up as", os.getpid(), flush=True)
while True:
    os.read(r, 1)
""",
}


@pytest.fixture
def programs(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**PROGRAMS)


@needs_namespaces
def test_pid1_without_a_handler_ignores_sigterm(pytester: pytest.Pytester, run, programs) -> None:
    pytester.makepyfile(
        """
        import signal

        def test_sigterm_is_dropped(spawn, send_signal, signal_log):
            proc = spawn("bare.py", as_init=True)
            assert proc.as_init and proc.start_method == "exec"
            proc.expect("up as 1 child of 0\\n")  # pid 1 inside, its parent outside; proc.pid is its host pid
            assert proc.pid != 1
            delivery = send_signal(signal.SIGTERM, to=proc)
            assert delivery.outcome == "ignored", delivery.events
            assert "pid 1 of a pid namespace" in delivery.events[-1].detail
            assert proc.is_alive()
            proc.close_stdin()  # it still runs, and ends on its own
            proc.expect("stdin closed\\n")
            assert proc.wait() == 0

        def test_the_same_program_not_as_pid1_dies(spawn, send_signal):
            proc = spawn("bare.py")
            proc.expect("up as [0-9]+ child of [0-9]+\\n")
            assert send_signal(signal.SIGTERM, to=proc).wait().outcome == "default"
            assert proc.wait() == -signal.SIGTERM
        """
    )
    run().assert_outcomes(passed=2)


@needs_namespaces
def test_pid1_with_a_handler_runs_it_and_reports_its_host_pid(pytester: pytest.Pytester, run, programs) -> None:
    pytester.makepyfile(
        """
        import signal

        def test_handled(spawn, send_signal, signal_log):
            proc = spawn("handled.py", as_init=True)
            proc.wait_for_handler(signal.SIGTERM)
            proc.expect("up as 1\\n")
            delivery = send_signal(signal.SIGTERM, to=proc).wait()
            assert delivery.outcome == "handled" and delivery.handler == "handled.on_term"
            assert proc.wait() == 3
            signal_log.assert_handled(signal.SIGTERM, times=1, process=proc)
            assert {e.pid for e in signal_log if e.kind != "sent"} == {proc.pid}
            assert [e.kind for e in proc.events] == ["installed", "handled", "exited"]
        """
    )
    run().assert_outcomes(passed=1)


@needs_namespaces
def test_stop_sequence_needs_sigkill_without_a_handler(pytester: pytest.Pytester, run, programs) -> None:
    pytester.makepyfile(
        """
        import signal
        from pytest_signals import StopResult

        def test_bare(spawn, signal_log):
            proc = spawn("bare.py", as_init=True)
            proc.expect("up as 1 child of 0\\n")
            result = proc.stop_sequence(grace=0.3)
            assert isinstance(result, StopResult)
            assert not result.in_grace and result.killed, result
            assert result.returncode == -signal.SIGKILL and result.exit_signal == signal.SIGKILL
            assert result.elapsed >= 0.3
            assert "SIGKILL was needed" in str(result)
            sent = [e.signal for e in signal_log.filter("sent")]
            assert sent == [signal.SIGTERM, signal.SIGKILL]

        def test_handled(spawn):
            proc = spawn("handled.py", as_init=True)
            proc.wait_for_handler(signal.SIGTERM)
            result = proc.stop_sequence(grace=30)
            assert result.in_grace and not result.killed, result
            assert result.returncode == 3 and result.exit_signal is None
            assert result.elapsed < 30
            again = proc.stop_sequence(grace=30)
            assert again.already_ended and again.returncode == 3
        """
    )
    run().assert_outcomes(passed=2)


def test_stop_sequence_of_a_plain_child_and_bad_input(pytester: pytest.Pytester, run, programs) -> None:
    pytester.makepyfile(
        """
        import signal, pytest

        def test_plain(spawn):
            proc = spawn("handled.py")
            proc.wait_for_handler(signal.SIGTERM)
            result = proc.stop_sequence(grace=30, stop_signal="SIGTERM")
            assert result.in_grace and result.returncode == 3 and result.stop_signal == signal.SIGTERM

        def test_bad(spawn):
            proc = spawn("bare.py")
            with pytest.raises(ValueError, match="SIGKILL"):
                proc.stop_sequence(stop_signal=signal.SIGKILL)
            with pytest.raises(ValueError, match="SIGNOPE"):
                proc.stop_sequence(stop_signal="SIGNOPE")
            with pytest.raises(ValueError, match="grace"):
                proc.stop_sequence(grace=-1)
            proc.close_stdin()
            assert proc.wait() == 0
        """
    )
    run().assert_outcomes(passed=2)


@needs_namespaces
def test_orphans_become_pid1s_to_reap(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        init="""
        import os, sys

        reap = sys.argv[1] == "reap"
        go_r, go_w = os.pipe()
        middle = os.fork()
        if middle == 0:
            grandchild = os.fork()
            if grandchild == 0:
                os.close(go_w)
                os.read(go_r, 1)  # until its parent is gone and reaped
                print("orphan's parent is", os.getppid(), flush=True)
                os._exit(5)
            print("grandchild", grandchild, flush=True)
            os._exit(0)
        os.close(go_r)
        os.waitpid(middle, 0)
        os.write(go_w, b"g")
        line = sys.stdin.readline()  # the test passes the grandchild's pid on
        orphan = int(line)
        if reap:
            _, status = os.waitpid(orphan, 0)
            print("reaped orphan, exit code", os.waitstatus_to_exitcode(status), flush=True)
        else:
            os.waitid(os.P_PID, orphan, os.WEXITED | os.WNOWAIT)  # ended, left as it is
            with open(f"/proc/{orphan}/stat") as stat:
                print("orphan state", stat.read().rsplit(")", 1)[1].split()[0], flush=True)
        sys.stdin.readline()
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("mode", ["reap", "leave"])
        def test_orphan(spawn, mode):
            proc = spawn("init.py", mode, as_init=True)
            grandchild = proc.expect("grandchild ([0-9]+)\\n").group(1)
            proc.expect("orphan's parent is 1\\n")
            proc.write(grandchild + "\\n")
            if mode == "reap":
                proc.expect("reaped orphan, exit code 5\\n")
            else:
                proc.expect("orphan state Z\\n")  # a zombie: nobody else will reap it
            proc.write("\\n")
            assert proc.wait() == 0
        """
    )
    run().assert_outcomes(passed=2)


@needs_namespaces
def test_pid1_sees_what_a_plain_child_sees(pytester: pytest.Pytester, run) -> None:
    """Environment, command line, fds, dispositions and mask: the launcher in
    between changes none of them (a command, which prints them itself)."""
    pytester.makepyfile(
        """
        import os

        SHOW = r'''
        env | sort
        echo "args: $0 $*"
        grep -E '^Sig(Ign|Blk)' /proc/self/status
        ls /proc/self/fd
        pwd
        echo done
        '''

        def show(spawn, as_init, **options):
            proc = spawn(["sh", "-c", SHOW, "a b", "c"], env={"LC_ALL": None, "LANG": "C"}, as_init=as_init, **options)
            proc.expect("done\\n")
            assert proc.wait() == 0
            return proc.stdout

        def test_same(spawn):
            plain, init = show(spawn, False), show(spawn, True)
            assert init == plain
            assert "LC_CTYPE" not in init  # the launcher's interpreter's coercion (PEP 538) stays its own
            # (With cwd= or ignore=, a plain child starts through a shell that sets OLDPWD.)
            def ignoring(text):
                return int(next(line for line in text.splitlines() if line.startswith("SigIgn")).split()[1], 16)

            # The launcher's interpreter ignores SIGPIPE and SIGXFSZ; pid 1 does not.
            assert ignoring(init) & (1 << 12 | 1 << 24) == 0
            with_hup = [show(spawn, init, ignore=("SIGHUP",)) for init in (False, True)]
            assert ignoring(with_hup[0]) == ignoring(with_hup[1]) and ignoring(with_hup[1]) & 1  # SIGHUP

        def test_cwd(spawn, tmp_path):
            assert f"\\n{tmp_path}\\ndone" in show(spawn, True, cwd=tmp_path)
        """
    )
    run().assert_outcomes(passed=2)


@needs_namespaces
def test_a_c_level_handler_counts_and_sigkill_ends_the_namespace(pytester: pytest.Pytester, run) -> None:
    """A shell's trap is a handler the kernel sees; a daemon that left pid 1's
    session still dies with the namespace."""
    pytester.makepyfile(
        """
        import os, select, signal

        def members(proc):
            ns = os.readlink(f"/proc/{proc.pid}/ns/pid")
            found = []
            for entry in os.listdir("/proc"):
                if entry.isdigit() and int(entry) != proc.pid:
                    try:
                        if os.readlink(f"/proc/{entry}/ns/pid") == ns:
                            found.append(os.pidfd_open(int(entry)))
                    except OSError:
                        pass
            return found

        def test_trap(spawn, send_signal):
            script = "trap '' USR1; trap 'exit 4' TERM; echo ready; while :; do read x; done"
            proc = spawn(["sh", "-c", script], as_init=True)
            proc.expect("ready\\n")
            ignored = send_signal(signal.SIGUSR1, to=proc)  # SIG_IGN: the child's own choice, not the kernel's
            assert ignored.outcome == "ignored" and ignored.events[-1].detail == "ignored by the child"
            assert send_signal(signal.SIGTERM, to=proc).wait().outcome == "exited"
            assert proc.wait() == 4

        def test_namespace_dies_with_pid1(spawn):
            script = "setsid sh -c 'echo daemon; exec cat' & read x; echo never"
            proc = spawn(["sh", "-c", script], as_init=True)
            proc.expect("daemon\\n")
            inside = members(proc)
            assert inside  # the daemon, in a session of its own
            result = proc.stop_sequence(grace=0.2)
            assert result.killed
            for pidfd in inside:
                assert select.select([pidfd], [], [], 0)[0], "a process of the namespace outlived its pid 1"
                os.close(pidfd)
        """
    )
    run().assert_outcomes(passed=2)


def test_bad_as_init_and_tty(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_bad(spawn):
            with pytest.raises(TypeError, match="as_init='yes'"):
                spawn(["true"], as_init="yes")
            with pytest.raises(ValueError, match="as_init=True, tty=True"):
                spawn(["true"], as_init=True, tty=True)
        """
    )
    run().assert_outcomes(passed=1)


def test_skipped_with_the_reason_where_namespaces_are_missing(pytester: pytest.Pytester, run, monkeypatch) -> None:
    monkeypatch.setenv(namespaces.ENV_UNAVAILABLE, "user namespaces are disabled here")
    pytester.makepyfile(
        """
        import pytest

        def test_needs_pid1(spawn):
            spawn(["true"], as_init=True)
            raise AssertionError("not reached")

        def test_bad_input_is_an_error_even_here(spawn):
            with pytest.raises(FileNotFoundError, match="missing.py"):
                spawn("missing.py", as_init=True)
            with pytest.raises(TypeError, match="as_init=1"):
                spawn(["true"], as_init=1)
        """
    )
    result = run("-rs")
    result.assert_outcomes(skipped=1, passed=1)
    result.stdout.fnmatch_lines(
        ["*spawn(as_init=True) needs a new pid namespace: user namespaces are disabled here (*_NAMESPACES is set)*"]
    )


def test_the_probe_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(namespaces.sys, "platform", "darwin")
    assert namespaces._probe() == "pid namespaces are Linux's (this is darwin)"


def test_stop_result_says_how_it_stopped() -> None:
    from pytest_signals import StopResult

    stopped = StopResult(15, 10.0, True, False, 0, 0.25)
    assert str(stopped) == "stopped within the 10s grace after SIGTERM: exited with code 0 after 0.250s"
    killed = StopResult(15, 1.0, False, True, -9, 1.0)
    assert killed.exit_signal == 9
    assert stopped.exit_signal is None
    assert str(killed) == "did not stop within the 1s grace after SIGTERM: SIGKILL was needed (killed by SIGKILL)"


@needs_namespaces
def test_hostile_pid1_cannot_reach_the_session(pytester: pytest.Pytester, run) -> None:
    """pid 1 that signals every process it can (``kill(-1)``) or closes every
    fd reaches only its namespace, and its end is still learned."""
    pytester.makepyfile(
        hostile="""
        import os, signal, sys
        if os.getpid() != 1:
            sys.exit(99)  # never kill(-1) outside a namespace
        if os.fork() == 0:
            signal.pause()
        os.kill(-1, signal.SIGKILL)  # everything it may signal, but itself
        os.waitpid(-1, 0)
        print("pid 1 survived kill(-1)", flush=True)
        os.closerange(0, 1024)
        signal.pause()
        """
    )
    pytester.makepyfile(
        """
        import signal

        def test_hostile(spawn):
            proc = spawn("hostile.py", as_init=True)
            proc.expect("pid 1 survived kill\\\\(-1\\\\)\\n")
            result = proc.stop_sequence(grace=0.2)
            assert result.killed and result.returncode == -signal.SIGKILL, result

        def test_the_session_survived():
            pass
        """
    )
    run().assert_outcomes(passed=2)


@needs_namespaces
def test_teardown_ends_the_whole_namespace(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import os

        left = {}

        def in_namespace(ns):
            found = []
            for entry in os.listdir("/proc"):
                try:
                    if entry.isdigit() and os.readlink(f"/proc/{entry}/ns/pid") == ns:
                        found.append(int(entry))
                except OSError:
                    pass
            return found

        def test_left_running(spawn):
            proc = spawn(["sh", "-c", "sleep 600 & sleep 600 & echo started /proc/[0-9]*; wait"], as_init=True)
            proc.expect("started /proc/1 /proc/[0-9]+ /proc/[0-9]+\\n")  # its own /proc: the namespace alone
            assert "pid 1 of a new pid namespace, with its own /proc" in proc.started_as
            left["ns"] = os.readlink(f"/proc/{proc.pid}/ns/pid")
            assert len(in_namespace(left["ns"])) == 3

        def test_nothing_of_it_is_left():
            assert in_namespace(left["ns"]) == []
        """
    )
    run().assert_outcomes(passed=2)


@needs_namespaces
def test_events_of_pid1s_forks_carry_host_pids(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        forker="""
        import os, signal, sys

        def on_usr1(signum, frame):
            pass

        signal.signal(signal.SIGUSR1, on_usr1)
        pid = os.fork()
        if pid == 0:
            signal.raise_signal(signal.SIGUSR1)
            print("fork", os.getpid(), flush=True)
            sys.stdin.read()
            os._exit(0)
        sys.stdin.read()
        os.waitpid(pid, 0)
        """
    )
    pytester.makepyfile(
        """
        import threading

        def test_fork(spawn, signal_log):
            seen, pid1 = threading.Event(), []
            signal_log.add_listener(lambda e: e.kind == "handled" and e.pid not in pid1 and seen.set())
            proc = spawn("forker.py", as_init=True)
            pid1.append(proc.pid)
            inside = proc.expect("fork ([0-9]+)\\n").group(1)
            assert seen.wait(30), signal_log.timeline()
            [handled] = signal_log.handled
            assert handled.pid not in (proc.pid, int(inside))
            with open(f"/proc/{handled.pid}/status") as status:
                nspid = next(line.split()[1:] for line in status if line.startswith("NSpid:"))
            assert nspid == [str(handled.pid), inside]
            proc.close_stdin()
            assert proc.wait() == 0
        """
    )
    run().assert_outcomes(passed=1)


def test_the_probe_refuses_a_proc_of_another_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(namespaces.sys, "platform", "linux")
    monkeypatch.setattr(namespaces.os, "pidfd_open", lambda pid: -1, raising=False)
    monkeypatch.setattr(namespaces.remote, "proc_is_ours", lambda: False)
    assert "identity cannot be proven" in (namespaces._probe() or "")


def test_the_launcher_reports_statuses_as_waitpid_does() -> None:
    import os
    import signal
    from types import SimpleNamespace

    from pytest_signals._remote import init_launcher

    def raw(code: int, status: int) -> int:
        return init_launcher._raw_status(SimpleNamespace(si_code=code, si_status=status))  # type: ignore[arg-type]

    assert os.waitstatus_to_exitcode(raw(os.CLD_EXITED, 3)) == 3
    assert os.waitstatus_to_exitcode(raw(os.CLD_KILLED, signal.SIGKILL)) == -signal.SIGKILL
    assert os.WIFSTOPPED(raw(os.CLD_STOPPED, signal.SIGSTOP))
    assert os.WSTOPSIG(raw(os.CLD_STOPPED, signal.SIGSTOP)) == signal.SIGSTOP
    assert os.WCOREDUMP(raw(os.CLD_DUMPED, signal.SIGABRT))


@needs_namespaces
def test_sigstop_and_sigcont_reach_pid1(pytester: pytest.Pytester, run, programs) -> None:
    pytester.makepyfile(
        """
        import signal

        def test_stop(spawn, send_signal, signal_log):
            proc = spawn("bare.py", as_init=True)
            proc.expect("up as 1 child of 0\\n")
            assert send_signal(signal.SIGSTOP, to=proc).wait().outcome == "default"
            assert [e.detail for e in signal_log.defaults] == ["stopped by SIGSTOP"]
            send_signal(signal.SIGCONT, to=proc)
            proc.close_stdin()
            proc.expect("stdin closed\\n")  # it runs again: the launcher took the stop and waits on
            assert proc.wait() == 0
        """
    )
    run().assert_outcomes(passed=1)


@needs_namespaces
def test_pid1s_pipes_are_its_own(pytester: pytest.Pytester, run) -> None:
    """The launcher keeps no copy of pid 1's stdio: once pid 1 is gone its
    stdin is a broken pipe, as a plain child's is."""
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("as_init", [False, True])
        def test_broken_pipe(spawn, as_init):
            proc = spawn(["true"], as_init=as_init)
            assert proc.wait() == 0
            with pytest.raises(BrokenPipeError):
                proc.write("nobody reads this\\n")
        """
    )
    run().assert_outcomes(passed=2)


HANGS = """
import os, threading

def test_hangs(spawn):
    script = "setsid sh -c 'exec sleep 600' & sleep 600 & echo ready; wait"
    proc = spawn(["sh", "-c", script], as_init=True)
    proc.expect("ready\\n")
    ns = os.readlink(f"/proc/{proc.pid}/ns/pid")
    inside = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.readlink(f"/proc/{entry}/ns/pid") == ns:
                inside.append(entry)
        except OSError:
            pass
    with open(f"/proc/{proc.pid}/stat") as stat:
        launcher = stat.read().rsplit(")", 1)[1].split()[1]
    print("\\nPIDS", launcher, *inside, flush=True)
    threading.Event().wait(60)  # the test kills pytest long before
"""


@needs_namespaces
def test_a_sigkilled_pytest_leaves_nothing_of_the_namespace(pytester: pytest.Pytester) -> None:
    import contextlib
    import os
    import select
    import signal
    import subprocess
    import sys
    import time

    pytester.makepyfile(test_hangs=HANGS)
    inner = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-s", "-p", "no:cacheprovider", "test_hangs.py"],
        cwd=pytester.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert inner.stdout is not None
    pidfds: dict[int, int] = {}
    seen = b""
    try:
        deadline = time.monotonic() + 30
        while b"\nPIDS " not in seen or not seen.split(b"\nPIDS ", 1)[1].endswith(b"\n"):
            ready, _, _ = select.select([inner.stdout], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(inner.stdout.fileno(), 4096) if ready else b""
            assert chunk, f"pytest printed no PIDS line within 30s:\n{seen.decode(errors='replace')}"
            seen += chunk
        pids = [int(p) for p in seen.split(b"\nPIDS ", 1)[1].split()]
        assert len(pids) == 4, pids  # the launcher, pid 1, a sleep, and one in a session of its own
        pidfds = {os.pidfd_open(pid): pid for pid in pids}

        inner.kill()  # SIGKILL: no teardown
        assert inner.wait(timeout=30) == -signal.SIGKILL

        deadline = time.monotonic() + 10
        while pidfds:
            gone, _, _ = select.select(list(pidfds), [], [], max(0.0, deadline - time.monotonic()))
            assert gone, f"still running 10s after pytest was killed: {sorted(pidfds.values())}"
            for fd in gone:
                pidfds.pop(fd)
                os.close(fd)
    finally:
        if inner.poll() is None:
            inner.kill()
            inner.wait()
        for fd in pidfds:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(fd, signal.SIGKILL)
            os.close(fd)
        inner.stdout.close()


def test_without_root_through_a_user_namespace_as_the_same_user() -> None:
    """The launcher's unprivileged path: a user namespace mapping the user to
    itself (not to a fake root), its pid 1, its own /proc."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from pytest_signals._remote import init_launcher

    if not sys.platform.startswith("linux"):
        pytest.skip("pid namespaces are Linux's")
    source = Path(init_launcher.__file__).read_text()
    as_user: dict[str, object] = {}
    uid = os.geteuid()
    python = sys.executable
    if uid == 0:  # as root the launcher needs no user namespace: try an unprivileged user
        uid = 65534
        as_user = {"user": uid, "group": uid, "extra_groups": []}
        usable = [p for p in (sys.executable, "/usr/bin/python3") if _runs(p, as_user)]
        if not usable:
            pytest.skip("no interpreter that user 65534 may run")
        python = usable[0]
    done = subprocess.run(  # type: ignore[call-overload]
        [python, "-I", "-S", "-c", source, "--probe"], capture_output=True, text=True, timeout=60, **as_user
    )
    if done.returncode != 0 and "unshare" in done.stdout:
        pytest.skip(f"no unprivileged user namespaces here: {done.stdout.strip()}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"pid 1, uid {uid}, /proc: "), done.stdout


def _runs(python: str, as_user: dict[str, object]) -> bool:
    import subprocess

    try:
        done = subprocess.run([python, "-I", "-S", "-c", "pass"], capture_output=True, check=False, **as_user)  # type: ignore[call-overload]
    except OSError:
        return False
    return bool(done.returncode == 0)


@needs_namespaces
def test_a_blocked_sigterm_is_discarded_when_pid1_unblocks_it(pytester: pytest.Pytester, run) -> None:
    """Blocked, the SIGTERM stays pending; unblocked, the kernel drops it for
    pid 1 (a plain child dies of it then)."""
    pytester.makepyfile(
        blocker="""
        import signal, sys
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])
        print("blocked", flush=True)
        sys.stdin.readline()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
        print("unblocked", flush=True)
        sys.stdin.readline()
        """
    )
    pytester.makepyfile(
        """
        import signal, pytest

        @pytest.mark.parametrize("as_init", [True, False])
        def test_blocked(spawn, send_signal, as_init):
            proc = spawn("blocker.py", as_init=as_init)
            proc.expect("blocked\\n")
            delivery = send_signal(signal.SIGTERM, to=proc)
            proc.write("\\n")
            if as_init:
                assert delivery.outcome == "ignored"
                proc.expect("unblocked\\n")
                proc.write("\\n")
                assert proc.wait() == 0
            else:
                assert proc.wait() == -signal.SIGTERM
        """
    )
    run().assert_outcomes(passed=2)


@needs_namespaces
def test_a_program_that_cannot_be_executed_is_a_spawn_error(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import os, pytest
        from pytest_signals import SpawnError

        def test_exec_format_error(spawn, tmp_path):
            bad = tmp_path / "not-a-program"
            bad.write_bytes(b"\\x00\\x01\\x02\\x03")
            bad.chmod(0o755)
            with pytest.raises(OSError):  # a plain child: posix_spawn's error
                spawn([str(bad)])
            with pytest.raises(SpawnError, match="Exec format error"):
                spawn([str(bad)], as_init=True)
        """
    )
    run().assert_outcomes(passed=1)


def test_the_events_of_pid1s_short_lived_forks_never_name_a_host_process(pytester: pytest.Pytester, run) -> None:
    """Forks that end before their reports are read cannot be mapped to host
    pids any more: their events must not carry the namespace's numbers (2,
    3...), which name the host's kernel threads."""
    pytester.makepyfile(
        forker="""
        import os, signal

        def on_usr1(signum, frame):
            pass

        signal.signal(signal.SIGUSR1, on_usr1)
        for _ in range(5):
            pid = os.fork()
            if pid == 0:
                signal.raise_signal(signal.SIGUSR1)
                os._exit(0)
            os.waitpid(pid, 0)
        """
    )
    pytester.makepyfile(
        """
        def test_forks(spawn, signal_log):
            proc = spawn("forker.py", as_init=True)
            assert proc.wait() == 0
            handled = signal_log.filter("handled", process=None)
            assert len(handled) == 5, signal_log.timeline()
            pids = {e.pid for e in signal_log if e.pid != proc.pid and e.kind != "sent"}
            assert pids and not any(1 < pid < 100 for pid in pids), signal_log.timeline()
            assert signal_log.tree(proc) >= {e.pid for e in handled}
        """
    )
    run().assert_outcomes(passed=1)
