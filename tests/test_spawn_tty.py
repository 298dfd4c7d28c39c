"""spawn(..., tty=True): a real terminal, and Ctrl-C typed into it."""

from __future__ import annotations

import json
import sys

import pytest

CLI = """
import sys, time
try:
    print("working... press Ctrl-C", flush=True)
    while True:
        time.sleep(1)  # noqa: sleep-ok - the program's own behaviour
except KeyboardInterrupt:
    print("interrupted, cleaning up", flush=True)
    sys.exit(130)
"""

STUBBORN = """
import signal, sys, threading
done = threading.Event()
def on_usr1(signum, frame):
    sys.exit("Exiting")
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGUSR1, on_usr1)
print("ignoring Ctrl-C", flush=True)
while not done.wait(0.05):  # noqa: sleep-ok - the program's own loop (see SERVER in test_spawn)
    pass
"""

UNCAUGHT = """
import threading
print("ready", flush=True)
while True:
    threading.Event().wait(0.05)  # noqa: sleep-ok - the program's own loop (see SERVER in test_spawn)
"""


def test_ctrl_c_in_a_cli(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        cli=CLI,
        test_cli="""
        import signal
        def test_ctrl_c(spawn, send_signal, signal_log):
            proc = spawn("cli.py", tty=True)
            proc.expect("press Ctrl-C")
            delivery = send_signal(signal.SIGINT, to=proc, via="tty").wait()
            assert delivery.outcome == "handled" and delivery.via == "tty"
            assert proc.wait() == 130
            proc.expect("interrupted, cleaning up")
            assert "^C" in proc.output  # the terminal echoed the key
            assert not proc.keyboard_interrupt
            signal_log.assert_keyboard_interrupt(process=proc)
        """,
    )
    run("-W", "error::DeprecationWarning").assert_outcomes(passed=1)  # forkpty warns on 3.12+


def test_ignored_ctrl_c_then_sigusr1(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        stubborn=STUBBORN,
        test_stubborn="""
        import signal
        def test_twice(spawn, send_signal):
            proc = spawn("stubborn.py", tty=True)
            proc.expect("ignoring Ctrl-C")
            for _ in range(2):
                assert send_signal(signal.SIGINT, to=proc, via="tty").wait().outcome == "ignored"
            assert proc.is_alive()
            send_signal(signal.SIGUSR1, to=proc).wait()
            assert proc.wait() == 1
            proc.expect("Exiting")
        """,
    )
    run().assert_outcomes(passed=1)


# Reports, from its SIGUSR1 handler, how much typed input waits unread (and
# takes it), so a test can tell whether the terminal had processed its keys.
PONG = """
import fcntl, os, signal, struct, termios
count = 0
def on_usr1(signum, frame):
    global count
    count += 1
    pending = struct.unpack("i", fcntl.ioctl(0, termios.FIONREAD, b"\\0\\0\\0\\0"))[0]
    if pending:
        os.read(0, pending)
    os.write(1, b"pong %d pending %d\\n" % (count, pending))
r, w = os.pipe()  # a wakeup fd: a SIGUSR1 that lands just before the wait still wakes it
os.set_blocking(w, False)
signal.set_wakeup_fd(w)
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGUSR1, on_usr1)
os.write(1, b"ready\\n")
while True:
    os.read(r, 1)
"""


def test_typed_keys_are_processed_when_the_call_returns(pytester: pytest.Pytester, run) -> None:
    """Linux hands typed bytes to the terminal's line discipline later, on a
    kernel worker. An ignored Ctrl-C processed late flushes output the program
    wrote after it (the "Exiting" of test_ignored_ctrl_c_then_sigusr1 vanished
    that way, under load); typed text processed late is not there yet for a
    program the test signals next. When send_signal and write returned before
    the kernel was done, a few hundred rounds on a loaded machine failed."""
    pytester.makepyfile(
        pong=PONG,
        test_pong="""
        import signal
        def test_ctrl_c_then_output(spawn, send_signal):
            proc = spawn("pong.py", tty=True)
            proc.expect_exact("ready\\r\\n")
            for i in range(1, 201):
                assert send_signal(signal.SIGINT, to=proc, via="tty").outcome == "ignored"
                send_signal(signal.SIGUSR1, to=proc).wait()
                proc.expect_exact(f"pong {i} pending 0\\r\\n")

        def test_typed_text_then_signal(spawn, send_signal):
            proc = spawn("pong.py", tty=True)
            proc.expect_exact("ready\\r\\n")
            for i in range(1, 201):
                proc.write("x\\n")
                send_signal(signal.SIGUSR1, to=proc).wait()
                proc.expect_exact(f"pong {i} pending 2\\r\\n")
        """,
    )
    run().assert_outcomes(passed=2)


def test_uncaught_keyboard_interrupt(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        uncaught=UNCAUGHT,
        test_uncaught="""
        import signal
        def test_dies_by_sigint(spawn, send_signal):
            proc = spawn("uncaught.py", tty=True)
            proc.expect("ready")
            send_signal(signal.SIGINT, to=proc, via="tty")
            assert proc.wait() == -signal.SIGINT
            assert proc.exit_signal == signal.SIGINT and proc.keyboard_interrupt
            proc.expect("KeyboardInterrupt")
            assert "pytest_signals" not in proc.output  # the traceback is the program's own
        """,
    )
    run().assert_outcomes(passed=1)


def test_quit_and_suspend_keys(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        uncaught=UNCAUGHT,
        suspend="""
        import os, signal, threading
        signal.signal(signal.SIGTSTP, lambda s, f: os.write(1, b"suspend requested\\n"))
        while True:
            threading.Event().wait(0.05)  # noqa: sleep-ok - the program's own loop
        """,
        test_keys="""
        import signal
        def test_quit(spawn, send_signal):
            proc = spawn("uncaught.py", tty=True)
            proc.expect("ready")
            assert send_signal(signal.SIGQUIT, to=proc, via="tty").wait().outcome == "default"
            assert proc.wait() == -signal.SIGQUIT

        def test_suspend_handled(spawn, send_signal, signal_log):
            proc = spawn("suspend.py", tty=True)
            proc.wait_for_handler(signal.SIGTSTP)
            assert send_signal(signal.SIGTSTP, to=proc, via="tty").wait().outcome == "handled"
            proc.expect("suspend requested")

        def test_suspend_default_stops_the_job_and_sigcont_resumes_it(spawn, send_signal, signal_log):
            # A terminal job's group is not orphaned (its session leader is its parent),
            # so Ctrl-Z stops it, as in a terminal shell; fg's SIGCONT resumes it.
            proc = spawn("uncaught.py", tty=True)
            proc.expect("ready")
            assert send_signal(signal.SIGTSTP, to=proc, via="tty").wait().outcome == "default"
            assert signal_log.defaults[-1].detail == "stopped by SIGTSTP"
            send_signal(signal.SIGCONT, to=proc)
            send_signal(signal.SIGINT, to=proc, via="tty")
            assert proc.wait() == -signal.SIGINT, "resumed, it ends of the Ctrl-C (an uncaught KeyboardInterrupt)"

        def test_suspend_default_is_discarded_without_a_terminal(spawn, send_signal, signal_log):
            proc = spawn("uncaught.py")  # a plain child: its process group is orphaned
            proc.expect("ready")
            delivery = send_signal(signal.SIGTSTP, to=proc).wait()
            assert delivery.outcome == "ignored" and proc.is_alive()
            assert "orphaned" in signal_log.ignored[-1].detail

        def test_sigstop_stops_it(spawn, send_signal, signal_log):
            proc = spawn("uncaught.py", tty=True)
            proc.expect("ready")
            assert send_signal(signal.SIGSTOP, to=proc).wait().outcome == "default"
            assert signal_log.defaults[-1].detail == "stopped by SIGSTOP"
            send_signal(signal.SIGKILL, to=proc)
            assert proc.wait() == -signal.SIGKILL

        def test_no_key_for_term(spawn, send_signal):
            import pytest
            proc = spawn("uncaught.py", tty=True)
            with pytest.raises(ValueError, match="via='tty' cannot send SIGTERM"):
                send_signal(signal.SIGTERM, to=proc, via="tty")
        """,
    )
    run().assert_outcomes(passed=6)


def test_argv_program_in_a_terminal(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import signal
        SCRIPT = "trap 'echo caught; exit 4' INT; echo ready; while :; do sleep 1; done"
        def test_shell(spawn, send_signal):
            proc = spawn(["sh", "-c", SCRIPT], tty=True)
            proc.expect("ready")
            send_signal(signal.SIGINT, to=proc, via="tty").wait()
            assert proc.wait() == 4
            proc.expect("caught")
        """
    )
    run().assert_outcomes(passed=1)


@pytest.mark.parametrize("runner", ["asyncio", "trio"])
def test_ctrl_c_output_is_the_same_with_and_without_instrumentation(
    pytester: pytest.Pytester, run, runner: str
) -> None:
    """The event loops' own Ctrl-C handling is untouched: the instrumented child prints
    and exits exactly as the same program started as a plain command does."""
    if runner == "trio":
        pytest.importorskip("trio")
    pytester.makepyfile(
        app=f"""
        import sys
        RUNNER = {runner!r}

        async def main():
            print("ready", flush=True)
            if RUNNER == "trio":
                import trio
                await trio.sleep_forever()
            else:
                import asyncio
                while True:  # short waits: a SIGINT that lands just before epoll_wait
                    await asyncio.sleep(0.05)  # noqa: sleep-ok - is seen at the next wake-up

        if RUNNER == "trio":
            import trio
            trio.run(main)
        else:
            import asyncio
            asyncio.run(main())
        """,
        test_app=f"""
        import re, signal, sys
        RUNNER = {runner!r}

        def interrupted(spawn, send_signal, target):
            proc = spawn(target, tty=True)
            proc.expect("ready\\r\\n")  # the whole line: the echoed ^C must come after it
            send_signal(signal.SIGINT, to=proc, via="tty").wait()
            code = proc.wait()
            plain_text = re.sub(r"\\x1b\\[[0-9;]*m", "", proc.output)  # 3.13 colours tracebacks
            return code, re.sub(r"0x[0-9a-f]+", "0x?", plain_text)

        def test_same(spawn, send_signal, signal_log):
            instrumented = interrupted(spawn, send_signal, "app.py")
            plain = interrupted(spawn, send_signal, [sys.executable, "app.py"])
            if RUNNER == "asyncio" and sys.version_info >= (3, 11):
                assert instrumented == plain, (instrumented[1], plain[1])
            else:
                # trio (and asyncio before 3.11) raise KeyboardInterrupt wherever
                # the main thread happens to be (still in print's flush, or in the
                # selector): the traceback's middle depends on timing, with or
                # without instrumentation.
                assert instrumented[0] == plain[0]
                assert instrumented[1].endswith("KeyboardInterrupt\\r\\n")
                assert plain[1].endswith("KeyboardInterrupt\\r\\n")
                assert "pytest_signals" not in instrumented[1]
            assert instrumented[0] == -signal.SIGINT
            signal_log.assert_keyboard_interrupt()
        """,
    )
    run().assert_outcomes(passed=1)


TTY_PROBE = r"""
import json, os, signal, sys, termios
facts = {
    "isatty": [os.isatty(fd) for fd in (0, 1, 2)],
    "same terminal": len({os.ttyname(fd) for fd in (0, 1, 2)}) == 1,
    "session leader": os.getsid(0) == os.getpid() == os.getpgrp(),
    "foreground job": os.tcgetpgrp(0) == os.getpgrp(),
    "controlling terminal": os.path.realpath(os.ttyname(0)) == os.path.realpath(os.ctermid()) or os.ctermid(),
    "size": tuple(os.get_terminal_size(0)),
    "echo": bool(termios.tcgetattr(0)[3] & termios.ECHO),
    "isig": bool(termios.tcgetattr(0)[3] & termios.ISIG),
    "line buffered": [sys.stdin.line_buffering, sys.stdout.line_buffering, sys.stderr.line_buffering],
    "encoding": [sys.stdin.encoding, sys.stdout.encoding, sys.stdout.errors],
    "dispositions": [str(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGTSTP, signal.SIGHUP, signal.SIGTTOU)],
    "mask": sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])),
    "dev tty": os.open("/dev/tty", os.O_RDWR) >= 0,
    "TERM": os.environ.get("TERM"),
}
print("FACTS " + json.dumps(facts, sort_keys=True), flush=True)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork server is Linux's")
@pytest.mark.parametrize("unbuffered", [False, True])
def test_terminal_children_forked_from_the_template_get_the_same_terminal(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, unbuffered: bool
) -> None:
    """tty=True children start from the warm template too: the same terminal,
    session, foreground job, size, modes and stdio buffering as a new interpreter."""
    if unbuffered:
        monkeypatch.setenv("PYTHONUNBUFFERED", "1")
    else:
        monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    pytester.makepyfile(probe=TTY_PROBE)
    pytester.makepyfile(
        test_probe="""
        import json
        def test_probe(spawn, request):
            proc = spawn("probe.py", tty=True)
            facts = proc.expect(r"FACTS (.*)\\r?\\n").group(1)
            assert proc.wait() == 0
            method = request.config.getoption("signal_start_method")
            assert proc.forked is (method == "forkserver")
            with open(f"{method}.json", "w") as out:
                out.write(facts)
        """
    )
    for method in ("forkserver", "exec"):
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--signal-start-method={method}")
        result.assert_outcomes(passed=1)
    forked = json.loads((pytester.path / "forkserver.json").read_text())
    fresh = json.loads((pytester.path / "exec.json").read_text())
    assert forked == fresh
    assert forked["isatty"] == [True, True, True]
    assert forked["foreground job"]
    assert not forked["session leader"], "a terminal job: its session's leader owns the terminal, as a shell does"
    assert forked["line buffered"][1] is not unbuffered
