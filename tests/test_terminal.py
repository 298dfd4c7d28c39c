"""A real Ctrl-C typed into the terminal that runs pytest still stops the session."""

from __future__ import annotations

import pytest

pytest.importorskip("pexpect")


def test_real_ctrl_c_stops_the_session(pytester: pytest.Pytester, interrupt_session) -> None:
    pytester.makepyfile(
        """
        import signal, sys, threading

        def test_waits(send_signal, signal_log):
            # the plugin is active in this test: a Ctrl-C it did not send must still stop pytest
            sys.stdout.write("READY\\n")
            sys.stdout.flush()
            while True:  # short waits: see SERVER in test_spawn.py
                threading.Event().wait(0.05)  # noqa: sleep-ok - the program's own loop

        def test_never_runs():
            pass
        """
    )
    rest = interrupt_session()
    assert "test_never_runs" not in rest


def test_real_ctrl_c_during_a_handled_sigint_test(pytester: pytest.Pytester, interrupt_session) -> None:
    """Even after the test sent itself a SIGINT, the next real Ctrl-C stops pytest."""
    pytester.makepyfile(
        """
        import signal, sys, threading, pytest

        def test_waits(send_signal):
            with pytest.raises(KeyboardInterrupt):
                send_signal(signal.SIGINT)
            sys.stdout.write("READY\\n")
            sys.stdout.flush()
            while True:  # short waits: see SERVER in test_spawn.py
                threading.Event().wait(0.05)  # noqa: sleep-ok - the program's own loop
        """
    )
    interrupt_session()


def test_real_ctrl_c_during_an_async_test_stops_the_session(pytester: pytest.Pytester, interrupt_session) -> None:
    """In pytest-asyncio's Runner too: a Ctrl-C the test did not send ends the session."""
    pytester.makepyfile(
        """
        import asyncio, sys, pytest

        @pytest.mark.asyncio
        async def test_waits(send_signal, signal_log):
            sys.stdout.write("READY\\n")
            sys.stdout.flush()
            while True:  # short waits: see SERVER in test_spawn.py
                await asyncio.sleep(0.05)  # noqa: sleep-ok - the program's own loop

        def test_never_runs():
            pass
        """
    )
    rest = interrupt_session()
    assert "test_never_runs" not in rest
