"""A child that does not exit shows where it is stuck: a timed-out wait on an
instrumented Python child shows the Python stack of each of its threads, and
the program goes on as before, none the wiser."""

from __future__ import annotations

import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the stacks are shown on Linux only")

# A service whose shutdown hangs: SIGTERM makes main drain a queue that a
# worker thread, stuck on a lock, never empties.
HANGS = """
import os, signal, sys, threading

stuck = threading.Lock()
stuck.acquire()
done = threading.Event()
stop = threading.Event()


def worker_loop():
    with stuck:  # never released: the worker is stuck here
        done.set()


def drain_queue():
    done.wait()  # main is stuck here


def on_term(signum, frame):
    stop.set()


def main():
    r, w = os.pipe()  # a wakeup fd: a SIGTERM that lands just before the wait still wakes it
    os.set_blocking(w, False)
    signal.set_wakeup_fd(w)
    signal.signal(signal.SIGTERM, on_term)
    threading.Thread(target=worker_loop, name="worker").start()
    print("serving", flush=True)
    while not stop.is_set():
        os.read(r, 1)
    print("draining", flush=True)
    drain_queue()


if __name__ == "__main__":
    main()
"""

TESTS = """
import signal, sys, threading
import pytest
from pytest_signals import WaitFailed


def stacks_of(failure):
    text = str(failure)
    assert "Python stacks of pid" in text, text
    return text.split("(faulthandler):", 1)[1].split("signal timeline:", 1)[0]


def test_wait_shows_where_each_thread_is_stuck(spawn, send_signal):
    proc = spawn("hangs.py")
    proc.expect("serving")
    send_signal(signal.SIGTERM, to=proc).wait()
    proc.expect("draining")
    with pytest.raises(WaitFailed) as failed:
        proc.wait(timeout=0.5)
    stacks = stacks_of(failed.value)
    assert stacks.count("hread 0x") == 2, stacks  # the worker's "Thread 0x...", main's "Current thread 0x..."
    assert 'hangs.py", line 15 in drain_queue' in stacks, stacks
    assert 'hangs.py", line 10 in worker_loop' in stacks, stacks
    assert "pytest_signals" not in stacks, stacks  # neither the instrumentation's nor the template's frames
    assert proc.is_alive()
    proc.stop(grace=0)


def test_expect_and_wait_for_handler_show_them_too(spawn):
    proc = spawn("hangs.py")
    proc.wait_for_handler(signal.SIGTERM)
    with pytest.raises(WaitFailed) as failed:
        proc.expect("never printed", timeout=0.3)
    assert "in main" in stacks_of(failed.value)
    with pytest.raises(WaitFailed) as failed:
        proc.wait_for_handler(signal.SIGHUP, timeout=0.3)
    assert 'hangs.py", line 30 in main' in stacks_of(failed.value)  # os.read(r, 1), until stop is set


def test_the_program_goes_on_none_the_wiser(spawn, send_signal):
    proc = spawn("watcher.py")
    proc.expect("ready")
    for _ in range(3):  # asked three times: each time complete, each time the same
        with pytest.raises(WaitFailed) as failed:
            proc.expect("never printed", timeout=0.2)
        assert "in wait_for_term" in stacks_of(failed.value)
    delivery = send_signal(signal.SIGTERM, to=proc).wait()
    assert delivery.outcome == "handled"
    assert proc.wait() == 0
    # What the program saw of it all: SIG_DFL, no faulthandler module, its one
    # thread, its sleep never cut short.
    assert proc.stdout.splitlines()[1:] == ["True False 1 slept through"], proc.stdout


def test_a_program_that_handles_the_stack_signal_is_not_asked(spawn):
    proc = spawn("own_rtmax.py")
    proc.expect("ready")
    with pytest.raises(WaitFailed) as failed:
        proc.wait(timeout=0.2)
    assert f"no Python stacks: the program set its own disposition for signal {signal.SIGRTMAX}" in str(failed.value)
    proc.write("report\\n")
    proc.expect("calls 0")  # its handler never ran
"""

WATCHER = """
import signal, sys, threading, time

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
rtmax = signal.getsignal(signal.SIGRTMAX)


def wait_for_term():
    start = time.monotonic()
    while not stop.is_set():
        time.sleep(0.05)  # noqa: sleep-ok - the program's own idle loop
    return time.monotonic() - start


print("ready", flush=True)
wait_for_term()
begin = time.monotonic()
time.sleep(0.2)  # noqa: sleep-ok - the program's own sleep, which the stack request must not cut short
slept = "slept through" if time.monotonic() - begin >= 0.2 else "cut short"
print(rtmax is signal.SIG_DFL, "faulthandler" in sys.modules, threading.active_count(), slept, flush=True)
"""

OWN_RTMAX = """
import signal, sys

calls = []
signal.signal(signal.SIGRTMAX, lambda signum, frame: calls.append(signum))
print("ready", flush=True)
for line in sys.stdin:
    print("calls", len(calls), flush=True)
"""


@pytest.mark.parametrize("method", ["forkserver", "exec"])
def test_a_stuck_child_shows_its_stacks(pytester: pytest.Pytester, run, method: str) -> None:
    pytester.makepyfile(hangs=HANGS, watcher=WATCHER, own_rtmax=OWN_RTMAX, test_stuck=TESTS)
    run(f"--signal-start-method={method}").assert_outcomes(passed=4)
