"""Whole process trees: a prefork master, a multiprocessing Pool under Ctrl-C
and a ProcessPoolExecutor stopped by SIGTERM.

``tree=master`` selects the events of the master and of every process it
started; ``processes=N`` waits until N of them reported. Readiness is what the
processes report (their handlers installed), never a sleep.
"""

import signal
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
METHODS = ["fork", "forkserver", "spawn"]
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def start_method(name):
    import multiprocessing

    if name not in multiprocessing.get_all_start_methods():
        pytest.skip(f"the {name!r} start method is not available here")
    return name


def test_sigterm_stops_every_worker_gracefully(spawn, send_signal, signal_log):
    master = spawn(HERE / "master.py", "--workers", "3")
    signal_log.wait_for("installed", "SIGTERM", tree=master, processes=4)  # the master and 3 workers
    workers = signal_log.tree(master) - {master.pid}

    send_signal(signal.SIGTERM, to=master)

    assert master.wait() == 0
    master.expect("master stopped cleanly\n")
    handled = signal_log.assert_handled(signal.SIGTERM, tree=master, times=4)
    assert {e.pid for e in handled} == workers | {master.pid}
    for pid in workers:  # each worker ran its own handler, in its own process
        signal_log.assert_handled(signal.SIGTERM, process=pid, times=1)


def test_sighup_starts_new_workers_then_stops_the_old_ones(spawn, send_signal, signal_log):
    master = spawn(HERE / "master.py", "--workers", "2")
    signal_log.wait_for("installed", "SIGTERM", tree=master, processes=3)
    old = signal_log.tree(master) - {master.pid}
    mark = signal_log.recorded

    send_signal(signal.SIGHUP, to=master)

    new = signal_log.wait_for("started", tree=master, since=mark, count=2)
    assert {e.pid for e in new}.isdisjoint(old)
    assert {e.parent for e in new} == {master.pid}
    stopped = signal_log.wait_for("handled", "SIGTERM", tree=master, since=mark, processes=2)
    assert {e.pid for e in stopped} == old  # the old generation got SIGTERM, the new one did not
    master.expect("reloaded: generation 2\n")
    send_signal(signal.SIGTERM, to=master)
    assert master.wait() == 0


@pytest.mark.parametrize("method", METHODS)
def test_ctrl_c_in_a_pool_terminates_it_cleanly(spawn, send_signal, signal_log, method):
    proc = spawn(HERE / "pool.py", start_method(method))
    proc.expect("Ctrl-C to stop\n")  # printed once both workers ignore SIGINT

    send_signal(signal.SIGINT, to=proc, via="group")  # what a terminal's Ctrl-C does

    assert proc.wait() == 130
    proc.expect("interrupted: pool terminated cleanly\n")
    ignoring = {e.pid for e in signal_log.filter("installed", "SIGINT", tree=proc) if e.handler == "SIG_IGN"}
    assert len(ignoring) >= 2  # the workers (and forkserver's server) ignore it
    interrupted = {e.pid for e in signal_log.filter("keyboard_interrupt", tree=proc)}
    assert interrupted == {proc.pid}  # the parent caught its KeyboardInterrupt; no worker got one


@pytest.mark.parametrize("method", METHODS)
def test_sigterm_stops_a_process_pool_job(spawn, send_signal, signal_log, method):
    proc = spawn(HERE / "executor.py", start_method(method))
    proc.wait_for_handler(signal.SIGTERM)
    proc.expect("SIGTERM to stop\n")

    send_signal(signal.SIGTERM, to=proc).wait()

    assert proc.wait() == 0
    done, cancelled = map(int, proc.expect(r"stopped on SIGTERM: (\d+) later tasks done, (\d+) cancelled\n").groups())
    assert done + cancelled == 100  # every task ran or was cancelled: none lost
    signal_log.assert_handled(signal.SIGTERM, process=proc, times=1)
    assert len(signal_log.tree(proc)) >= 3  # the job and its two workers reported in
