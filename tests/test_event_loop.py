"""The running event loop: await send_signal, loop handlers, cancellations, SIGINT
under asyncio.Runner. Each scenario runs on pytest-asyncio (strict and auto
mode) and on anyio's asyncio and trio backends where it applies."""

from __future__ import annotations

import pytest

LOOP_HANDLERS = """
import asyncio, functools, signal, pytest

{marker}
async def test_each_signal_handled_once_in_order(send_signal, signal_log):
    got = []
    loop = asyncio.get_running_loop()
    assert type(loop).__module__.split(".")[0] == {loop_module!r}
    for sig, name in ((signal.SIGHUP, "hup"), (signal.SIGUSR1, "usr1"), (signal.SIGINT, "int")):
        loop.add_signal_handler(sig, functools.partial(got.append, name))
    for sig in (signal.SIGHUP, signal.SIGHUP, signal.SIGUSR1, signal.SIGINT):
        delivery = await send_signal(sig)  # returns once the loop ran the callback
        assert delivery.outcome == "handled" and delivery.handler.startswith("partial(")
    assert got == ["hup", "hup", "usr1", "int"]
    for sig in (signal.SIGHUP, signal.SIGUSR1, signal.SIGINT):
        assert loop.remove_signal_handler(sig) is True
    assert loop.remove_signal_handler(signal.SIGHUP) is False
    kinds = [e.kind for e in signal_log if e.signal == signal.SIGHUP]
    assert kinds == ["installed", "sent", "handled", "sent", "handled", "removed"]
    assert not any("noop" in (e.handler or "") for e in signal_log)

{marker}
async def test_handler_cancels_a_task(send_signal, signal_log):
    loop = asyncio.get_running_loop()
    worker = asyncio.create_task(asyncio.sleep(60), name="worker")
    loop.add_signal_handler(signal.SIGTERM, worker.cancel)
    await send_signal(signal.SIGTERM)
    event = await signal_log.wait_for("cancelled", task="worker")
    assert event.detail == "coroutine sleep"
    signal_log.assert_cancelled(worker, message=None)
    loop.remove_signal_handler(signal.SIGTERM)

{marker}
async def test_cancel_message_read_without_taking_it(send_signal, signal_log):
    import traceback
    async def work():
        await asyncio.sleep(60)
    loop = asyncio.get_running_loop()
    worker = asyncio.create_task(work(), name="worker")
    await asyncio.sleep(0)
    loop.add_signal_handler(signal.SIGTERM, worker.cancel, "SIGTERM")
    await send_signal(signal.SIGTERM)
    event = await signal_log.wait_for("cancelled", task="worker")
    assert event.message == "SIGTERM" and "message='SIGTERM'" in str(event)
    with pytest.raises(AssertionError, match="worker .message 'SIGTERM'."):
        signal_log.assert_cancelled("worker", message="other")
    # The program's own await still gets the task's CancelledError, traceback and all
    # (3.10 raises a new one whose context is the stored one).
    with pytest.raises(asyncio.CancelledError) as info:
        await worker
    stored = info.value if info.value.args else info.value.__context__
    assert stored.args == ("SIGTERM",)
    assert "work" in [frame.f_code.co_name for frame, _ in traceback.walk_tb(stored.__traceback__)]
    loop.remove_signal_handler(signal.SIGTERM)

{marker}
async def test_without_await_it_just_sends(send_signal):
    loop = asyncio.get_running_loop()
    got = []
    loop.add_signal_handler(signal.SIGUSR2, got.append, "usr2")
    delivery = send_signal(signal.SIGUSR2)
    assert delivery.outcome == "queued" and not delivery.done and got == []
    with pytest.raises(RuntimeError, match="Use `await` instead"):
        delivery.wait()
    assert (await delivery).outcome == "handled" and got == ["usr2"]
    loop.remove_signal_handler(signal.SIGUSR2)

{marker}
async def test_sigkill_error_reaches_the_test_unchanged(signal_log):
    with pytest.raises(RuntimeError, match="sig 9 cannot be caught"):
        asyncio.get_running_loop().add_signal_handler(signal.SIGKILL, print)
"""


UVLOOP_CONFTEST = """
import pytest, uvloop

@pytest.fixture(scope="session")
def event_loop_policy():
    return uvloop.EventLoopPolicy()
"""


@pytest.mark.parametrize(
    ("mode", "loop"), [("strict", "asyncio"), ("auto", "asyncio"), ("strict", "uvloop"), ("auto", "uvloop")]
)
def test_asyncio_loop_handlers(pytester: pytest.Pytester, run, mode: str, loop: str) -> None:
    if loop == "uvloop":
        pytest.importorskip("uvloop")
        pytester.makeconftest(UVLOOP_CONFTEST)
    marker = "@pytest.mark.asyncio" if mode == "strict" else ""
    loop_module = "uvloop" if loop == "uvloop" else "asyncio"
    pytester.makepyfile(LOOP_HANDLERS.format(marker=marker, loop_module=loop_module))
    # pytest-asyncio 1.5 deprecates the event_loop_policy fixture in favour of a hook older versions lack
    run(f"--asyncio-mode={mode}", "-W", "ignore::DeprecationWarning").assert_outcomes(passed=5)


def test_anyio_signal_receivers_on_both_backends(pytester: pytest.Pytester, run, anyio_both_backends) -> None:
    pytester.makepyfile(
        """
        import signal, anyio, pytest

        @pytest.mark.anyio
        async def test_reload_then_stop(send_signal, signal_log, anyio_backend):
            seen = []
            async def serve(task_status=anyio.TASK_STATUS_IGNORED):
                with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGHUP) as signals:
                    task_status.started()
                    async for signum in signals:
                        seen.append(signum)
                        if signum == signal.SIGTERM:
                            return
            async with anyio.create_task_group() as tg:
                await tg.start(serve)
                for sig in (signal.SIGHUP, signal.SIGTERM):
                    delivery = await send_signal(sig)
                    assert delivery.outcome in ("handled", "queued")
            assert seen == [signal.SIGHUP, signal.SIGTERM]
            signal_log.assert_handled(signal.SIGTERM, times=1)
        """
    )
    run().assert_outcomes(passed=2)


def test_sigint_only_the_runner_handles_fails_the_test(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import asyncio, signal, pytest

        @pytest.mark.asyncio
        async def test_runner(send_signal):
            await send_signal(signal.SIGINT)

        @pytest.mark.asyncio
        async def test_own_handler(send_signal):
            got = []
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGINT, got.append, "int")
            await send_signal(signal.SIGINT)
            loop.remove_signal_handler(signal.SIGINT)
            assert got == ["int"]

        def test_after():
            assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        """
    )
    result = run()
    result.assert_outcomes(failed=1, passed=2)
    result.stdout.fnmatch_lines(["*The SIGINT this test sent reached asyncio.Runner's own SIGINT handler*"])
    result.stdout.no_fnmatch_line("*no tests ran*")


def test_loop_handler_left_installed_is_a_leak(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import asyncio, signal, pytest
        LOOPS = []

        def test_leaks(signal_log):
            loop = asyncio.new_event_loop()
            loop.add_signal_handler(signal.SIGUSR2, print)
            LOOPS.append(loop)  # never closed

        def test_after():
            assert signal.getsignal(signal.SIGUSR2) is signal.SIG_DFL
            assert signal.set_wakeup_fd(-1) == -1

        @pytest.mark.asyncio
        async def test_closed_by_pytest_asyncio_is_a_leak_too(signal_log):
            asyncio.get_running_loop().add_signal_handler(signal.SIGUSR2, print)
        """
    )
    result = run()
    result.assert_outcomes(passed=3, warnings=2)
    result.stdout.fnmatch_lines(
        [
            "*SIGUSR2: event-loop handler print was left installed*",
            "*set_wakeup_fd() was left at fd*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*::test_closed_by_pytest_asyncio_is_a_leak_too",
            "*SIGUSR2: event-loop handler print was still installed when the test ended "
            "(loop.remove_signal_handler() was not called; only the loop's close at teardown removed it)",
        ]
    )
    result.stdout.no_fnmatch_line("*_sighandler_noop*")


LEFT_BY_THE_BODY = """
import asyncio, signal, pytest, pytest_asyncio

@pytest_asyncio.fixture(loop_scope="{scope}")
async def server():
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGHUP, print)  # a fixture's, removed by its own teardown
    yield
    loop.remove_signal_handler(signal.SIGHUP)

@pytest.mark.asyncio(loop_scope="{scope}")
async def test_cleans_up(server, signal_log):
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, print)
    loop.remove_signal_handler(signal.SIGUSR1)

# Last: under a module-scoped loop, what it leaves reaches the tests after it.
@pytest.mark.asyncio(loop_scope="{scope}")
async def test_leaves_it(server, signal_log):
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, print)
"""


@pytest.mark.parametrize("scope", ["function", "module"])
@pytest.mark.parametrize("strict", [False, True])
def test_a_loop_handler_the_body_left_is_a_leak_in_every_loop_scope(
    pytester: pytest.Pytester, run, scope: str, strict: bool
) -> None:
    """Checked when the body returns: pytest-asyncio's function-scoped loop
    would remove it silently at teardown, a module-scoped one keep it."""
    pytester.makepyfile(LEFT_BY_THE_BODY.format(scope=scope))
    result = run(*(["--signal-strict"] if strict else []))
    line = (
        "*SIGTERM: event-loop handler print was left installed*"
        if scope == "module"
        else "*SIGTERM: event-loop handler print was still installed when the test ended*loop's close*"
    )
    if strict:
        result.assert_outcomes(passed=2, errors=1)
        result.stdout.fnmatch_lines(["*ERROR at teardown of test_leaves_it*", line, "*(signal_strict is on)*"])
    else:
        result.assert_outcomes(passed=2, warnings=1)
        result.stdout.fnmatch_lines(["*test_leaves_it*", line])
    result.stdout.no_fnmatch_line("*SIGHUP: event-loop handler*")
    result.stdout.no_fnmatch_line("*SIGUSR1: event-loop handler*")


def test_wait_for_times_out_with_the_timeline(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.asyncio
        async def test_never(signal_log):
            await signal_log.wait_for("cancelled", task="nobody", timeout=0.2)
        """
    )
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*waited 0.2s for a cancelled nobody event; none came*"])


def test_loop_in_another_thread_gets_a_clear_error(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import asyncio, signal, threading

        def test_thread_loop(send_signal):
            errors = []
            async def main():
                try:
                    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, print)
                except RuntimeError as exc:
                    errors.append(f"asyncio: {exc}")
                try:
                    await send_signal(signal.SIGUSR1, via="kill")
                except RuntimeError as exc:
                    errors.append(str(exc))
            thread = threading.Thread(target=asyncio.run, args=(main(),), name="loop-thread")
            thread.start()
            thread.join()
            assert "main thread" in errors[0]  # asyncio's own error, unchanged
            assert "event loop running in thread 'loop-thread'" in errors[1]
            assert "nothing in this loop would ever see the signal" in errors[1]
        """
    )
    run().assert_outcomes(passed=1)


@pytest.mark.parametrize("scope", ["module", "session"])
def test_loop_handlers_installed_before_the_test_are_observed(pytester: pytest.Pytester, run, scope: str) -> None:
    """A long-lived app's handlers, installed by a wider-scoped async fixture."""
    pytester.makepyfile(
        f"""
        import asyncio, signal
        import pytest
        import pytest_asyncio

        RELOADS = []

        def reload():
            RELOADS.append("reload")

        @pytest_asyncio.fixture(scope="{scope}", loop_scope="{scope}")
        async def app():
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGHUP, reload)
            yield
            loop.remove_signal_handler(signal.SIGHUP)

        @pytest.mark.asyncio(loop_scope="{scope}")
        async def test_first(app, send_signal, signal_log):
            delivery = await send_signal(signal.SIGHUP)
            assert delivery.handled and delivery.outcome == "handled"
            signal_log.assert_handled(signal.SIGHUP, times=1, by="reload")

        @pytest.mark.asyncio(loop_scope="{scope}")
        async def test_second(app, send_signal, signal_log):
            await send_signal(signal.SIGHUP)
            signal_log.assert_handled(signal.SIGHUP, times=1, by="reload")
            assert RELOADS == ["reload", "reload"]
        """
    )
    result = run("-W", "error::pytest_signals.SignalLeakWarning")
    result.assert_outcomes(passed=2)


def test_a_cancellation_the_task_absorbed_is_logged_with_how_it_ended(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import asyncio, signal, pytest

        async def returns():
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                print("work() cancelled")  # the classic shutdown: caught, and a normal return

        async def raises():
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                raise RuntimeError("cleanup failed")

        @pytest.mark.asyncio
        async def test_absorbed(send_signal, signal_log):
            tasks = [
                asyncio.create_task(returns(), name="worker"),
                asyncio.create_task(raises(), name="cleaner"),
                asyncio.create_task(asyncio.sleep(60), name="sleeper"),
            ]
            untouched = asyncio.create_task(asyncio.sleep(0), name="untouched")
            await asyncio.sleep(0)
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGTERM, lambda: [t.cancel() for t in tasks])
            await send_signal(signal.SIGTERM)
            await asyncio.gather(*tasks, untouched, return_exceptions=True)
            loop.remove_signal_handler(signal.SIGTERM)
            for name in ("worker", "cleaner", "sleeper"):
                await signal_log.wait_for("cancelled", task=name)
            ended = {e.task: e.ended for e in signal_log.cancelled}
            assert ended == {"worker": "returned", "cleaner": "raised", "sleeper": "cancelled"}
            with pytest.raises(AssertionError, match=r"worker \\(message None, ended returned\\)"):
                signal_log.assert_cancelled("worker")  # the old meaning: it did not end cancelled
            assert signal_log.assert_cancelled("worker", absorbed=True).ended == "returned"
            assert signal_log.assert_cancelled("cleaner", absorbed=True).ended == "raised"
            assert signal_log.assert_cancelled("sleeper").ended == "cancelled"
            assert "ended=returned" in str(signal_log.assert_cancelled("worker", absorbed=True))
        """
    )
    run().assert_outcomes(passed=1)
