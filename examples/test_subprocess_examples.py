"""Real child processes: graceful shutdown, Ctrl-C typed into a terminal, and
asyncio.run() interrupted. No sleeps: readiness comes from wait_for_handler()
or expect(), completion from Delivery.wait() and wait()."""

import signal
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).parent / "programs"
ASYNCIO_HANDLES_CTRL_C = sys.version_info >= (3, 11)


def test_server_shuts_down_gracefully_on_sigterm(spawn, send_signal, signal_log):
    proc = spawn(PROGRAMS / "server.py")
    proc.wait_for_handler(signal.SIGTERM)  # no sleep "so the handler is installed"

    send_signal(signal.SIGTERM, to=proc).wait()  # returns once the handler ran

    assert proc.wait() == 0
    proc.expect("stopped cleanly")
    signal_log.assert_handled(signal.SIGTERM, times=1, by="on_sigterm", process=proc)


def test_cli_exits_130_on_ctrl_c(spawn, send_signal):
    proc = spawn(PROGRAMS / "cli.py", tty=True)  # a real pseudo-terminal
    proc.expect("Ctrl-C to stop")

    send_signal(signal.SIGINT, to=proc, via="tty")  # types Ctrl-C: the kernel sends SIGINT

    assert proc.wait() == 130
    proc.expect("Interrupted, cleaning up.")


def test_asyncio_run_interrupted_by_ctrl_c(spawn, send_signal, signal_log):
    proc = spawn(PROGRAMS / "async_app.py", tty=True)
    proc.expect("running")

    send_signal(signal.SIGINT, to=proc, via="tty").wait()

    assert proc.wait() == 130
    proc.expect("interrupted")
    assert "Traceback" not in proc.output
    if ASYNCIO_HANDLES_CTRL_C:
        # asyncio.run's own SIGINT handler cancels main first, then the others.
        main, worker = signal_log.cancelled
        assert (main.task, worker.task) == ("Task-1", "worker")
    else:  # 3.10: KeyboardInterrupt is raised inside the loop; run() cancels the rest
        signal_log.assert_cancelled("worker", process=proc)


def test_blocked_main_sees_ctrl_c_late_and_keyboard_interrupt_propagates(spawn, send_signal, signal_log):
    proc = spawn(PROGRAMS / "async_blocking.py", tty=True)
    proc.expect("blocking")

    send_signal(signal.SIGINT, to=proc, via="tty").wait()

    assert proc.wait() == -signal.SIGINT  # died by SIGINT, as CPython does
    assert proc.keyboard_interrupt
    proc.expect("KeyboardInterrupt")
    signal_log.assert_cancelled("worker", process=proc)
    if ASYNCIO_HANDLES_CTRL_C:
        assert "main finished its blocking call" in proc.output


@pytest.mark.parametrize("via", ["kill", "group"])
def test_default_sigterm_kills_only_the_child(spawn, send_signal, via):
    proc = spawn([sys.executable, "-c", "import sys; print('up', flush=True); sys.stdin.read()"])
    proc.expect("up")

    delivery = send_signal("TERM", to=proc, via=via).wait()

    assert delivery.outcome == "default"
    assert proc.wait() == -signal.SIGTERM
    assert proc.exit_signal == signal.SIGTERM
