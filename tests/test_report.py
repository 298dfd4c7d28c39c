"""--signal-report: the signal coverage summary at the end of a run, alone and
combined over xdist workers."""

from __future__ import annotations

import pytest

from pytest_signals._events import SignalLog
from pytest_signals._report import SignalReport

SUITE = """
import asyncio, signal, sys, pytest

def on_term(signum, frame):
    pass

def on_hup(signum, frame):
    pass

def test_term_handled(send_signal):
    signal.signal(signal.SIGTERM, on_term)
    send_signal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

def test_hup_handler_never_exercised(signal_log):
    old = signal.signal(signal.SIGHUP, on_hup)
    signal.signal(signal.SIGHUP, old)

def test_ctrl_c(send_signal):
    with pytest.raises(KeyboardInterrupt):
        send_signal(signal.SIGINT)

def test_ignored(send_signal):
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    send_signal(signal.SIGUSR1)
    signal.signal(signal.SIGUSR1, signal.SIG_DFL)

@pytest.mark.asyncio
async def test_loop_handler(send_signal):
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR2, print, "usr2")
    await send_signal(signal.SIGUSR2)
    loop.remove_signal_handler(signal.SIGUSR2)

def test_child_killed_by_default_action(spawn, send_signal):
    proc = spawn([sys.executable, "-c", "import sys; print('up', flush=True); sys.stdin.read()"])
    proc.expect("up")
    send_signal(signal.SIGTERM, to=proc).wait()
    assert proc.wait() == -signal.SIGTERM

def test_child_left_running(spawn):
    proc = spawn([sys.executable, "-c", "import sys; print('up', flush=True); sys.stdin.read()"])
    proc.expect("up")  # stopped at teardown: not a SIGTERM the test sent

def test_without_the_plugin():
    pass
"""

EXPECTED = [
    "*= pytest-signals: signal report =*",
    "signal   sent by  handled  ignored  default action  KeyboardInterrupt",
    "SIGINT   1 test   1        0        0               1",
    "SIGUSR1  1 test   0        1        0               0",
    "SIGUSR2  1 test   1        0        0               0",
    "SIGTERM  2 tests  1        0        1               0",
    "",
    "installed but never exercised (no test delivered the signal to them):",
    "  SIGHUP: test_suite.on_hup (installed in test_suite.py::test_hup_handler_never_exercised)",
]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["no-xdist", "xdist-2-workers"])
def test_report_summarises_the_run(pytester: pytest.Pytester, run, workers: list[str]) -> None:
    pytester.makepyfile(test_suite=SUITE)
    result = run("--signal-report", *workers)
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(EXPECTED, consecutive=True)
    result.stdout.fnmatch_lines(["signals: timeout=5s (default), strict=off (default), report=on*"])


def test_report_is_off_by_default(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(test_suite=SUITE)
    result = run()
    result.assert_outcomes(passed=8)
    result.stdout.no_fnmatch_line("*signal report*")


def test_report_from_the_ini_file(pytester: pytest.Pytester, run) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\nsignal_report = true\n")
    pytester.makepyfile("def test_plain():\n    pass\n")
    result = run()
    result.stdout.fnmatch_lines(
        ["*= pytest-signals: signal report =*", "no signal activity in the 0 test(s) that used pytest-signals"]
    )


def test_worker_data_merges_to_the_same_report() -> None:
    log = SignalLog()
    log.record("installed", "SIGHUP", handler="app.on_hup")
    log.record("installed", "SIGTERM", handler="app.on_term")
    log.record("sent", "SIGTERM", detail="via raise, to the test process")
    log.record("handled", "SIGTERM", handler="app.on_term")
    log.record("installed", "SIGINT", handler="partial(asyncio.runners.Runner._on_sigint)")
    whole = SignalReport()
    whole.add_test("t::a", log)
    whole.add_test("t::b", log)
    worker = SignalReport()
    worker.add_test("t::b", log)
    combined = SignalReport()
    combined.add_test("t::a", log)
    combined.merge(worker.to_data())
    assert combined.lines() == whole.lines()
    assert combined.never_exercised() == [("SIGHUP", "app.on_hup", ["t::a", "t::b"])]
    assert combined.signals["SIGTERM"].sent_by == {"t::a", "t::b"}
    assert combined.signals["SIGTERM"].received == {"handled": 2}
