"""The wrapped calls raise exactly what they raise without the plugin, with the
same message, for every bad argument (and return the same for good ones)."""

from __future__ import annotations

import json

import pytest

CALLS = r"""
import asyncio, json, os, signal, sys

def h(signum, frame):
    pass

async def coro_cb():
    pass

CASES = {
    "signal(str)": lambda: signal.signal("SIGTERM", h),
    "signal(None handler)": lambda: signal.signal(signal.SIGUSR1, None),
    "signal(bool)": lambda: signal.signal(True, h),
    "signal(0)": lambda: signal.signal(0, h),
    "signal(65)": lambda: signal.signal(65, h),
    "signal(10**30)": lambda: signal.signal(10**30, h),
    "signal(SIGKILL)": lambda: signal.signal(signal.SIGKILL, h),
    "signal(float)": lambda: signal.signal(15.0, h),
    "signal(int handler 7)": lambda: signal.signal(signal.SIGUSR1, 7),
    "getsignal(str)": lambda: signal.getsignal("SIGTERM"),
    "getsignal(0)": lambda: signal.getsignal(0),
    "getsignal(65)": lambda: signal.getsignal(65),
    "pthread_sigmask(bad how)": lambda: signal.pthread_sigmask(99, []),
    "pthread_sigmask(bad signal)": lambda: signal.pthread_sigmask(signal.SIG_BLOCK, [0]),
    "set_wakeup_fd(str)": lambda: signal.set_wakeup_fd("x"),
    "set_wakeup_fd(closed fd)": lambda: signal.set_wakeup_fd(987654),
    "alarm(str)": lambda: signal.alarm("5"),
    "alarm(-1)": lambda: signal.alarm(-1),
    "setitimer(bad which)": lambda: signal.setitimer(99, 1.0),
    "setitimer(list which)": lambda: signal.setitimer([], 1.0),
    "setitimer(str seconds)": lambda: signal.setitimer(signal.ITIMER_REAL, "1"),
    "kill(str pid)": lambda: os.kill("1", signal.SIGTERM),
    "kill(bad signal)": lambda: os.kill(os.getpid(), 999),
    "kill(str signal)": lambda: os.kill(os.getpid(), "SIGTERM"),
    "kill(0, str)": lambda: os.kill(0, "SIGTERM"),
    "kill(0, 999)": lambda: os.kill(0, 999),
    "killpg(str)": lambda: os.killpg("0", signal.SIGTERM),
    "killpg(0, 999)": lambda: os.killpg(0, 999),
    "raise_signal(str)": lambda: signal.raise_signal("SIGTERM"),
    "raise_signal(999)": lambda: signal.raise_signal(999),
    "pthread_kill(bad thread)": lambda: signal.pthread_kill("x", signal.SIGUSR1),
    "add_signal_handler(str)": lambda: LOOP.add_signal_handler("SIGTERM", h),
    "add_signal_handler(SIGKILL)": lambda: LOOP.add_signal_handler(signal.SIGKILL, h),
    "add_signal_handler(0)": lambda: LOOP.add_signal_handler(0, h),
    "add_signal_handler(coroutine function)": lambda: LOOP.add_signal_handler(signal.SIGUSR1, coro_cb),
    "add_signal_handler(not callable)": lambda: LOOP.add_signal_handler(signal.SIGUSR1, 5),
    "remove_signal_handler(str)": lambda: LOOP.remove_signal_handler("SIGTERM"),
    "remove_signal_handler(SIGUSR2, none set)": lambda: LOOP.remove_signal_handler(signal.SIGUSR2),
    "remove_signal_handler(0)": lambda: LOOP.remove_signal_handler(0),
}

def outcome(call):
    try:
        value = call()
    except BaseException as exc:
        return [type(exc).__name__, str(exc)]
    return ["ok", repr(value) if not callable(value) else "callable"]

def check():
    global LOOP
    LOOP = asyncio.new_event_loop()
    try:
        results = {name: outcome(call) for name, call in CASES.items()}
    finally:
        LOOP.close()
    with open(os.environ["RESULTS"], "w") as f:
        json.dump(results, f, indent=1)
"""


def test_bad_arguments_raise_the_same(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(calls=CALLS)
    pytester.makepyfile(
        "import calls\ndef test_plain():\n    calls.check()\ndef test_protected(signal_log):\n    calls.check()\n"
    )
    results = {}
    for name, args in {"plain": ("-k", "plain", "-p", "no:signals"), "plugin": ("-k", "protected")}.items():
        out = pytester.path / f"{name}.json"
        monkeypatch.setenv("RESULTS", str(out))
        pytester.runpytest_subprocess("-p", "no:cacheprovider", *args).assert_outcomes(passed=1)
        results[name] = json.loads(out.read_text())
    differing = {
        k: (results["plain"][k], results["plugin"][k])
        for k in results["plain"]
        if results["plain"][k] != results["plugin"][k]
    }
    assert differing == {}
    assert sum(1 for v in results["plain"].values() if v[0] != "ok") >= 30  # the table really probes errors
