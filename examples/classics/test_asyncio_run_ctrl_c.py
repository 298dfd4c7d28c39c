"""Classic 3: Ctrl-C in asyncio.run(). From Python 3.11 asyncio.run() has a
SIGINT handler of its own that cancels the main task; on 3.10 SIGINT raises
KeyboardInterrupt wherever main happens to be."""

import signal
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
RUNNER_HANDLES_CTRL_C = sys.version_info >= (3, 11)


def run(spawn, variant):
    proc = spawn(HERE / "asyncio_run_ctrl_c.py", variant)
    proc.wait()
    return proc


def order(proc, *lines):
    """Assert that *lines* appear in the child's stdout in this order."""
    out = proc.stdout.splitlines()
    positions = [out.index(line) for line in lines]
    assert positions == sorted(positions), out


@pytest.mark.skipif(not RUNNER_HANDLES_CTRL_C, reason="asyncio.run handles Ctrl-C from 3.11")
def test_a_default_main_is_cancelled_then_the_worker(spawn, signal_log):
    proc = run(spawn, "default")
    assert proc.returncode == 0
    assert not proc.keyboard_interrupt
    order(proc, "main: raising SIGINT", "main: cancelled", "worker: cancelled", "asyncio.run() returned")
    assert "KeyboardInterrupt" not in proc.stderr
    # main caught its CancelledError and returned; the worker's task ended cancelled.
    cancellations = [(e.task, e.ended) for e in signal_log.filter("cancelled", process=proc)]
    assert cancellations == [("Task-1", "returned"), ("worker", "cancelled")]
    signal_log.assert_cancelled("Task-1", process=proc, absorbed=True)


@pytest.mark.skipif(RUNNER_HANDLES_CTRL_C, reason="Python 3.10 only")
def test_a_default_on_3_10_keyboard_interrupt_escapes(spawn, signal_log):
    proc = run(spawn, "default")
    assert proc.returncode == -signal.SIGINT
    assert proc.keyboard_interrupt
    assert "main: cancelled" not in proc.stdout  # raised at raise_signal, not a cancellation
    order(proc, "main: raising SIGINT", "worker: cancelled")
    assert proc.stderr.rstrip().endswith("KeyboardInterrupt")


def test_b_a_handler_that_only_prints(spawn, signal_log):
    proc = run(spawn, "print-handler")
    assert proc.returncode == 0
    order(proc, "main: raising SIGINT", "handler: SIGINT, and nothing else", "main: completed", "worker: cancelled")
    signal_log.assert_handled(signal.SIGINT, times=1, by="say", process=proc)
    signal_log.assert_cancelled("worker", process=proc)


def test_c_main_blocks_then_keyboard_interrupt_propagates(spawn, signal_log):
    proc = run(spawn, "blocking")
    assert proc.returncode == -signal.SIGINT  # the interpreter dies by SIGINT, as CPython does
    assert proc.keyboard_interrupt
    assert proc.stderr.rstrip().endswith("KeyboardInterrupt")
    assert "Traceback" in proc.stderr
    if RUNNER_HANDLES_CTRL_C:
        order(proc, "main: raising SIGINT", "main: completed", "worker: cancelled")
        # The worker is cancelled before KeyboardInterrupt leaves asyncio.run().
        kinds = [e.kind for e in signal_log.filter(process=proc) if e.kind in ("cancelled", "keyboard_interrupt")]
        assert kinds[-2:] == ["cancelled", "keyboard_interrupt"]
    else:  # 3.10: raised at raise_signal, so main never completes
        order(proc, "main: raising SIGINT", "worker: cancelled")
        assert "main: completed" not in proc.stdout


def test_d_a_handler_that_cancels_every_task(spawn, signal_log):
    proc = run(spawn, "cancel-all")
    assert proc.returncode == 1
    assert not proc.keyboard_interrupt
    order(proc, "handler: cancelling every task", "main: cancelled", "worker: cancelled")
    proc.expect_exact("asyncio.run() raised CancelledError")  # not KeyboardInterrupt: the Runner never saw the Ctrl-C
    signal_log.assert_cancelled("Task-1", message="SIGINT", process=proc)
    signal_log.assert_cancelled("worker", message="SIGINT", process=proc)
