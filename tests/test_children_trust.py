"""Spawned children: never the wrong process, never a lost byte, never a state
the test did not ask for; and the stop sequence, input and waits users need.
Found by trying ``spawn`` as a hostile user would."""

from __future__ import annotations

import os
import sys
import types

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX only")


# Where the fork server's template cannot start a command (macOS, a hard limit
# above the template's), pytest starts it itself.
STARTED_BY_PYTEST = """
from pytest_signals._children import fork_server

fork_server.FORK_SERVER.exec_refusal = lambda baseline, timeout: "the test says so"
"""


def test_a_status_something_else_took_is_unknown_never_invented(pytester: pytest.Pytester, run) -> None:
    # A command pytest started itself is the test process's own child: code
    # under test that ignores SIGCHLD (the kernel then discards statuses) or
    # reaps with waitpid(-1) takes its status. subprocess would say "exit 0";
    # the plugin says unknown.
    pytester.makeconftest(STARTED_BY_PYTEST)
    pytester.makepyfile(
        """
        import os, signal, sys
        CMD = [sys.executable, "-c", "import sys; print('up', flush=True); sys.stdin.read()"]

        def test_sigchld_ignored(spawn, send_signal, signal_log):
            signal.signal(signal.SIGCHLD, signal.SIG_IGN)
            proc = spawn(CMD)
            proc.expect("up")
            send_signal(signal.SIGTERM, to=proc)
            assert proc.wait() is None
            assert proc.returncode is None and not proc.is_alive()
            assert "SIGCHLD set to SIG_IGN" in proc.status_unknown
            assert "exit status unknown" in signal_log.exits[0].detail
            assert "exit status unknown" in repr(proc)

        def test_reaped_by_the_code_under_test(spawn, send_signal):
            proc = spawn(CMD)
            proc.expect("up")
            os.kill(proc.pid, signal.SIGKILL)
            pid, status = os.waitpid(-1, 0)  # what a "reap every child" loop does
            assert pid == proc.pid
            # The plugin saw the exit before the code under test reaped it (its
            # status is then known), or it did not: never an invented "exit 0".
            code = proc.wait()
            if code is None:
                assert "reaped it" in proc.status_unknown
            else:
                assert code == -signal.SIGKILL and proc.status_unknown is None

        def test_after():  # the session's SIGCHLD is back, and later children are known again
            assert signal.getsignal(signal.SIGCHLD) == signal.SIG_DFL
        """
    )
    run().assert_outcomes(passed=3)


@pytest.mark.skipif(
    not hasattr(os, "pidfd_open") or not sys.platform.startswith("linux"),
    reason="the fork server's template starts commands only on Linux",
)
def test_a_command_the_template_started_keeps_its_status_from_the_code_under_test(
    pytester: pytest.Pytester, run
) -> None:
    # The template is its parent (as for a forked child): SIGCHLD ignored or a
    # waitpid(-1) in the test process takes nothing from it.
    pytester.makepyfile(
        """
        import os, signal, sys
        import pytest
        CMD = [sys.executable, "-c", "import sys; print('up', flush=True); sys.stdin.read()"]

        def test_sigchld_ignored(spawn, send_signal):
            signal.signal(signal.SIGCHLD, signal.SIG_IGN)
            proc = spawn(CMD)
            proc.expect("up\\n")
            send_signal(signal.SIGTERM, to=proc)
            assert proc.wait() == -signal.SIGTERM and proc.status_unknown is None

        def test_reaped_by_the_code_under_test(spawn):
            proc = spawn(CMD)
            proc.expect("up\\n")
            os.kill(proc.pid, signal.SIGKILL)
            with pytest.raises(ChildProcessError):
                os.waitpid(-1, 0)  # what a "reap every child" loop does: the command is not its child
            assert proc.wait() == -signal.SIGKILL
        """
    )
    run().assert_outcomes(passed=2)


def test_a_stopped_child_gets_sigcont_with_sigterm_and_stops_gracefully(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        app="""
        import os, signal, sys
        def on_term(signum, frame):
            with open("terminated", "w") as f:
                f.write("graceful")
            os._exit(0)
        signal.signal(signal.SIGTERM, on_term)
        r, w = os.pipe()  # a wakeup fd: a SIGTERM that lands just before the wait still ends it
        os.set_blocking(w, False)
        signal.set_wakeup_fd(w)
        print("up", flush=True)
        while True:
            os.read(r, 1)
        """,
        test_it="""
        import signal
        def test_leaves_it_stopped(spawn, send_signal):
            proc = spawn("app.py")
            proc.wait_for_handler(signal.SIGTERM)
            proc.expect("up")
            assert send_signal(signal.SIGSTOP, to=proc).wait().outcome == "default"
        """,
    )
    result = run("-s")
    result.assert_outcomes(passed=1)
    # As systemd does: SIGTERM, then SIGCONT, so the stopped program acts on it (not SIGKILL after the grace).
    assert (pytester.path / "terminated").read_text() == "graceful"


def test_input_is_bounded_closable_and_waits_are_catchable(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        filter="""
        import sys
        data = sys.stdin.read()
        print(f"eof after {len(data)} bytes", flush=True)
        """,
        deaf="import signal; print('up', flush=True); signal.pause()",
        test_it="""
        import signal
        import pytest
        from pytest_signals import WaitFailed

        def test_close_stdin(spawn):
            proc = spawn("filter.py")
            proc.write("hello")
            proc.close_stdin()
            proc.close_stdin()  # twice is fine
            proc.expect("eof after 5 bytes")
            assert proc.wait() == 0
            with pytest.raises(ValueError, match="has no stdin"):
                proc.write("more")

        def test_write_to_a_child_that_never_reads(spawn):
            proc = spawn("deaf.py")
            proc.expect("up")
            with pytest.raises(WaitFailed, match="to write 1048576 bytes to the input of pid .*does not read"):
                proc.write(b"x" * (1 << 20), timeout=0.5)

        def test_wait_is_an_exception_a_helper_can_catch(spawn):
            proc = spawn("deaf.py")
            proc.expect("up")
            try:
                proc.wait(timeout=0.2)
            except Exception as exc:  # a helper's fallback
                assert isinstance(exc, AssertionError)
                assert "waited 0.2s for pid" in str(exc) and "signal timeline" in str(exc)
            else:
                raise AssertionError("wait() returned for a running child")

        def test_stop(spawn):
            proc = spawn("deaf.py")
            proc.expect("up")
            assert proc.stop() == -signal.SIGTERM
            assert proc.stop() == -signal.SIGTERM  # twice is fine

        def test_stop_escalates_to_sigkill(spawn):
            proc = spawn(["sh", "-c", "trap '' TERM; echo up; while :; do sleep 1; done"])
            proc.expect("up")
            assert proc.stop(grace=0.2) == -signal.SIGKILL
        """,
    )
    run().assert_outcomes(passed=5)


def test_expect_keeps_its_place_after_invalid_utf8(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        app="import sys; sys.stdout.buffer.write(b'caf\\xe9 ONE\\nTWO\\n'); sys.stdout.flush()",
        test_it="""
        def test_bytes(spawn):
            proc = spawn("app.py")
            proc.expect("ONE")
            proc.expect("TWO")
            assert proc.wait() == 0
            assert proc.stdout == "caf\\ufffd ONE\\nTWO\\n"
        """,
    )
    run().assert_outcomes(passed=1)


def test_a_command_is_found_in_the_childs_path(pytester: pytest.Pytester, run) -> None:
    tool = pytester.path / "bin" / "mytool"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\necho mytool ran\n")
    tool.chmod(0o755)
    pytester.makepyfile(
        """
        import os
        def test_path(spawn):
            env = {"PATH": os.path.abspath("bin") + os.pathsep + os.environ["PATH"]}
            proc = spawn(["mytool"], env=env)
            proc.expect("mytool ran")
            assert proc.wait() == 0
            assert proc.argv == ["mytool"]
        """
    )
    run().assert_outcomes(passed=1)


@pytest.mark.parametrize("start", ["exec", "forkserver"])
def test_the_channel_never_writes_into_a_file_the_program_reused(pytester: pytest.Pytester, start: str) -> None:
    if start == "forkserver" and not sys.platform.startswith("linux"):
        pytest.skip("the fork server is Linux's")
    # A daemon-style program closes every fd above 2 and opens its log: it gets
    # fd 3, where the channel was at exec. The channel moved out of the way at
    # start, and checks its pipe is still its pipe before each write.
    pytester.makepyfile(
        daemon="""
        import os, signal
        os.closerange(3, 1 << 16)
        log = os.open("daemon.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        assert log == 3, log
        os.write(log, b"log start\\n")
        def on_term(signum, frame):
            os.write(log, b"term\\n")
            os._exit(0)
        signal.signal(signal.SIGTERM, on_term)
        r, w = os.pipe()  # a wakeup fd: a SIGTERM that lands just before the wait still ends it
        os.set_blocking(w, False)
        signal.set_wakeup_fd(w)
        print("up", flush=True)
        while True:
            os.read(r, 1)
        """,
        test_it="""
        import signal
        def test_daemon(spawn, send_signal):
            proc = spawn("daemon.py")
            proc.expect("up")
            assert send_signal(signal.SIGTERM, to=proc).wait().outcome == "exited"
            assert proc.wait() == 0
        """,
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--signal-start-method={start}")
    result.assert_outcomes(passed=1)
    assert (pytester.path / "daemon.log").read_bytes() == b"log start\nterm\n"


def test_the_channel_leaves_fd_3_free_for_the_program(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        app="""
        import os
        try:
            os.fstat(3)
        except OSError:
            print("fd 3 is free", flush=True)
        """,
        test_it="""
        def test_fd3(spawn):
            proc = spawn("app.py")
            proc.expect("fd 3 is free")
            assert proc.wait() == 0
        """,
    )
    run().assert_outcomes(passed=1)


class _FakeProcess:
    """Records the order of the stop phases (no processes, no signals)."""

    def __init__(self, calls: list[str], name: str) -> None:
        self.calls, self.name = calls, name
        self.pid, self.target = 0, name
        self.orphans_adopted = False  # no fork-server template to sweep

    def begin_stop(self) -> bool:
        self.calls.append(f"term {self.name}")
        return True

    def finish_stop(self, deadline: float) -> None:
        self.calls.append(f"wait {self.name} {deadline}")

    def release(self) -> None:
        self.calls.append(f"release {self.name}")

    def teardown_notes(self, stopped: bool) -> list[str]:
        return [f"{self.name} stopped"] if stopped else []


def test_teardown_stops_every_child_at_once_with_one_grace_period(monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_signals._children import spawn as spawn_module

    calls: list[str] = []
    spawner = spawn_module.Spawner.__new__(spawn_module.Spawner)
    spawner.processes = [_FakeProcess(calls, n) for n in "abc"]  # type: ignore[list-item]
    spawner._guard = types.SimpleNamespace(settings=types.SimpleNamespace(timeout=1.0))  # type: ignore[assignment]
    monkeypatch.setattr(spawn_module, "monotonic", lambda: 100.0)
    monkeypatch.setattr(spawn_module.FORK_SERVER, "late_notes", lambda timeout: [])
    notes = spawner.close_all(grace=1.0)
    assert calls == [
        "term a",
        "term b",
        "term c",
        "wait a 101.0",
        "wait b 101.0",
        "wait c 101.0",
        "release a",
        "release b",
        "release c",
    ]
    assert len(notes) == 3


def test_a_path_that_is_not_python_source_runs_as_that_program_or_is_refused(pytester: pytest.Pytester, run) -> None:
    notes = pytester.path / "notes.txt"
    notes.write_text("not python\n")
    pytester.makepyfile(
        """
        import sys
        import pytest

        def test_the_interpreter_itself(spawn):
            proc = spawn(sys.executable, "-c", "print('hello from -c')")
            proc.expect("hello from -c")
            assert proc.wait() == 0
            assert not proc.instrumented

        def test_a_file_that_is_neither(spawn):
            with pytest.raises(ValueError, match=r"not a Python script .* spawn\\(\\[sys.executable, './no"):
                spawn("./notes.txt")
        """
    )
    run().assert_outcomes(passed=2)


def test_the_pid_of_a_spawned_child_is_that_child(pytester: pytest.Pytester, run) -> None:
    # People porting Popen code write the pid: it gets the same delivery as the process.
    pytester.makepyfile(
        app="""
        import os, signal
        def on_term(signum, frame):
            raise SystemExit(3)
        signal.signal(signal.SIGTERM, on_term)
        r, w = os.pipe()  # a wakeup fd: a SIGTERM that lands just before the wait still ends it
        os.set_blocking(w, False)
        signal.set_wakeup_fd(w)
        print("up", flush=True)
        while True:
            os.read(r, 1)
        """,
        test_it="""
        import signal
        def test_pid(spawn, send_signal):
            proc = spawn("app.py")
            proc.wait_for_handler(signal.SIGTERM)
            delivery = send_signal(signal.SIGTERM, to=proc.pid).wait()
            assert delivery.outcome == "handled" and delivery.handler == "app.on_term"
            assert proc.wait() == 3
            try:
                send_signal(signal.SIGTERM, to=proc.pid)  # its number may be anyone's now
            except ProcessLookupError as exc:
                assert "already exited with code 3" in str(exc)
            else:
                raise AssertionError("a signal went to the pid of a child that had ended")
        """,
    )
    run().assert_outcomes(passed=1)


def test_a_plain_test_waits_for_a_childs_event_synchronously(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        service="""
        import asyncio, signal
        async def worker():
            await asyncio.Event().wait()
        async def main():
            task = asyncio.create_task(worker(), name="worker")
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
            print("up", flush=True)
            try:
                await task
            except asyncio.CancelledError:
                pass
        asyncio.run(main())
        """,
        test_it="""
        import signal
        import pytest
        from pytest_signals import WaitFailed

        def test_cancelled(spawn, send_signal):
            proc = spawn("service.py")
            proc.wait_for_handler(signal.SIGTERM)
            proc.expect("up")
            send_signal(signal.SIGTERM, to=proc)
            event = proc.wait_for_event("cancelled", task="worker")
            assert event.task == "worker" and event.pid == proc.pid
            assert proc.wait() == 0
            with pytest.raises(WaitFailed, match="to report a handled SIGUSR1 event; it ended first"):
                proc.wait_for_event("handled", signal.SIGUSR1)
            with pytest.raises(ValueError, match="unknown event kind 'nope'"):
                proc.wait_for_event("nope")
        """,
    )
    run().assert_outcomes(passed=1)


def test_expect_any_all_count_and_what_the_failure_says(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        server="""
        import sys
        for n in (1, 2, 3):
            print(f"worker {n} booted", flush=True)
        print("listening on 8000", flush=True)
        print("worker 3 ready", flush=True)
        print("worker 1 ready", flush=True)
        sys.stdin.read()
        """,
        quiet="import sys; sys.stderr.write('only stderr\\n'); sys.stderr.flush(); sys.stdin.read()",
        test_it="""
        import pytest
        from pytest_signals import WaitFailed

        def test_expect_family(spawn):
            proc = spawn("server.py")
            assert [m.group(1) for m in proc.expect_count(r"worker (\\d) booted", 3)] == ["1", "2", "3"]
            which, match = proc.expect_any([r"error: (.*)", r"listening on (\\d+)"])
            assert (which, match.group(1)) == (1, "8000")
            ready = proc.expect_all(["worker 1 ready", "worker 3 ready"])  # in the order printed: 3, then 1
            assert [m.group(0) for m in ready] == ["worker 1 ready", "worker 3 ready"]
            with pytest.raises(WaitFailed) as failure:
                proc.expect("listening", timeout=0.2)
            message = str(failure.value)
            assert "'listening' did appear, at byte" in message and "before the previous match ended" in message
            assert "block-buffer" not in message  # it printed: buffering is not the problem
            with pytest.raises(TypeError, match="expect_any"):
                proc.expect(["a", "b"])
            with pytest.raises(ValueError, match="count=0"):
                proc.expect_count("x", 0)

        def test_the_buffering_hint_only_when_nothing_was_printed(spawn):
            proc = spawn("quiet.py")
            with pytest.raises(WaitFailed, match="nothing on stdout yet: a pipe makes Python block-buffer it"):
                proc.expect("never", timeout=0.2)
        """,
    )
    run().assert_outcomes(passed=2)


def test_unread_output_is_kept_once_within_the_bound(pytester: pytest.Pytester, run) -> None:
    # 64 MB of output nobody reads: kept in one copy, spilled to a file past the bound.
    pytester.makepyfile(
        flood="""
        import os, sys
        block = b"x" * (1 << 20)
        for _ in range(64):
            sys.stdout.buffer.write(block)
        sys.stdout.flush()
        sys.stderr.write("END\\n")
        """,
        test_it="""
        import resource
        def test_flood(spawn):
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            proc = spawn("flood.py")
            assert proc.wait() == 0
            grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
            assert grown_mb < 24, f"pytest grew by {grown_mb:.0f} MB for 64 MB of output"
            assert proc.stderr == "END\\n"
            assert proc.expect_exact("END").group(0) == "END"
        """,
    )
    run("--signal-output-memory=1M").assert_outcomes(passed=1)


ENTRYPOINT_APP = """
import os, signal, sys
def on_term(signum, frame):
    os.write(1, b"app got SIGTERM\\n")  # not print: see examples/entrypoint/app.py
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
r, w = os.pipe()  # a wakeup fd: a SIGTERM that lands just before the wait still ends it
os.set_blocking(w, False)
signal.set_wakeup_fd(w)
print("app up", os.getpid(), flush=True)
while True:
    os.read(r, 1)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the session sweep reads /proc (Linux)")
def test_teardown_reaches_descendants_that_left_the_group_and_names_them(pytester: pytest.Pytester, run) -> None:
    # A supervisor starts its worker in a process group of its own (preexec_fn=os.setpgrp, as
    # tini does): killing the child's group misses it; its session does not.
    pytester.makepyfile(
        supervisor="""
        import os, signal, subprocess, sys
        code = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); signal.pause()"
        worker = subprocess.Popen(
            [sys.executable, "-c", code], preexec_fn=os.setpgrp, stdout=subprocess.PIPE, text=True
        )
        worker.stdout.readline()
        print("worker", worker.pid, flush=True)
        signal.pause()
        """,
        test_it="""
        import os
        def test_leaves_a_supervisor(spawn):
            proc = spawn("supervisor.py")
            worker = int(proc.expect(r"worker (\\d+)\\n").group(1))
            assert os.getpgid(worker) != os.getpgid(proc.pid) and os.getsid(worker) == os.getsid(proc.pid)
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
    else:  # the pid may be anyone's by now, but only if it was reaped: it is a zombie or gone
        with open(f"/proc/{worker}/stat") as stat:
            assert stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"), "the worker survived teardown"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the session sweep reads /proc (Linux)")
@pytest.mark.parametrize("entrypoint", ["python3 app.py", "exec python3 app.py"])
def test_the_shell_entrypoint_pitfall_is_reported(pytester: pytest.Pytester, run, entrypoint: str) -> None:
    # The most common Docker signal bug: sh runs the app without exec, SIGTERM kills sh,
    # the app never gets it. The test passes (exit -15), but teardown says what happened.
    pytester.makepyfile(app=ENTRYPOINT_APP)
    script = pytester.path / "entrypoint.sh"
    script.write_text(f"#!/bin/sh\n{entrypoint.replace('python3', sys.executable)}\n")
    script.chmod(0o755)
    pytester.makepyfile(
        test_it="""
        import signal
        def test_stop(spawn, send_signal):
            proc = spawn("./entrypoint.sh")
            proc.expect("app up")
            send_signal(signal.SIGTERM, to=proc)
            proc.wait()
        """
    )
    result = run("-rA")
    result.assert_outcomes(passed=1)
    pitfall = "*never got it from the test: an entrypoint that runs the program without exec does not pass signals on*"
    if entrypoint.startswith("exec"):
        assert "does not pass signals on" not in result.stdout.str()
    else:
        outlived = "*, a descendant of pid *, was still running: SIGKILL. It outlived pid *, which ended after"
        result.stdout.fnmatch_lines([f"{outlived} the test's SIGTERM{pitfall}"])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork server and pidfds are Linux's")
def test_a_dead_template_leaves_its_children_running_stoppable_and_their_status_unknown(
    pytester: pytest.Pytester,
) -> None:
    # The OOM killer takes the template: its children run on, orphans. Never
    # "exited with code 0": they are still running, still reachable through
    # their pidfds, stopped at teardown, and their status is unknown, with why.
    pytester.makepyfile(
        app="""
        import signal
        print("up", flush=True)
        while True:
            signal.pause()
        """,
        test_it="""
        import os, signal
        from pytest_signals._children.fork_server import FORK_SERVER

        def kill_the_template():
            pidfd = os.pidfd_open(FORK_SERVER.pid)
            os.kill(FORK_SERVER.pid, signal.SIGKILL)
            import select
            assert select.select([pidfd], [], [], 10)[0], "the template outlived SIGKILL"
            os.close(pidfd)

        def test_signalled(spawn, send_signal):
            proc = spawn("app.py")
            proc.expect("up")
            assert proc.forked
            kill_the_template()
            assert proc.is_alive()
            send_signal(signal.SIGTERM, to=proc)  # through its pidfd: it is that child
            assert proc.wait() is None
            assert "template" in proc.status_unknown and proc.returncode is None

        def test_left_running(spawn):
            proc = spawn("app.py")
            proc.expect("up")
            assert proc.forked
            kill_the_template()
            assert proc.is_alive()
            with open("pid", "w") as f:
                f.write(str(proc.pid))
        """,
    )
    for name in ("signalled", "left_running"):  # a session each: a dead template is not replaced
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "--signal-start-method=forkserver", "-rA", "-k", name
        )
        result.assert_outcomes(passed=1)
        assert "exited with code 0" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*pid * ('app.py') was still running at the end of the test: stopped*"])
    pid = int((pytester.path / "pid").read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        pass
    else:
        with open(f"/proc/{pid}/stat") as stat:
            assert stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"), "the orphan survived teardown"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork server and pidfds are Linux's")
def test_a_child_that_stops_the_template_does_not_freeze_the_session(pytester: pytest.Pytester) -> None:
    # A forked child's parent is the template: os.kill(os.getppid(), SIGSTOP)
    # there stops it (without the plugin it would stop pytest). A stopped
    # template answered nothing: every later spawn of the session failed
    # after its bound, and teardown waited out each release (about 40 s).
    # Now it is resumed before a request, and when a child whose end a call
    # awaits ends (a wait, stop_sequence, teardown): those succeed, and the
    # report says it once per test.
    pytester.makepyfile(
        stopper="""
        import os, signal, sys
        sys.stdin.readline()  # not before its spawn() returned: the template's reply would wait
        os.kill(os.getppid(), signal.SIGSTOP)
        print("stopped", os.getppid(), flush=True)
        sys.stdin.readline()
        os.kill(os.getppid(), signal.SIGSTOP)
        print("stopped again", flush=True)
        sys.stdin.read()
        """,
        waiter="""
        import sys
        sys.stdin.read()
        """,
        test_it="""
        import sys
        from pytest_signals._children.fork_server import FORK_SERVER

        def stop_it(spawn):
            stopper = spawn("stopper.py")
            assert stopper.forked
            stopper.write("\\n")
            return stopper

        def test_spawns_after(spawn):
            stopper = stop_it(spawn)
            assert int(stopper.expect(r"stopped (\\d+)").group(1)) == FORK_SERVER.pid
            proc = spawn(sys.executable, "-c", "print('started')")  # the template resumed first
            assert proc.wait() == 0 and proc.stdout == "started\\n"
            stopper.write("\\n")
            stopper.expect("stopped again")
            assert spawn("waiter.py").forked  # resumed again; said once

        def test_a_wait_on_another_child(spawn):
            proc = spawn("waiter.py")
            assert proc.forked
            stop_it(spawn).expect("stopped")
            proc.close_stdin()  # it ends: its pidfd tells, the stopped template would not
            assert proc.wait() == 0

        def test_a_stop_sequence(spawn):
            proc = spawn("waiter.py")
            stop_it(spawn).expect("stopped")
            result = proc.stop_sequence(grace=3)  # it ends on SIGTERM at once
            assert result.in_grace and not result.killed

        def test_ends_with_the_template_stopped(spawn):
            spawn("waiter.py"), spawn("waiter.py")
            stop_it(spawn).expect("stopped")  # teardown stops three forked children

        def test_a_terminal_job_that_stops_its_leader(spawn):
            proc = spawn("stopper.py", tty=True)  # its parent is its terminal's session leader
            proc.write("go\\n")
            proc.expect("stopped")
            proc.write("end\\n")  # it ends, and its stopped leader would not tell
            proc.expect("stopped again")
            proc.write("\\x04")  # Ctrl-D: the end of its input
            assert proc.wait() == 0

        def test_next(spawn):
            proc = spawn(sys.executable, "-c", "print('next')")
            assert proc.wait() == 0
        """,
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--signal-start-method=forkserver")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(
        [
            "*::test_a_terminal_job_that_stops_its_leader: the terminal's session leader (pid *) of pid *, its "
            "parent, was stopped*resumed it with SIGCONT*"
        ]
    )
    was_stopped = "the fork server's template (pid *), the parent of the forked children, was stopped (a SIGSTOP"
    result.stdout.fnmatch_lines([f"*test_it.py::test_spawns_after: {was_stopped}*resumed it with SIGCONT*"])
    for test in ("test_spawns_after", "test_a_wait_on_another_child", "test_a_stop_sequence"):
        notes = [line for line in result.outlines if f"::{test}: " in line and "was stopped" in line]
        assert len(notes) == 1, (test, notes)  # said once, however many times it was stopped
    teardown = [line for line in result.outlines if "::test_ends_with_the_template_stopped: pid" in line]
    assert len(teardown) == 3, result.outlines
    assert all(line.endswith("was still running at the end of the test: stopped") for line in teardown), teardown


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="survivors are read from /proc (Linux)")
def test_the_buggy_entrypoint_example_fails_naming_the_app(pytester: pytest.Pytester) -> None:
    from pathlib import Path

    examples = Path(__file__).parent.parent / "examples"
    pytester.makepyfile(test_entrypoint_example=(examples / "test_entrypoint_example.py").read_text())
    (pytester.path / "entrypoint").mkdir()
    for name in ("app.py", "entrypoint.sh", "entrypoint_exec.sh"):
        (pytester.path / "entrypoint" / name).write_text((examples / "entrypoint" / name).read_text())
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--runxfail", "-k", "test_entrypoint_stops_the_app"
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E   *AssertionError: pid * (*entrypoint.sh*) killed by SIGTERM, but processes it started still run:",
            "E         pid *: * */entrypoint/app.py",
            "E   *The test's SIGTERM went to pid * only, and it did not pass it on: a shell entrypoint that runs "
            "the program without exec*",
        ]
    )


@pytest.mark.parametrize("how", ["exec", "forkserver", "tty-exec", "tty-forkserver", "command"])
def test_a_child_can_start_with_signals_ignored_as_nohup_and_cmd_amp_leave_them(
    pytester: pytest.Pytester, how: str
) -> None:
    if "forkserver" in how and not sys.platform.startswith("linux"):
        pytest.skip("the fork server is Linux's")
    pytester.makepyfile(
        probe="""
        import signal
        names = ("SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM")
        print("DISPOSITIONS", [signal.getsignal(getattr(signal, n)) == signal.SIG_IGN for n in names], flush=True)
        signal.pause()
        """,
        test_it=f"""
        import signal, sys
        import pytest
        def test_ignored(spawn, send_signal):
            tty = {"tty" in how!r}
            if {how!r} == "command":
                proc = spawn([sys.executable, "probe.py"], ignore=("SIGHUP", signal.SIGINT), cwd=".")
            else:
                proc = spawn("probe.py", tty=tty, ignore=("SIGHUP", signal.SIGINT))
            line = proc.expect(r"DISPOSITIONS (.*)\\r?\\n").group(1)  # the whole line: print may write it in pieces
            assert line.startswith("[True, True, False, False]"), line
            if proc.instrumented:
                assert send_signal(signal.SIGHUP, to=proc).outcome == "ignored"
            with pytest.raises(ValueError, match="SIGKILL cannot be ignored"):
                spawn("probe.py", ignore=["SIGKILL"])
        """,
    )
    method = "exec" if how in ("exec", "tty-exec", "command") else "forkserver"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--signal-start-method={method}")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize("method", ["exec", "forkserver"])
def test_without_waitid_children_are_reaped_at_once_and_their_groups_left_alone(
    pytester: pytest.Pytester, method: str
) -> None:
    # macOS has no os.waitid before Python 3.13: a child's end reaps it at once,
    # and from then on nothing proves its group's number is still its own.
    if method == "forkserver" and not sys.platform.startswith("linux"):
        pytest.skip("the fork server is Linux's")
    pytester.makeconftest(
        """
        import os
        if hasattr(os, "waitid"):
            del os.waitid  # as on macOS before 3.13 (the template, started from here, too)
        """
    )
    pytester.makepyfile(
        app="import signal; print('up', flush=True); signal.pause()",
        test_it="""
        import signal
        def test_stop_and_status(spawn, send_signal):
            proc = spawn("app.py")
            proc.expect("up")
            assert send_signal(signal.SIGTERM, to=proc).wait().outcome == "default"
            assert proc.wait() == -signal.SIGTERM

        def test_left_running(spawn):
            proc = spawn("app.py")
            proc.expect("up")
        """,
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--signal-start-method={method}", "-rA")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*pid * ('app.py') was still running at the end of the test: stopped*"])
