"""The log's views of a process tree, and waiting on it from a synchronous test.

The views touch no process-wide state, so most of this runs in-process on a
log filled by hand; the waits are also tried through pytester with a real
child, where the events come from its channel.
"""

from __future__ import annotations

import signal
import threading

import pytest

from pytest_signals import SignalLog

MASTER, WORKER_1, WORKER_2, GRANDCHILD, STRANGER = 100, 101, 102, 103, 200


@pytest.fixture
def log() -> SignalLog:
    log = SignalLog()
    log.record("installed", signal.SIGTERM, pid=MASTER, handler="master.on_term")
    log.record("started", None, pid=WORKER_1, parent=MASTER)
    log.record("started", None, pid=WORKER_2, parent=MASTER)
    log.record("started", None, pid=GRANDCHILD, parent=WORKER_2)
    log.record("started", None, pid=300, parent=STRANGER)
    for pid in (MASTER, WORKER_1, WORKER_2, GRANDCHILD, STRANGER):
        log.record("handled", signal.SIGTERM, pid=pid, handler="on_term")
    return log


def test_a_tree_is_the_process_and_everything_it_started(log: SignalLog) -> None:
    assert log.tree(MASTER) == {MASTER, WORKER_1, WORKER_2, GRANDCHILD}
    assert log.tree(WORKER_2) == {WORKER_2, GRANDCHILD}
    assert log.tree(GRANDCHILD) == {GRANDCHILD}
    assert [e.pid for e in log.filter("handled", tree=MASTER)] == [MASTER, WORKER_1, WORKER_2, GRANDCHILD]
    assert [e.pid for e in log.filter("handled", process=WORKER_1)] == [WORKER_1]


def test_a_grandchild_reported_before_its_parent_is_still_in_the_tree() -> None:
    log = SignalLog()
    log.record("started", None, pid=GRANDCHILD, parent=WORKER_1)  # came first, on another channel
    log.record("started", None, pid=WORKER_1, parent=MASTER)
    assert log.tree(MASTER) == {MASTER, WORKER_1, GRANDCHILD}


def test_started_events_carry_their_parent(log: SignalLog) -> None:
    assert [(e.pid, e.parent) for e in log.started] == [
        (WORKER_1, MASTER),
        (WORKER_2, MASTER),
        (GRANDCHILD, WORKER_2),
        (300, STRANGER),
    ]
    assert "parent=100" in str(log.started[0])


def test_a_process_object_names_its_tree(log: SignalLog) -> None:
    class Proc:
        pid = WORKER_2

    assert log.tree(Proc()) == {WORKER_2, GRANDCHILD}
    assert len(log.assert_handled("SIGTERM", tree=Proc())) == 2


def test_assert_handled_by_any_process_of_the_tree(log: SignalLog) -> None:
    assert len(log.assert_handled("SIGTERM", tree=MASTER, times=4)) == 4
    assert log.assert_handled("SIGTERM", process=GRANDCHILD)[0].pid == GRANDCHILD
    with pytest.raises(AssertionError) as info:
        log.assert_handled("SIGTERM", tree=WORKER_1, times=2)
    message = str(info.value)
    assert "expected SIGTERM to be handled in the tree of pid 101 (pids 101) 2 time(s)" in message
    assert "on_term in pid 101" in message


def test_assert_not_handled_in_a_tree_names_where(log: SignalLog) -> None:
    log.assert_not_handled("SIGHUP", tree=MASTER)
    with pytest.raises(AssertionError, match=r"to run in the tree of pid 102 \(pids 102, 103\), observed 2"):
        log.assert_not_handled("SIGTERM", tree=WORKER_2)


def test_process_and_tree_together_are_refused(log: SignalLog) -> None:
    with pytest.raises(ValueError, match=r"give process= or tree=, not both \(process=101, tree=100\)"):
        log.filter("handled", process=WORKER_1, tree=MASTER)
    with pytest.raises(ValueError, match="tree='master' is neither a pid"):
        log.filter(tree="master")


# -- waiting, synchronously --------------------------------------------------------


def test_a_sync_wait_returns_an_event_already_there(log: SignalLog) -> None:
    event = log.wait_for("handled", "SIGTERM", process=GRANDCHILD, timeout=1)
    assert event.pid == GRANDCHILD


def test_a_count_returns_that_many(log: SignalLog) -> None:
    events = log.wait_for("handled", "SIGTERM", tree=MASTER, count=3, timeout=1)
    assert [e.pid for e in events] == [MASTER, WORKER_1, WORKER_2]


def test_processes_counts_each_process_once(log: SignalLog) -> None:
    log.record("handled", signal.SIGTERM, pid=WORKER_1, handler="on_term")  # a second call in one worker
    events = log.wait_for("handled", "SIGTERM", tree=MASTER, processes=4, timeout=1)
    assert sorted(e.pid for e in events) == [MASTER, WORKER_1, WORKER_2, GRANDCHILD]
    with pytest.raises(pytest.fail.Exception) as info:
        log.wait_for("handled", "SIGTERM", tree=WORKER_2, processes=3, timeout=0.01)
    assert "from 3 processes; 2 came (from pids 102, 103)" in str(info.value)


def test_since_counts_only_later_events(log: SignalLog) -> None:
    mark = log.recorded
    with pytest.raises(pytest.fail.Exception, match=r"for a started event in the tree of pid 100 .* after mark"):
        log.wait_for("started", tree=MASTER, since=mark, timeout=0.01)
    log.record("started", None, pid=104, parent=WORKER_1)
    assert log.wait_for("started", tree=MASTER, since=mark, timeout=1).pid == 104


def _record_once_waiting(log: SignalLog, **fields: object) -> threading.Thread:
    """Record an event from another thread once the wait has begun (it adds
    its listener then), so the blocking path is the one exercised."""
    waiting = threading.Event()
    add = log.add_listener

    def add_listener(listener):  # type: ignore[no-untyped-def]
        add(listener)
        waiting.set()

    log.add_listener = add_listener  # type: ignore[method-assign]

    def record() -> None:
        assert waiting.wait(10), "the wait never started"
        log.record(**fields)  # type: ignore[arg-type]

    thread = threading.Thread(target=record)
    thread.start()
    return thread


def test_a_sync_wait_blocks_until_the_event_comes(log: SignalLog) -> None:
    thread = _record_once_waiting(log, kind="handled", signum=signal.SIGHUP, pid=WORKER_1, handler="reload")
    event = log.wait_for("handled", "SIGHUP", tree=MASTER, timeout=10)
    thread.join()
    assert (event.pid, event.handler) == (WORKER_1, "reload")


def test_a_sync_wait_that_times_out_says_what_it_waited_for(log: SignalLog) -> None:
    with pytest.raises(pytest.fail.Exception) as info:
        log.wait_for("handled", "SIGTERM", tree=MASTER, count=5, timeout=0.01)
    text = str(info.value)
    assert "waited 0.01s for 5 handled SIGTERM events in the tree of pid 100 (pids 100, 101, 102, 103); 4 came" in text
    assert "started" in text  # the timeline


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count": 0}, "count=0 must be a whole number >= 1"),
        ({"count": "2"}, "count='2' must be a whole number >= 1"),
        ({"processes": True}, "processes=True must be a whole number >= 1"),
        ({"count": 2, "processes": 2}, "give count= or processes=, not both"),
        ({"since": -1}, "since=-1 must be a mark"),
        ({"timeout": "soon"}, "timeout='soon' is not a number of seconds"),
        ({"tree": 1.5}, "tree=1.5 is neither a pid"),
    ],
)
def test_bad_wait_arguments_are_named(log: SignalLog, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        log.wait_for("handled", "SIGTERM", **kwargs)  # type: ignore[arg-type]


def test_in_a_running_loop_the_wait_is_awaited(log: SignalLog) -> None:
    import asyncio

    async def main() -> int:
        waiting = log.wait_for("handled", "SIGTERM", process=WORKER_2, timeout=1)
        assert asyncio.iscoroutine(waiting)
        return (await waiting).pid

    assert asyncio.run(main()) == WORKER_2


# -- through pytester, with a real child ------------------------------------------------

PROGRAM = """
import os, select, signal
r, w = os.pipe()  # a wakeup fd: a SIGTERM that lands just before the wait still wakes it
os.set_blocking(w, False)
signal.set_wakeup_fd(w)
signal.signal(signal.SIGTERM, lambda *a: os.write(1, b"term\\n"))  # not print: see examples/entrypoint/app.py
print("ready", flush=True)
while True:  # until stdin is closed
    readable = select.select([0, r], [], [])[0]
    if r in readable:
        os.read(r, 64)
    if 0 in readable and not os.read(0, 4096):
        break
"""

SYNC_WAIT = """
import signal, sys

def test_sync_wait(spawn, send_signal, signal_log):
    proc = spawn("prog.py")
    installed = signal_log.wait_for("installed", "SIGTERM", process=proc)
    assert installed.pid == proc.pid
    proc.expect("ready\\n")
    send_signal(signal.SIGTERM, to=proc)
    handled = signal_log.wait_for("handled", "SIGTERM", tree=proc, count=1)
    assert [e.pid for e in handled] == [proc.pid]
    proc.close_stdin()
    assert proc.wait() == 0

def test_sync_wait_times_out_with_the_timeline(spawn, signal_log):
    proc = spawn("prog.py")
    signal_log.wait_for("handled", "SIGUSR1", process=proc, timeout=0.2)

def test_sync_wait_stops_when_the_child_ended(spawn, signal_log):
    proc = spawn("prog.py")
    proc.close_stdin()
    signal_log.wait_for("handled", "SIGUSR1", process=proc, timeout=600)
"""


def test_a_sync_test_waits_for_a_childs_events(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_it=SYNC_WAIT, prog=PROGRAM)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*waited 0.2s for a handled SIGUSR1 event in process *; none came*"])
    result.stdout.fnmatch_lines(["*waited for a handled SIGUSR1 event(s) in process *; pid * ended first, after 0*"])
    result.stdout.no_fnmatch_line("*coroutine*never awaited*")


FORKING = """
import os, signal, sys

def on_term(signum, frame):
    os.write(1, f"{os.getpid()} stopping\\n".encode())
    sys.exit(0)

def wakeup_fd():
    # Each signal writes its number to it: a read of it cannot miss a SIGTERM that
    # lands just before the read starts (stdin.read() or pause() would). Set in each
    # process, after the fork: a worker would share its master's pipe.
    r, w = os.pipe()
    os.set_blocking(w, False)
    signal.set_wakeup_fd(w)
    return r

signal.signal(signal.SIGTERM, on_term)
worker = os.fork()
if worker == 0:
    wakeup = wakeup_fd()
    signal.signal(signal.SIGTERM, on_term)  # the worker's own
    os.write(1, b"worker ready\\n")
    while True:
        os.read(wakeup, 1)
wakeup = wakeup_fd()
os.write(1, f"worker {worker}\\n".encode())
try:
    while True:
        os.read(wakeup, 1)
finally:
    os.kill(worker, signal.SIGTERM)
    os.waitpid(worker, 0)
"""

TREE_TEST = """
import signal

def test_tree(spawn, send_signal, signal_log):
    proc = spawn("forking.py")
    worker = int(proc.expect(r"worker (\\d+)\\n").group(1))
    signal_log.wait_for("installed", "SIGTERM", tree=proc, processes=2)
    assert signal_log.tree(proc) == {proc.pid, worker}
    (started,) = signal_log.started
    assert (started.pid, started.parent) == (worker, proc.pid)

    send_signal(signal.SIGTERM, to=proc)  # the master stops its worker on the way out
    assert proc.wait() == 0
    signal_log.assert_handled("SIGTERM", process=worker, times=1)
    signal_log.assert_handled("SIGTERM", process=proc, times=1)
    assert {e.pid for e in proc.events} == {proc.pid, worker}
    assert {e.pid for e in signal_log.filter("handled", tree=proc)} == {proc.pid, worker}
"""


def test_a_childs_tree_in_the_log_and_in_its_events(pytester: pytest.Pytester) -> None:
    """A forked worker's events are in the child's tree and in ``proc.events``
    (which said so and held only the child's own), and ``process=`` takes
    the worker's pid."""
    pytester.makepyfile(test_it=TREE_TEST, forking=FORKING)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


INTERRUPTED_TREE = """
import os, subprocess, sys

pid = os.fork()
if pid == 0:
    raise KeyboardInterrupt  # a fork's uncaught KeyboardInterrupt
os.waitpid(pid, 0)
subprocess.run([sys.executable, "-c", "raise KeyboardInterrupt"])  # a Python grandchild's
try:
    raise KeyboardInterrupt
except KeyboardInterrupt:
    sys.excepthook(*sys.exc_info())  # handed to the hook by hand: not at the top level
print("done", flush=True)
"""


def test_a_descendants_top_level_keyboard_interrupt_is_in_the_tree(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        interrupted=INTERRUPTED_TREE,
        test_it="""
        def test_it(spawn, signal_log):
            proc = spawn("interrupted.py")
            assert proc.wait() == 0
            proc.expect("done\\n")
            interrupts = signal_log.filter("keyboard_interrupt", tree=proc)
            assert len(interrupts) == 2, signal_log.timeline()
            assert all(e.pid != proc.pid and e.parent == proc.pid for e in interrupts)
            assert not proc.keyboard_interrupt
        """,
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
