"""The spawn fixture: real children, observed, with no sleeps."""

from __future__ import annotations

import sys
import textwrap

import pytest

SERVER = """
import os, signal, sys, time

stop = False

def on_term(signum, frame):
    # A flag and os.write: a handler runs between any two bytecodes of the main
    # thread, so it must not take a lock (Event.set) or print (not reentrant).
    global stop
    os.write(1, b"shutting down\\n")
    stop = True

signal.signal(signal.SIGTERM, on_term)
print("ready", flush=True)
while not stop:
    time.sleep(0.05)  # noqa: sleep-ok - the program's own idle loop
print("bye", flush=True)
"""


@pytest.fixture
def server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(server=SERVER)


def test_graceful_shutdown(pytester: pytest.Pytester, run, server) -> None:
    pytester.makepyfile(
        """
        import signal
        from pytest_signals import Delivery

        def test_term(spawn, send_signal, signal_log):
            proc = spawn("server.py")
            proc.wait_for_handler(signal.SIGTERM)
            proc.expect("ready\\n")  # the handler is in; the whole line may come later
            delivery = send_signal(signal.SIGTERM, to=proc)
            assert isinstance(delivery, Delivery)
            assert delivery.wait() is delivery
            assert delivery.outcome == "handled" and delivery.handler == "server.on_term"
            assert proc.wait() == 0
            assert proc.returncode == 0 and proc.exit_signal is None and not proc.keyboard_interrupt
            assert proc.expect("shutting down").group(0) == "shutting down"
            proc.expect("bye")
            assert proc.stdout == "ready\\nshutting down\\nbye\\n" and proc.stderr == ""
            signal_log.assert_handled(signal.SIGTERM, times=1, by="on_term", process=proc)
            kinds = [e.kind for e in signal_log if e.pid == proc.pid]
            assert kinds == ["installed", "handled", "exited"]
            assert not proc.is_alive()
        """
    )
    run().assert_outcomes(passed=1)


def test_default_action_kills_the_child_only(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        app="import sys; print('up', flush=True); sys.stdin.read()",
        test_it="""
        import signal
        def test_default(spawn, send_signal, signal_log):
            proc = spawn("app.py")
            proc.expect("up")
            delivery = send_signal("TERM", to=proc).wait()
            assert delivery.outcome == "default"
            assert proc.wait() == -signal.SIGTERM
            assert proc.exit_signal == signal.SIGTERM
            assert signal_log.exits[0].detail == "killed by SIGTERM"
        """,
    )
    run().assert_outcomes(passed=1)


def test_every_kind_of_target(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        tool="""
        import sys
        def main():
            print(sys.argv[1:], flush=True)
            return 3
        async def amain():
            return 4
        if __name__ == "__main__":
            print("main", sys.argv[1:], flush=True)
        """
    )
    pytester.mkdir("scripts")
    pytester.path.joinpath("scripts", "where.py").write_text("import os; print(os.getcwd(), flush=True)\n")
    pytester.makepyfile(
        test_targets="""
        import os, sys
        def test_function(spawn):
            proc = spawn("tool:main", "a", "b")
            assert proc.wait() == 3 and proc.stdout == "['a', 'b']\\n"

        def test_coroutine_function(spawn):
            assert spawn("tool:amain").wait() == 4

        def test_module(spawn):
            proc = spawn("tool", "x")
            assert proc.wait() == 0 and proc.stdout == "main ['x']\\n"

        def test_file_and_cwd(spawn, tmp_path):
            script = os.path.abspath("scripts/where.py")
            proc = spawn(script, cwd=tmp_path)
            assert proc.wait() == 0 and proc.stdout.strip() == str(tmp_path)
            proc = spawn("where.py", cwd="scripts")
            assert proc.wait() == 0 and proc.stdout.strip().endswith("scripts")

        def test_argv_with_env(spawn):
            proc = spawn(["sh", "-c", 'echo "$GREETING"; exit 5'], env={"GREETING": "hello"})
            assert proc.wait() == 5 and proc.stdout == "hello\\n"
            assert not proc.instrumented

        def test_env_removal(spawn):
            os.environ["DROP_ME"] = "1"
            proc = spawn(["sh", "-c", 'echo "${DROP_ME:-gone}"'], env={"DROP_ME": None})
            del os.environ["DROP_ME"]
            assert proc.wait() == 0 and proc.stdout == "gone\\n"
        """
    )
    run().assert_outcomes(passed=6)


def test_shell_trap_and_process_group(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import os, signal
        TRAP = 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 1 & wait $!; done'
        GROUP = 'sleep 60 & echo "child $!"; wait'

        def test_trap(spawn, send_signal):
            proc = spawn(["sh", "-c", TRAP])
            proc.expect("ready")
            assert send_signal(signal.SIGTERM, to=proc).wait().outcome == "exited"
            assert proc.wait() == 7
            proc.expect("got-term")

        def test_group_reaches_grandchildren(spawn, send_signal):
            proc = spawn(["sh", "-c", GROUP])
            grandchild = int(proc.expect(r"child (\\d+)").group(1))
            group = os.getpgid(proc.pid)
            send_signal(signal.SIGTERM, to=proc, via="group")
            assert proc.wait() == -signal.SIGTERM
            # the grandchild got it too (it is reaped by init, so it may linger briefly as a zombie)
            assert os.getpgid(grandchild) == group if _alive(grandchild) else True

        def _alive(pid):
            try:
                os.kill(pid, 0)
                return True
            except ProcessLookupError:
                return False
        """
    )
    run().assert_outcomes(passed=2)


def test_child_sees_what_a_plain_run_sees(pytester: pytest.Pytester, run) -> None:
    """No observer effect: same output, same exit code, same traceback, with and without."""
    pytester.makepyfile(
        probe="""
        import os, signal, sys
        print(sys.argv, __name__)
        print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)
        print(signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGPIPE))
        print(sorted(sys.modules))
        print(os.environ.get("PYTHONPATH"), [p for p in sys.path if "_bootstrap" in p])
        def h(s, f):
            raise ValueError("from the handler")
        signal.signal(signal.SIGUSR1, h)
        print(signal.getsignal(signal.SIGUSR1) is h, signal.signal(signal.SIGUSR1, h) is h)
        sys.stdout.flush()
        signal.raise_signal(signal.SIGUSR1)
        """
    )
    pytester.makepyfile(
        test_probe="""
        import subprocess, sys
        def test_same(spawn):
            proc = spawn("probe.py", "arg")
            code = proc.wait()
            plain = subprocess.run([sys.executable, "probe.py", "arg"], capture_output=True, text=True)
            assert (proc.stdout, proc.stderr, code) == (plain.stdout, plain.stderr, plain.returncode)
            assert "ValueError: from the handler" in proc.stderr and "pytest_signals" not in proc.stderr
        """
    )
    run().assert_outcomes(passed=1)


def test_default_dispositions_even_if_pytest_ignores_sigint(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import signal
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGUSR2, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
        """
    )
    pytester.makepyfile(
        check="""
        import signal
        print(signal.getsignal(signal.SIGINT) is signal.default_int_handler,
              signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL,
              signal.pthread_sigmask(signal.SIG_BLOCK, []) == set())
        """,
        test_check="""
        def test_defaults(spawn):
            proc = spawn("check.py")
            assert proc.wait() == 0 and proc.stdout == "True True True\\n"
            shell = spawn(["sh", "-c", "trap - INT; kill -INT $$; echo survived"])
            assert shell.wait() == -2
        """,
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_loop_handlers_in_the_child(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        loop="""
        import asyncio, functools, signal

        def on_signal(name, stop):
            print("got", name, flush=True)
            if name == "TERM":
                stop.set()

        async def main():
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGHUP, functools.partial(on_signal, "HUP", stop))
            loop.add_signal_handler(signal.SIGTERM, functools.partial(on_signal, "TERM", stop))
            worker = asyncio.create_task(asyncio.sleep(60), name="worker")
            await stop.wait()
            worker.cancel("shutting down")
            await asyncio.gather(worker, return_exceptions=True)

        asyncio.run(main())
        """,
        test_loop="""
        import signal, sys
        def test_loop(spawn, send_signal, signal_log):
            proc = spawn("loop.py")
            proc.wait_for_handler(signal.SIGTERM)
            hup = send_signal(signal.SIGHUP, to=proc).wait()
            assert hup.outcome == "handled" and hup.handler == "partial(loop.on_signal)"
            send_signal(signal.SIGTERM, to=proc).wait()
            assert proc.wait() == 0
            signal_log.assert_handled(signal.SIGHUP, times=1, process=proc)
            event = signal_log.assert_cancelled("worker", process=proc)
            assert event.detail == "coroutine sleep" and event.pid == proc.pid
            assert event.message == "shutting down"
            handlers = [e.handler for e in signal_log.handled]
            assert not any("noop" in h for h in handlers), handlers
            assert proc.stdout == "got HUP\\ngot TERM\\n"
        """,
    )
    run().assert_outcomes(passed=1)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.run handles Ctrl-C from 3.11")
def test_asyncio_run_interrupted(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        app="""
        import asyncio
        async def main():
            worker = asyncio.create_task(asyncio.sleep(60), name="worker")
            print("ready", flush=True)
            # Short waits: asyncio.run's SIGINT handler is a plain signal.signal one, and a
            # SIGINT that lands just before the loop's epoll_wait runs it only when that ends.
            while True:
                await asyncio.sleep(0.05)  # noqa: sleep-ok - the program's own wait
        asyncio.run(main())
        """,
        test_app="""
        import signal
        def test_ctrl_c(spawn, send_signal, signal_log):
            proc = spawn("app.py")
            proc.wait_for_handler(signal.SIGINT)  # asyncio.run's own handler
            proc.expect("ready")
            delivery = send_signal(signal.SIGINT, to=proc).wait()
            assert delivery.handler == "partial(asyncio.runners.Runner._on_sigint)"
            assert proc.wait() == -signal.SIGINT and proc.keyboard_interrupt
            signal_log.assert_cancelled("Task-1", process=proc)
            signal_log.assert_cancelled("worker", process=proc)
        """,
    )
    run().assert_outcomes(passed=1)


def test_a_child_that_exits_after_a_signal_is_described_as_such(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        waiter="""
        import signal, sys
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])
        print("ready", flush=True)
        signal.sigwait([signal.SIGTERM])  # taken, no handler runs
        sys.exit(4)
        """,
        test_it="""
        import signal
        TRAP = 'trap "exit 3" TERM; echo ready; while :; do sleep 1 & wait $!; done'

        def test_shell_trap(spawn, send_signal, signal_log):
            proc = spawn(["sh", "-c", TRAP])
            proc.expect("ready")
            delivery = send_signal(signal.SIGTERM, to=proc).wait()
            assert proc.wait() == 3
            assert delivery.outcome == "exited"
            detail = "exit code 3 after SIGTERM (not instrumented: whether a handler ran is unknown)"
            assert signal_log.exits[-1].detail == detail
            assert [e.kind for e in delivery.events] == ["sent", "exited"]
            assert repr(delivery).endswith(f": exited ({detail})>")

        def test_python_child_without_a_handler(spawn, send_signal, signal_log):
            proc = spawn("waiter.py")
            proc.expect("ready")
            assert send_signal(signal.SIGTERM, to=proc).wait().outcome == "exited"
            assert proc.wait() == 4
            assert signal_log.exits[-1].detail == "exit code 4 after SIGTERM (no Python handler for it ran)"

        def test_no_signal_pending(spawn, signal_log):
            assert spawn(["sh", "-c", "exit 5"]).wait() == 5
            assert signal_log.exits[-1].detail == "exit code 5"
        """,
    )
    run().assert_outcomes(passed=3)


def test_ctrl_c_shutdown_that_the_worker_absorbed(pytester: pytest.Pytester, run) -> None:
    """asyncio.run cancels the tasks on Ctrl-C (3.11+: main first, from its
    SIGINT handler; 3.10: all of them once KeyboardInterrupt left the loop);
    a worker that catches the CancelledError and returns is still reported."""
    pytester.makepyfile(
        app="""
        import asyncio, sys

        async def work():
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                print("work() cancelled", flush=True)

        async def main():
            worker = asyncio.create_task(work(), name="worker")
            await asyncio.sleep(0)  # one step: the worker is inside its try
            print("ready", flush=True)
            # Short waits: asyncio.run's SIGINT handler is a plain signal.signal one, and a
            # SIGINT that lands just before the loop's epoll_wait runs it only when that ends.
            while True:
                await asyncio.sleep(0.05)  # noqa: sleep-ok - the program's own wait

        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            sys.exit(130)
        """,
        test_app="""
        import signal, sys
        def test_ctrl_c(spawn, send_signal, signal_log):
            proc = spawn("app.py")
            proc.expect("ready")
            send_signal(signal.SIGINT, to=proc).wait()
            assert proc.wait() == 130
            assert "work() cancelled" in proc.stdout
            event = signal_log.assert_cancelled("worker", process=proc, absorbed=True)
            assert event.ended == "returned" and event.detail == "coroutine work" and event.message is None
            if sys.version_info >= (3, 11):  # 3.10 raises KeyboardInterrupt wherever main happens to be
                assert signal_log.assert_cancelled("Task-1", process=proc).ended == "cancelled"
        """,
    )
    run().assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("spawn('missing.py')", "FileNotFoundError: spawn('missing.py'): no such file"),
        ("spawn('no_such_module_xyz')", "SpawnError: spawn('no_such_module_xyz') failed: No module named"),
        ("spawn('os:no_such_function')", "SpawnError: spawn('os:no_such_function') failed: AttributeError"),
        ("spawn('broken:main')", "SpawnError: spawn('broken:main') failed: ZeroDivisionError"),
        ("spawn('not a module')", "ValueError: spawn('not a module'): not a module name"),
        ("spawn([])", "ValueError: spawn([]): a command must be a non-empty list of strings"),
        ("spawn(42)", "ValueError: spawn(42): the target must be"),
        ("spawn('tool.py', 3)", "ValueError: spawn() arguments must be strings, got 3"),
        ("spawn('tool.py', cwd='nowhere')", "FileNotFoundError: spawn(cwd='nowhere'): no such directory"),
        ("spawn('tool.py', timeout=0)", "ValueError: timeout=0 must be a positive"),
        (
            "spawn('tool.py', env={'A': 1})",
            "ValueError: spawn(env=...): the value of 'A', 1, is not a string without NUL",
        ),
        ("spawn('tool.py', env={'': 'x'})", "ValueError: spawn(env=...): '' is not a valid environment variable name*"),
        (
            "spawn('tool.py', env={'A=B': 'x'})",
            "ValueError: spawn(env=...): 'A=B' is not a valid environment variable name*",
        ),
        (
            "spawn(['no-such-tool-xyz'], env={'PATH': '/nonexistent'})",
            "FileNotFoundError: *no such program in the child's PATH (/nonexistent)",
        ),
    ],
)
def test_bad_targets_fail_fast_and_clearly(pytester: pytest.Pytester, run, code: str, error: str) -> None:
    pytester.makepyfile(tool="print('hi')", broken="1 / 0")
    pytester.makepyfile(
        test_bad=f"""
        import time
        def test_bad(spawn):
            start = time.monotonic()
            {code}
        """
    )
    result = run("--signal-timeout=30")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*{error}*"])
    assert "waited" not in result.stdout.str()


def test_bad_sends(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        tool="import sys; sys.stdin.read()",
        test_bad="""
        import signal, pytest
        def test_bad(spawn, send_signal):
            proc = spawn("tool.py")
            with pytest.raises(ValueError, match="via='tty' needs a process spawned with tty=True"):
                send_signal(signal.SIGINT, to=proc, via="tty")
            with pytest.raises(ValueError, match="via='raise' is not supported for a spawned process"):
                send_signal(signal.SIGINT, to=proc, via="raise")
            send_signal(signal.SIGKILL, to=proc).wait()
            with pytest.raises(ProcessLookupError, match="it already killed by SIGKILL"):
                send_signal(signal.SIGTERM, to=proc)
            shell = spawn(["true"])
            with pytest.raises(ValueError, match="wait_for_handler.. needs a Python target"):
                shell.wait_for_handler(signal.SIGTERM)
        """,
    )
    run().assert_outcomes(passed=1)


def test_timeouts_fail_with_the_timeline_and_output(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        quiet="import sys; print('started', flush=True); sys.stdin.read()",
        test_wait="""
        import signal
        def test_handler(spawn):
            spawn("quiet.py").wait_for_handler(signal.SIGTERM, timeout=0.3)

        def test_expect(spawn):
            spawn("quiet.py").expect("never", timeout=0.3)

        def test_expect_exact(spawn):
            spawn("quiet.py").expect_exact("(never)", timeout=0.3)

        def test_exit(spawn):
            spawn("quiet.py").wait(timeout=0.3)

        def test_delivery(spawn, send_signal):
            proc = spawn("quiet.py")
            signal.SIGUSR1  # the child blocks nothing, but ignores nothing either:
            send_signal(signal.SIGCONT, to=proc, timeout=0.3).wait()
        """,
    )
    result = run()
    result.assert_outcomes(failed=4, passed=1)
    result.stdout.fnmatch_lines(
        [
            "E*pytest_signals.WaitFailed: expected pid * to install a handler for SIGTERM; waited 0.3s",
            "E*process * ('quiet.py'): running",
            "E*output (last 2000 characters):",
            "E*started",
            "E*signal timeline:",
        ]
    )
    result.stdout.fnmatch_lines(["*expected 'never' in the output of pid *; waited 0.3s*"])
    result.stdout.fnmatch_lines(["*expected the text '(never)' in the output of pid *; waited 0.3s*"])
    result.stdout.fnmatch_lines(["*waited 0.3s for pid * to exit; it is still running*"])


def test_children_die_with_their_test(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        stubborn="""
        import signal, sys
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ignoring TERM", flush=True)
        sys.stdin.read()
        """,
        test_left="""
        import os
        pids = []
        def test_leave_it(spawn):
            proc = spawn("stubborn.py")
            proc.expect("ignoring TERM")
            pids.append(proc.pid)

        def test_fails_and_leaves_it(spawn):
            pids.append(spawn(["sleep", "60"]).pid)
            assert False

        def test_gone():
            for pid in pids:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    continue
                raise AssertionError(f"pid {pid} is still there (running or a zombie)")
        """,
    )
    result = run("-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*pytest-signals: processes stopped at teardown*",
            "test_left.py::test_leave_it: pid * ('stubborn.py') was still running at the end of the test: stopped",
            "test_left.py::test_fails_and_leaves_it: pid *",
        ]
    )


def test_under_xdist(pytester: pytest.Pytester, run, server) -> None:
    pytester.makepyfile(
        textwrap.dedent(
            """
            import pytest, signal
            @pytest.mark.parametrize("n", range(6))
            def test_term(spawn, send_signal, n):
                proc = spawn("server.py")
                proc.wait_for_handler(signal.SIGTERM)
                send_signal(signal.SIGTERM, to=proc, via="group").wait()
                assert proc.wait() == 0
            """
        )
    )
    run("-n", "2").assert_outcomes(passed=6)


@pytest.mark.parametrize("start_method", ["forkserver", "exec"])
def test_coverage_includes_code_run_in_children(pytester: pytest.Pytester, start_method: str) -> None:
    pytest.importorskip("pytest_cov")
    pytester.makepyfile(
        app="""
        import signal, time
        done = False
        def on_term(signum, frame):
            global done
            done = True
        def main():
            signal.signal(signal.SIGTERM, on_term)
            while not done:
                time.sleep(0.05)  # noqa: sleep-ok - the program's own loop
            return 0
        def never_called():
            return 1
        """,
        test_app="""
        import signal
        def test_child(spawn, send_signal):
            proc = spawn("app:main")
            proc.wait_for_handler(signal.SIGTERM)
            send_signal(signal.SIGTERM, to=proc).wait()
            assert proc.wait() == 0
        """,
    )
    # No configuration: the children are measured because the test process is.
    result = pytester.runpytest_subprocess(
        "--cov=app", "--cov-report=term-missing", "-W", "ignore", f"--signal-start-method={start_method}"
    )
    result.assert_outcomes(passed=1)
    # Only never_called's body (and maybe the idle loop's sleep) is missed: the
    # handler and main ran in the child.
    result.stdout.re_match_lines([r"app\.py\s+11\s+[12]\s+\d+%\s+(9, )?12$"])


COVERED_APP = """
def main():
    total = 0
    for i in range(3):
        total += i
    return 0

def never_called():
    return 1
"""


@pytest.mark.parametrize("start_method", ["forkserver", "exec"])
def test_coverage_run_includes_code_run_in_children(pytester: pytest.Pytester, start_method: str) -> None:
    """`coverage run -m pytest`: the children's data is combined into the run's, with no configuration."""
    pytest.importorskip("coverage")
    pytester.makepyfile(app=COVERED_APP, test_app="def test_child(spawn):\n    assert spawn('app:main').wait() == 0\n")
    run = pytester.run(
        sys.executable,
        "-m",
        "coverage",
        "run",
        "--source=app",
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        f"--signal-start-method={start_method}",
        timeout=120,
    )
    run.assert_outcomes(passed=1)
    report = pytester.run(sys.executable, "-m", "coverage", "report", "-m", timeout=60)
    report.stdout.re_match_lines([r"app\.py\s+7\s+1\s+\d+%\s+8$"])  # only never_called's body is missed
    assert "CoverageWarning" not in run.stdout.str()
    assert not list(pytester.path.glob(".coverage.*")), "the children's data files were combined"


def test_deliveries_are_awaitable_on_asyncio_and_trio(
    pytester: pytest.Pytester, run, anyio_both_backends, server
) -> None:
    pytester.makepyfile(
        """
        import signal, pytest

        @pytest.mark.anyio
        async def test_await(spawn, send_signal, anyio_backend):
            proc = spawn("server.py")
            proc.wait_for_handler(signal.SIGTERM)
            proc.expect("ready\\n")
            delivery = await send_signal(signal.SIGTERM, to=proc)
            assert delivery.outcome == "handled" and delivery.done
            assert proc.wait() == 0

        @pytest.mark.anyio
        async def test_await_timeout(spawn, send_signal, anyio_backend):
            proc = spawn(["sh", "-c", "trap '' USR1; echo up; read line"])
            proc.expect("up")
            await send_signal(signal.SIGUSR1, to=proc, timeout=0.3)
        """
    )
    result = run()
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["*waited 0.3s for pid * to handle SIGUSR1 (sent via kill) or to exit*"])
