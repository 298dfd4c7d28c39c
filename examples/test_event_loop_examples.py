"""Signal handling inside the running event loop: `await send_signal(...)`
returns once the loop ran its callbacks. No `asyncio.sleep` anywhere."""

import asyncio
import functools
import signal

import anyio
import pytest


@pytest.mark.asyncio
async def test_loop_handlers_run_once_each_in_order(send_signal, signal_log):
    calls = []

    def handler(name):
        calls.append(name)

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGHUP, signal.SIGUSR1, signal.SIGINT):
        loop.add_signal_handler(sig, functools.partial(handler, name=sig.name))
    try:
        for sig in (signal.SIGHUP, signal.SIGHUP, signal.SIGUSR1, signal.SIGINT):
            await send_signal(sig)  # the callback has run when this returns
    finally:
        for sig in (signal.SIGHUP, signal.SIGUSR1, signal.SIGINT):
            loop.remove_signal_handler(sig)

    assert calls == ["SIGHUP", "SIGHUP", "SIGUSR1", "SIGINT"]
    signal_log.assert_handled(signal.SIGHUP, times=2)


class Server:
    """A server task that stops cleanly when SIGTERM arrives."""

    def __init__(self):
        self.stop = asyncio.Event()
        self.closed = False

    async def serve(self):
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.stop.set)
        try:
            await self.stop.wait()
        finally:
            loop.remove_signal_handler(signal.SIGTERM)
            self.closed = True


@pytest.mark.asyncio
async def test_server_stops_cleanly_on_sigterm(send_signal):
    server = Server()
    task = asyncio.create_task(server.serve())
    await asyncio.sleep(0)  # let serve() install its handler (one loop step, not a wait)

    await send_signal(signal.SIGTERM)
    await task

    assert server.closed


async def shutdown_on_sigterm(tasks):
    """aioshutdown-style: SIGTERM cancels every other task, with the signal as message."""
    loop = asyncio.get_running_loop()

    def cancel_all():
        for task in tasks:
            task.cancel(msg="SIGTERM")

    loop.add_signal_handler(signal.SIGTERM, cancel_all)


@pytest.mark.asyncio
async def test_sigterm_cancels_every_worker(send_signal, signal_log):
    workers = [asyncio.create_task(asyncio.sleep(3600), name=f"worker-{n}") for n in range(3)]
    await shutdown_on_sigterm(workers)

    await send_signal(signal.SIGTERM)
    results = await asyncio.gather(*workers, return_exceptions=True)
    asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)

    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    for n in range(3):
        # Done callbacks (which report a cancellation) may run a loop step after
        # gather() returned: wait for the event, bounded, instead of sleeping.
        event = await signal_log.wait_for("cancelled", task=f"worker-{n}")
        assert event.detail == "coroutine sleep"
        assert event.message == "SIGTERM"
    signal_log.assert_cancelled("worker-0", message="SIGTERM")


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request):
    return request.param


@pytest.mark.anyio
async def test_anyio_reload_on_sighup_stop_on_sigterm(send_signal, anyio_backend):
    reloads = []
    reloaded = anyio.Event()

    async def run_service(task_status=anyio.TASK_STATUS_IGNORED):
        nonlocal reloaded
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGHUP) as signals:
            task_status.started()
            async for signum in signals:
                if signum == signal.SIGHUP:
                    reloads.append("configuration reloaded")
                    reloaded.set()
                else:
                    return

    async with anyio.create_task_group() as tg:
        await tg.start(run_service)
        for _ in range(2):
            # A signal receiver coalesces a signal that arrives again before it
            # was consumed (trio documents it): wait for each reload before the next.
            await send_signal(signal.SIGHUP)
            await reloaded.wait()
            reloaded = anyio.Event()
        await send_signal(signal.SIGTERM)

    assert reloads == ["configuration reloaded"] * 2
