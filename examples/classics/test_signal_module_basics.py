"""Classic 4: the signal module basics, each verified in a real process."""

import signal
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def test_usr1_usr2_handlers_then_ctrl_c_ends_with_keyboard_interrupt(spawn, send_signal, signal_log):
    proc = spawn(HERE / "usr_signals.py", tty=True)
    proc.wait_for_handler(signal.SIGUSR2)

    for sig in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGUSR1):
        assert send_signal(sig, to=proc).wait().outcome == "handled"
        proc.expect_exact(f"handler: received signal {int(sig)}")
    send_signal(signal.SIGINT, to=proc, via="tty").wait()

    assert proc.wait() == -signal.SIGINT
    assert proc.keyboard_interrupt
    proc.expect_exact("KeyboardInterrupt")
    assert [e.signal_name for e in signal_log.filter("handled", process=proc)] == [
        "SIGUSR1",
        "SIGUSR2",
        "SIGUSR1",
        "SIGINT",  # default_int_handler, which raised KeyboardInterrupt
    ]


def _table(proc):
    assert proc.wait() == 0
    return {int(n): rest for n, rest in (line.split(" ", 1) for line in proc.stdout.splitlines())}


def test_getsignal_over_every_signal_number(spawn):
    table = _table(spawn(HERE / "getsignal_table.py"))

    assert sorted(table) == list(range(1, signal.NSIG))
    assert table[signal.SIGINT] == "SIGINT default_int_handler"
    assert table[signal.SIGUSR1] == "SIGUSR1 handler:on_usr1"
    assert table[signal.SIGHUP] == "SIGHUP SIG_IGN"
    # Python itself ignores SIGPIPE (and SIGXFSZ) at startup.
    assert table[signal.SIGPIPE] == "SIGPIPE SIG_IGN"
    assert table[signal.SIGKILL] == "SIGKILL SIG_DFL"
    # The gaps: numbers the C library keeps for itself are not valid signals.
    gaps = set(range(1, signal.NSIG)) - signal.valid_signals()
    assert all(table[n] == "(not a valid signal) None" for n in gaps)
    special = {signal.SIGINT, signal.SIGUSR1, signal.SIGHUP, signal.SIGPIPE, getattr(signal, "SIGXFSZ", 0)}
    others = signal.valid_signals() - special
    assert all(table[n].endswith(" SIG_DFL") for n in others)


def test_getsignal_table_is_the_same_with_and_without_instrumentation(spawn):
    observed = _table(spawn(HERE / "getsignal_table.py"))
    plain = _table(spawn([sys.executable, str(HERE / "getsignal_table.py")]))  # a command: not instrumented
    assert observed == plain


def test_alarm_interrupts_a_longer_sleep(spawn, signal_log):
    proc = spawn(HERE / "alarm_sleep.py")

    assert proc.wait(timeout=15) == 0  # the alarm takes 2 real seconds

    proc.expect_exact("alarm set for 2 s, now sleeping for 10 s")
    proc.expect_exact("the alarm interrupted the sleep after")
    assert "slept the full" not in proc.stdout
    kinds = [(e.kind, e.signal_name) for e in signal_log.filter(process=proc) if e.kind != "installed"]
    assert kinds == [("handled", "SIGALRM"), ("exited", None)]


def test_sig_ign_survives_two_ctrl_cs_then_sigusr1_exits(spawn, send_signal):
    proc = spawn(HERE / "ignore_ctrl_c.py", tty=True)
    proc.expect_exact("Ctrl-C does nothing")

    for _ in range(2):
        assert send_signal(signal.SIGINT, to=proc, via="tty").wait().outcome == "ignored"
    assert proc.is_alive()

    send_signal(signal.SIGUSR1, to=proc)
    assert proc.wait() == 1  # SystemExit("Exiting"): the message on stderr, status 1
    proc.expect_exact("Exiting")


def test_handlers_run_in_the_main_thread(spawn, signal_log):
    proc = spawn(HERE / "threads.py")
    assert proc.wait() == 0

    proc.expect_exact("SIGUSR1 sent by thread 'sender' ran its handler in MainThread")
    proc.expect_exact("SIGALRM set by thread 'alarm-setter' ran its handler in MainThread")
    calls = signal_log.filter("handled", process=proc)
    assert [(e.signal_name, e.thread) for e in calls] == [("SIGUSR1", "MainThread"), ("SIGALRM", "MainThread")]
    if sys.platform == "linux":
        # Linux gives a process-directed signal to the main thread when it can
        # take it, so the thread in pause() is never woken; elsewhere the kernel
        # may pick that thread, but the handler still runs in the main thread.
        proc.expect_exact("thread 'pauser' still waiting in signal.pause(): True")


@pytest.mark.skipif(not hasattr(signal, "SIGRTMIN"), reason="no real-time signals on this platform")
def test_real_time_signals_have_names_in_the_table(spawn):
    table = _table(spawn(HERE / "getsignal_table.py"))
    assert table[signal.SIGRTMIN + 2] == "SIGRTMIN+2 SIG_DFL"
