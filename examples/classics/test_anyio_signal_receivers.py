"""Classic 2: anyio signal receivers, on the asyncio and the trio backend."""

import signal
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
BACKENDS = ["asyncio", "trio"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_sighup_reloads_sigterm_returns(spawn, send_signal, signal_log, backend):
    proc = spawn(HERE / "anyio_reload.py", backend)
    proc.wait_for_handler(signal.SIGTERM)

    for n in (1, 2):
        send_signal(signal.SIGHUP, to=proc).wait()
        # A receiver coalesces a signal that comes again before it was read:
        # wait for each reload before sending the next.
        proc.expect_exact(f"Reloading configuration ({n})")
    send_signal(signal.SIGTERM, to=proc).wait()

    assert proc.wait() == 0
    proc.expect_exact("SIGTERM: exiting after 2 reloads")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("sig", "via", "message"),
    [(signal.SIGINT, "tty", "Ctrl+C pressed!"), (signal.SIGTERM, "kill", "Terminated!")],
)
def test_signal_task_cancels_the_task_group(spawn, send_signal, backend, sig, via, message):
    proc = spawn(HERE / "anyio_task_group.py", backend, tty=True)
    proc.wait_for_handler(signal.SIGTERM)  # the receiver is open (SIGINT's too)

    send_signal(sig, to=proc, via=via).wait()

    assert proc.wait() == 0
    proc.expect_exact(message)
    proc.expect_exact("worker: cancelled")
    proc.expect_exact("task group exited cleanly")


@pytest.mark.parametrize("backend", BACKENDS)
def test_ctrl_c_without_a_handler(spawn, send_signal, signal_log, backend):
    proc = spawn(HERE / "anyio_no_handler.py", backend, tty=True)
    proc.expect_exact("ready\r\n")  # a terminal turns "\n" into "\r\n"

    send_signal(signal.SIGINT, to=proc, via="tty").wait()

    assert proc.wait() == 130
    proc.expect_exact("worker: shut down")
    if backend == "trio":
        # trio raises KeyboardInterrupt inside the application (in the main
        # task, where it waits), wrapped by the task group.
        proc.expect_exact("main: BaseExceptionGroup ['KeyboardInterrupt']")
        proc.expect_exact("anyio.run raised BaseExceptionGroup")
    else:
        # asyncio's runner turns Ctrl-C into cancellation of the main task: the
        # application sees only CancelledError, its tasks are shut down, and
        # KeyboardInterrupt comes out of anyio.run() afterwards.
        proc.expect_exact("main: CancelledError ['CancelledError']")
        # 3.10 tasks have no uncancel(), so the runner cannot tell that the
        # cancellation was its own: the CancelledError itself comes out.
        escaped = "KeyboardInterrupt" if sys.version_info >= (3, 11) else "CancelledError"
        proc.expect_exact(f"anyio.run raised {escaped}")
        signal_log.assert_cancelled("__main__.main", process=proc)
