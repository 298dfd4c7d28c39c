"""A KeyboardInterrupt that reaches a child's top level is told apart without
touching ``sys.excepthook``: the program prints what it prints without the
plugin, and one that hands a caught KeyboardInterrupt to the hook itself (the
asyncio REPL) is not reported as interrupted."""

from __future__ import annotations

import textwrap

import pytest

# Each program says first whether it sees the interpreter's own hook.
CONSOLE = """
import code, sys
print("default hook:", sys.excepthook is sys.__excepthook__, flush=True)
code.InteractiveConsole().runsource("1/0")
code.InteractiveConsole().runsource("raise KeyboardInterrupt")
"""

HANDS_TO_HOOK = """
import sys
print("default hook:", sys.excepthook is sys.__excepthook__, flush=True)
try:
    raise KeyboardInterrupt
except KeyboardInterrupt as exc:
    sys.excepthook(type(exc), exc, exc.__traceback__)  # as the asyncio REPL does
print("carried on", flush=True)
"""

# A line on stdin makes it send itself SIGINT, always from the same line (a
# signal from outside may land on any line: the tracebacks would differ). The
# KeyboardInterrupt is uncaught.
SYNC = """
import os, signal, sys
print("default hook:", sys.excepthook is sys.__excepthook__, flush=True)

def wait():
    sys.stdin.readline()
    os.kill(os.getpid(), signal.SIGINT)
    sys.stdin.read()

print("ready", flush=True)
wait()
"""

THREADED = """
import os, signal, sys, threading
print("default hook:", sys.excepthook is sys.__excepthook__, flush=True)
done = threading.Event()
worker = threading.Thread(target=done.wait)  # non-daemon: the exit joins it
worker.start()
try:
    print("ready", flush=True)
    sys.stdin.readline()
    os.kill(os.getpid(), signal.SIGINT)
    sys.stdin.read()
finally:
    done.set()
"""

ASYNC = """
import asyncio, sys
print("default hook:", sys.excepthook is sys.__excepthook__, flush=True)

async def main():
    print("ready", flush=True)
    # Short waits, not Event().wait(): asyncio.run's SIGINT handler is a plain signal.signal
    # one, and a SIGINT that lands just before the loop's epoll_wait runs it only when that ends.
    while True:
        await asyncio.sleep(0.05)  # noqa: sleep-ok - the program's own wait

asyncio.run(main())
"""

OWN_HOOK = """
import os, signal, sys

def my_hook(kind, value, tb):
    print("my hook:", kind.__name__, flush=True)

sys.excepthook = my_hook
r, w = os.pipe()  # a wakeup fd: a SIGINT that lands just before the wait still wakes it
os.set_blocking(w, False)
signal.set_wakeup_fd(w)
print("sees its hook:", sys.excepthook is my_hook, flush=True)
print("ready", flush=True)
while True:
    os.read(r, 1)
"""


def test_interactive_console_prints_as_without_the_plugin(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(console=CONSOLE)
    pytester.makepyfile(
        test_it="""
        import subprocess, sys

        def test_same_output(spawn, signal_log):
            plain = subprocess.run([sys.executable, "console.py"], capture_output=True, text=True)
            assert plain.returncode == 0 and "ZeroDivisionError" in plain.stderr
            assert "code.py" not in plain.stderr  # the console drops its own frame
            proc = spawn("console.py")
            assert proc.wait() == 0
            assert proc.stdout == plain.stdout == "default hook: True\\n"
            assert proc.stderr == plain.stderr
            assert not proc.keyboard_interrupt and not signal_log.filter("keyboard_interrupt", process=proc)
        """
    )
    run().assert_outcomes(passed=1)


def test_caught_interrupt_handed_to_the_hook_is_not_an_interrupt(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(repl=HANDS_TO_HOOK)
    pytester.makepyfile(
        test_it="""
        def test_not_interrupted(spawn, signal_log):
            proc = spawn("repl.py")
            assert proc.wait() == 0
            assert proc.stdout == "default hook: True\\ncarried on\\n"
            assert proc.stderr.endswith("KeyboardInterrupt\\n")
            assert not proc.keyboard_interrupt
            assert not signal_log.filter("keyboard_interrupt", process=proc), signal_log.timeline()
        """
    )
    run().assert_outcomes(passed=1)


@pytest.mark.parametrize("program", ["SYNC", "THREADED", "ASYNC"])
def test_uncaught_interrupt_is_still_reported(pytester: pytest.Pytester, run, program: str) -> None:
    pytester.makepyfile(app=globals()[program])
    pytester.makepyfile(
        test_it=f"ASYNC = {program == 'ASYNC'}\n"
        + textwrap.dedent(
            """
        import signal, subprocess, sys

        def plain_run():
            with subprocess.Popen(
                [sys.executable, "app.py"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True,
            ) as plain:
                assert plain.stdout.readline() == "default hook: True\\n"
                assert plain.stdout.readline() == "ready\\n"
                if ASYNC:
                    plain.send_signal(signal.SIGINT)
                else:
                    plain.stdin.write("go\\n")
                    plain.stdin.flush()
                out, err = plain.communicate(timeout=30)
            return plain.returncode, err

        def test_interrupted(spawn, send_signal, signal_log):
            proc = spawn("app.py")
            proc.expect("ready\\n")
            if ASYNC:
                send_signal(signal.SIGINT, to=proc)
            else:
                proc.write("go\\n")
            assert proc.wait() == -signal.SIGINT
            assert proc.stdout == "default hook: True\\nready\\n"
            assert proc.keyboard_interrupt
            event = signal_log.assert_keyboard_interrupt(process=proc)
            kinds = [e.kind for e in signal_log if e.pid == proc.pid]
            assert kinds[-2:] == ["keyboard_interrupt", "exited"], signal_log.timeline()
            assert event.signal == signal.SIGINT and event.thread == "MainThread"
            code, err = plain_run()
            assert code == -signal.SIGINT
            assert "pytest_signals" not in proc.stderr
            if ASYNC and sys.version_info < (3, 11):
                # 3.10's loop raises it wherever the signal found the loop: the frames vary run to run.
                assert proc.stderr.splitlines()[-1:] == err.splitlines()[-1:] == ["KeyboardInterrupt"]
            else:
                assert proc.stderr == err  # the same traceback, frame for frame
        """
        )
    )
    run().assert_outcomes(passed=1)


def test_a_program_keeps_its_own_hook_and_is_still_reported(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(app=OWN_HOOK)
    pytester.makepyfile(
        test_it="""
        import signal

        def test_own_hook(spawn, send_signal, signal_log):
            proc = spawn("app.py")
            proc.expect("ready\\n")
            send_signal(signal.SIGINT, to=proc)
            assert proc.wait() == -signal.SIGINT
            assert proc.stdout == "sees its hook: True\\nready\\nmy hook: KeyboardInterrupt\\n"
            assert proc.stderr == ""
            assert proc.keyboard_interrupt
            signal_log.assert_keyboard_interrupt(process=proc)
        """
    )
    run().assert_outcomes(passed=1)


def test_sigint_at_its_default_is_not_a_keyboard_interrupt(pytester: pytest.Pytester, run) -> None:
    """Death by SIGINT alone proves nothing: a program that set SIG_DFL dies by it too."""
    pytester.makepyfile(
        app="""
        import signal, sys
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        print("default hook:", sys.excepthook is sys.__excepthook__, flush=True)
        print("ready", flush=True)
        sys.stdin.read()
        """
    )
    pytester.makepyfile(
        test_it="""
        import signal

        def test_default(spawn, send_signal, signal_log):
            proc = spawn("app.py")
            proc.expect("ready\\n")
            assert send_signal(signal.SIGINT, to=proc).wait().outcome == "default"
            assert proc.wait() == -signal.SIGINT
            assert proc.stdout == "default hook: True\\nready\\n"
            assert not proc.keyboard_interrupt and not signal_log.filter("keyboard_interrupt", process=proc)
        """
    )
    run().assert_outcomes(passed=1)


def test_interrupt_in_a_function_target_prints_no_frame_of_ours(pytester: pytest.Pytester, run) -> None:
    """``spawn("mod:function")`` calls the function from the instrumentation's own frame."""
    pytester.makepyfile(
        app="""
        import os, signal, sys

        def main():
            r, w = os.pipe()  # a wakeup fd: a SIGINT that lands just before the wait still wakes it
            os.set_blocking(w, False)
            signal.set_wakeup_fd(w)
            print("default hook:", sys.excepthook is sys.__excepthook__, flush=True)
            print("ready", flush=True)
            while True:
                os.read(r, 1)
        """
    )
    pytester.makepyfile(
        test_it="""
        import signal

        def test_function(spawn, send_signal):
            proc = spawn("app:main")
            proc.expect("ready\\n")
            send_signal(signal.SIGINT, to=proc)
            assert proc.wait() == -signal.SIGINT and proc.keyboard_interrupt
            assert proc.stdout == "default hook: True\\nready\\n"
            assert "pytest_signals" not in proc.stderr and "run_function" not in proc.stderr
            assert 'in main' in proc.stderr and proc.stderr.endswith("KeyboardInterrupt\\n")
        """
    )
    run().assert_outcomes(passed=1)


def test_interrupt_with_sigint_blocked_exits_130_as_cpython_does(pytester: pytest.Pytester, run) -> None:
    """CPython's SIGINT after an uncaught KeyboardInterrupt stays pending when
    blocked: the interpreter exits 130 instead. Still a KeyboardInterrupt."""
    pytester.makepyfile(
        app="""
        import signal, sys
        print("default hook:", sys.excepthook is sys.__excepthook__, flush=True)
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
        raise KeyboardInterrupt
        """
    )
    pytester.makepyfile(
        test_it="""
        import subprocess, sys

        def test_blocked(spawn, signal_log):
            plain = subprocess.run([sys.executable, "app.py"], capture_output=True, text=True)
            proc = spawn("app.py")
            assert proc.wait() == plain.returncode == 130
            assert proc.stdout == plain.stdout == "default hook: True\\n"
            assert proc.stderr == plain.stderr
            assert proc.keyboard_interrupt
            signal_log.assert_keyboard_interrupt(process=proc)
        """
    )
    run().assert_outcomes(passed=1)


def test_a_program_audit_hook_that_refuses_the_print_does_not_hide_the_interrupt(
    pytester: pytest.Pytester, run
) -> None:
    """An audit hook of the program's that raises RuntimeError at the event makes
    CPython skip the hook and print nothing; the interpreter still dies by SIGINT."""
    pytester.makepyfile(
        app="""
        import sys

        def refuse(event, args):
            if event == "sys.excepthook":
                raise RuntimeError("no printing")

        sys.addaudithook(refuse)
        print("default hook:", sys.excepthook is sys.__excepthook__, flush=True)
        raise KeyboardInterrupt
        """
    )
    pytester.makepyfile(
        test_it="""
        import signal, subprocess, sys

        def test_refused(spawn, signal_log):
            plain = subprocess.run([sys.executable, "app.py"], capture_output=True, text=True)
            proc = spawn("app.py")
            assert proc.wait() == plain.returncode == -signal.SIGINT
            assert proc.stdout == plain.stdout == "default hook: True\\n"
            assert proc.stderr == plain.stderr == ""
            assert proc.keyboard_interrupt
        """
    )
    run().assert_outcomes(passed=1)
