"""A pytest run that a test spawns, with pytest-signals in it: its tests'
handlers are the program's behaviour, the inner plugin's guards and wrappers
are not (at any depth, in the log and in ``--signal-report``)."""

from __future__ import annotations

import pytest

INNER = """
import signal

def on_term(signum, frame):
    print("inner handled", flush=True)

def test_inner(send_signal, signal_log):
    signal.signal(signal.SIGTERM, on_term)
    assert send_signal(signal.SIGTERM).wait().outcome == "handled"
    signal_log.assert_handled(signal.SIGTERM, by=on_term)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

def test_leaves_a_handler(signal_log):
    signal.signal(signal.SIGUSR1, on_term)  # restored by the inner plugin, with a warning
"""


def test_inner_plugin_machinery_stays_out_of_the_outer_log(pytester: pytest.Pytester, run) -> None:
    pytester.mkdir("inner")
    pytester.path.joinpath("inner", "suite_inner.py").write_text(INNER)
    pytester.makepyfile(
        test_outer="""
        import signal

        def test_outer(spawn, signal_log):
            proc = spawn("pytest", "-q", "-p", "no:cacheprovider", "-o", "python_files=suite_*.py", "inner")
            assert proc.wait(timeout=60) == 0, proc.output
            assert "2 passed" in proc.stdout
            mine = [e for e in signal_log if e.pid == proc.pid]
            own = [str(e) for e in mine if (e.handler or "").startswith("pytest_signals")]
            assert not own, signal_log.timeline()
            installed = [(e.signal_name, e.handler) for e in mine if e.kind == "installed"]
            assert installed[:2] == [("SIGTERM", "suite_inner.on_term"), ("SIGTERM", "SIG_DFL")], installed
            assert ("SIGUSR1", "suite_inner.on_term") in installed
            handled = [(e.signal_name, e.handler) for e in mine if e.kind == "handled"]
            assert handled == [("SIGTERM", "suite_inner.on_term")], signal_log.timeline()
            signal_log.assert_handled(signal.SIGTERM, by="suite_inner.on_term", process=proc)
        """
    )
    result = run("--signal-report")
    result.assert_outcomes(passed=1)
    report = result.stdout.str()
    assert "pytest-signals: signal report" in report
    assert "pytest_signals" not in report, report
    result.stdout.fnmatch_lines(["*SIGUSR1: suite_inner.on_term (installed in test_outer.py::test_outer)*"])


def test_inner_guard_is_not_a_handler_to_wait_for(pytester: pytest.Pytester, run) -> None:
    """The inner guard on SIGTERM is the plugin's: ``wait_for_handler`` waits for the test's own."""
    pytester.mkdir("inner")
    pytester.path.joinpath("inner", "suite_inner.py").write_text(
        """
import signal, sys

def test_waits(signal_log):
    print("guarded", flush=True)
    sys.stdin.readline()
    signal.signal(signal.SIGTERM, lambda s, f: None)
    print("installed", flush=True)
    sys.stdin.readline()
"""
    )
    pytester.makepyfile(
        test_outer="""
        import signal
        import pytest
        from pytest_signals import WaitFailed

        def test_outer(spawn, signal_log):
            proc = spawn("pytest", "-q", "-s", "-p", "no:cacheprovider", "-o", "python_files=suite_*.py", "inner")
            proc.expect("guarded\\n", timeout=60)  # the inner guard is on SIGTERM by now (a pytest start-up)
            with pytest.raises(WaitFailed, match="to install a handler for SIGTERM"):
                proc.wait_for_handler(signal.SIGTERM, timeout=0.3)
            proc.write("go\\n")
            proc.wait_for_handler(signal.SIGTERM)
            proc.expect("installed\\n")  # the handler came from the test, after "go"
            proc.write("on\\n")
            assert proc.wait(timeout=60) == 0, proc.output
        """
    )
    run().assert_outcomes(passed=1)


def test_a_forked_child_knows_its_own_main_thread_id(pytester: pytest.Pytester, run) -> None:
    """As in a fresh interpreter (an inner pytest's watchdog aims its timer at that thread)."""
    pytester.makepyfile(
        app="""
        import threading
        print(threading.main_thread().native_id == threading.get_native_id(), flush=True)
        """
    )
    pytester.makepyfile(
        test_it="""
        def test_native_id(spawn):
            proc = spawn("app.py")
            assert proc.wait(timeout=60) == 0
            assert proc.stdout == "True\\n", proc.started_as
        """
    )
    run().assert_outcomes(passed=1)


def test_two_levels_deep_the_machinery_stays_out_of_every_log(pytester: pytest.Pytester, run) -> None:
    """An outer test spawns a pytest whose test spawns a pytest (three
    pytest-signals in all): each level's log holds the level below's own
    handlers and none of the plugin's, and the outer report names none."""
    pytester.mkdir("inner")
    pytester.path.joinpath("inner", "suite_inner.py").write_text(INNER)
    pytester.mkdir("middle")
    pytester.path.joinpath("middle", "suite_middle.py").write_text(
        """
import signal

def test_middle(spawn, signal_log):
    proc = spawn("pytest", "-q", "-p", "no:cacheprovider", "-o", "python_files=suite_*.py", "inner")
    assert proc.wait(timeout=60) == 0, proc.output
    own = [str(e) for e in signal_log if (e.handler or "").startswith("pytest_signals")]
    assert not own, signal_log.timeline()
    signal_log.assert_handled(signal.SIGTERM, by="suite_inner.on_term", process=proc)
"""
    )
    pytester.makepyfile(
        test_outer="""
        def test_outer(spawn, signal_log):
            proc = spawn("pytest", "-q", "-p", "no:cacheprovider", "-o", "python_files=suite_*.py", "middle")
            assert proc.wait(timeout=60) == 0, proc.output
            assert "1 passed" in proc.stdout
            own = [str(e) for e in signal_log if (e.handler or "").startswith("pytest_signals")]
            assert not own, signal_log.timeline()
            assert signal_log.filter("handled", tree=proc) == []  # the middle test sent nothing to itself
        """
    )
    result = run("--signal-report")
    result.assert_outcomes(passed=1)
    assert "pytest_signals" not in result.stdout.str()
