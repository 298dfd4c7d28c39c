"""Promise 2: the code under test sees the dispositions it would see without the plugin."""

from __future__ import annotations

import pytest

CHECKS = """
import asyncio, os, signal, sys, pytest

def check_dispositions():
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGPIPE) is signal.SIG_IGN
    from signal import getsignal  # bound early: still sees the virtual table
    assert getsignal(signal.SIGHUP) is signal.SIG_DFL

def check_roundtrip():
    def handler(signum, frame):
        pass
    previous = signal.signal(signal.SIGTERM, handler)
    assert previous is signal.SIG_DFL
    assert signal.getsignal(signal.SIGTERM) is handler
    assert signal.signal(signal.SIGTERM, signal.SIG_IGN) is handler
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    assert signal.signal(signal.SIGTERM, signal.SIG_DFL) is signal.SIG_IGN

def check_asyncio_runner_installs_its_sigint_handler():
    seen = {}
    async def main():
        seen["handler"] = signal.getsignal(signal.SIGINT)
    asyncio.run(main())
    if sys.version_info >= (3, 11):
        assert seen["handler"] is not signal.default_int_handler
        assert type(seen["handler"].func.__self__).__name__ == "Runner"  # a functools.partial
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

def check_errors_are_cpythons():
    with pytest.raises(TypeError, match="signal handler must be signal.SIG_IGN"):
        signal.signal(signal.SIGTERM, "nope")
    with pytest.raises(OSError):
        signal.signal(signal.SIGKILL, lambda *a: None)
    with pytest.raises(ValueError):
        signal.signal(12345, lambda *a: None)
    import threading
    errors = []
    def in_thread():
        try:
            signal.signal(signal.SIGTERM, lambda *a: None)
        except ValueError as exc:
            errors.append(str(exc))
    t = threading.Thread(target=in_thread); t.start(); t.join()
    assert errors and "main thread" in errors[0]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
"""


@pytest.mark.parametrize(
    "check",
    [
        "check_dispositions",
        "check_roundtrip",
        "check_asyncio_runner_installs_its_sigint_handler",
        "check_errors_are_cpythons",
    ],
)
def test_same_with_and_without_the_plugin(pytester: pytest.Pytester, run, check: str) -> None:
    pytester.makepyfile(
        CHECKS
        + f"""
def test_plain():
    {check}()

def test_with_fixture(signal_log):
    {check}()

@pytest.mark.sends_signal("SIGTERM")
def test_with_marker():
    {check}()
"""
    )
    run().assert_outcomes(passed=3)
    # and the checks are true of plain pytest too
    pytester.runpytest_subprocess("-p", "no:signals", "-k", "plain").assert_outcomes(passed=1)


def test_ignored_sigint_stays_ignored(pytester: pytest.Pytester) -> None:
    """pytest started with SIGINT ignored (a CI agent, a background job)."""
    pytester.makeconftest(
        """
        import signal
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        """
    )
    pytester.makepyfile(
        """
        import signal
        def test_ign(send_signal, signal_log):
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            delivery = send_signal(signal.SIGINT)
            assert delivery.outcome == "ignored"
            assert [e.kind for e in signal_log] == ["sent", "ignored"]
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_sig_ign_is_inherited_by_children(pytester: pytest.Pytester, run) -> None:
    """SIG_IGN stays the real disposition, so an exec'd child inherits it as it would."""
    pytester.makepyfile(
        """
        import signal, subprocess, sys
        def test_child(signal_log):
            signal.signal(signal.SIGUSR1, signal.SIG_IGN)
            code = "import signal; print(signal.getsignal(signal.SIGUSR1))"
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
            signal.signal(signal.SIGUSR1, signal.SIG_DFL)
            assert out.strip() in ("Handlers.SIG_IGN", "1")
        """
    )
    run().assert_outcomes(passed=1)
