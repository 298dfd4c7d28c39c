"""Classic 1: asyncio loop handlers (loop.add_signal_handler)."""

import asyncio
import signal
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def test_handlers_run_in_order_each_after_its_yield(spawn, signal_log):
    proc = spawn(HERE / "loop_handlers.py")
    assert proc.wait() == 0
    journal = proc.stdout.splitlines()

    sent = ["SIGHUP", "SIGHUP", "SIGUSR1", "SIGINT"]
    assert [line for line in journal if line.startswith("handler")] == [f"handler {s}" for s in sent]
    # Handler i never runs inside os.kill: only after the coroutine yielded and resumed.
    resumed = [i for i, line in enumerate(journal) if line.startswith("resumed")]
    handled = [i for i, line in enumerate(journal) if line.startswith("handler")]
    assert all(h > r for h, r in zip(handled, resumed, strict=True)), journal
    # The plugin saw the same: one call per signal, of the partial, in order.
    calls = signal_log.filter("handled", process=proc)
    assert [e.signal_name for e in calls] == sent
    assert {e.handler for e in calls} == {"partial(loop_handlers.handler)"}


@pytest.mark.asyncio
async def test_bad_signals_and_removal(signal_log):
    loop = asyncio.get_running_loop()
    with pytest.raises(ValueError, match="999"):
        loop.add_signal_handler(999, print)
    with pytest.raises(RuntimeError, match="cannot be caught"):
        loop.add_signal_handler(signal.SIGKILL, print)

    loop.add_signal_handler(signal.SIGUSR1, print)
    assert loop.remove_signal_handler(signal.SIGUSR1) is True
    assert loop.remove_signal_handler(signal.SIGUSR1) is False
    assert [e.kind for e in signal_log.filter(signal=signal.SIGUSR1)] == ["installed", "removed"]


@pytest.mark.parametrize(("sig", "via"), [(signal.SIGINT, "tty"), (signal.SIGTERM, "kill")])
def test_run_forever_stops_on_sigint_or_sigterm(spawn, send_signal, sig, via):
    proc = spawn(HERE / "loop_run_forever.py", tty=True)
    proc.wait_for_handler(signal.SIGTERM)  # both handlers are in place

    send_signal(sig, to=proc, via=via).wait()

    assert proc.wait() == 0
    proc.expect_exact(f"got {sig.name}: stopping the loop")
    proc.expect_exact("loop closed")
