"""signal_anywhere in a spawned child: ``within="module:function"`` names the
child's function, and each run goes to ``spawn(..., signal_anywhere=run)``.

The child counts the points of its own code in the first run and reports
them; each later run's child raises the signal at its point. Through pytester,
with the child forked by the template and exec'd.
"""

from __future__ import annotations

import sys

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

STARTS = [
    pytest.param(
        "forkserver",
        marks=pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork server runs on Linux"),
    ),
    "exec",
]

# The child: its SIGUSR1 handler appends where it interrupted (function:line)
# to the file argv[1]. work() runs three lines of its own and one of helper().
APP = """
import os, signal, sys

def on_usr1(signum, frame):
    with open(sys.argv[1], "a") as f:
        f.write(f"{frame.f_code.co_name}:{frame.f_lineno}\\n")

def helper():
    return 1

def work():
    a = 1
    b = helper()
    return a + b

if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, on_usr1)
    sys.exit(work() - 2)
"""
# The lines of APP above: helper's body, then work's three.
HELPER, W1, W2, W3 = 8, 11, 12, 13


@pytest.mark.parametrize("start", STARTS)
def test_the_child_counts_its_points_and_each_run_delivers_at_one(pytester: pytest.Pytester, run, start: str) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        test_app=f"""
        import signal

        def test_app(signal_anywhere, spawn, signal_log, tmp_path):
            hits = tmp_path / "hits"
            seen = []
            for run in signal_anywhere(signal.SIGUSR1, within="app:work"):
                with run:
                    hits.unlink(missing_ok=True)
                    proc = spawn("app.py", str(hits), signal_anywhere=run)
                    assert proc.wait() == 0, proc.output
                    point = None if run.point is None else (run.point.function, run.point.line, run.point.index)
                    seen.append((point, hits.read_text() if hits.exists() else ""))
            assert seen == [
                (None, ""),
                (("work", {W1}, 1), "work:{W1}\\n"),
                (("work", {W2}, 2), "work:{W2}\\n"),
                (("helper", {HELPER}, 3), "helper:{HELPER}\\n"),
                (("work", {W3}, 4), "work:{W3}\\n"),
            ], seen
            sent = [e for e in signal_log.filter("sent", signal.SIGUSR1) if "by signal_anywhere" in e.detail]
            assert len(sent) == 4 and all(e.pid != 0 for e in sent), signal_log.timeline()
        """
    )
    result = run(f"--signal-start-method={start}", "-rA", "-v")
    result.assert_outcomes(passed=1)


TOOL = """
import os, signal, sys

class Job:
    def __init__(self, out):
        self.out = out

    def run(self):
        with open(self.out, "w") as f:
            f.write("part 1\\n")
            f.write("part 2\\n")

def main():
    Job(sys.argv[1]).run()
    return 0
"""


def test_a_module_target_and_a_method(pytester: pytest.Pytester, run) -> None:
    """``spawn("pkg.tool:main")`` imports the module (not ``__main__``); within names a method in it."""
    pytester.mkpydir("pkg")
    (pytester.path / "pkg" / "tool.py").write_text(TOOL)
    pytester.makepyfile(
        test_tool="""
        import signal

        def test_tool(signal_anywhere, spawn, tmp_path):
            out = tmp_path / "out"
            codes = []
            for run in signal_anywhere(signal.SIGTERM, within="pkg.tool:Job.run"):
                with run:
                    out.unlink(missing_ok=True)
                    proc = spawn("pkg.tool:main", str(out), signal_anywhere=run)
                    codes.append(proc.wait())  # SIGTERM at its default: the point kills the child there
                    if run.point is not None:
                        assert run.point.function == "Job.run"
            assert codes == [0] + [-signal.SIGTERM] * 3, codes
        """
    )
    run().assert_outcomes(passed=1)


def test_a_failing_point_is_named_and_only_replays_it(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        app="""
        import sys

        def write(path):
            f = open(path, "w")
            f.write("head\\n")
            f.write("tail\\n")
            f.close()

        if __name__ == "__main__":
            write(sys.argv[1])
        """
    )
    pytester.makepyfile(
        test_app="""
        import signal
        import pytest

        ONLY = None

        def test_app(signal_anywhere, spawn, tmp_path):
            out = tmp_path / "out"
            points = []
            for run in signal_anywhere(signal.SIGINT, within="app:write", only=ONLY):
                with run:
                    out.unlink(missing_ok=True)
                    points.append(run.point and run.point.index)
                    spawn("app.py", str(out), signal_anywhere=run).wait()
                    assert not out.exists() or out.read_text() == "head\\ntail\\n", repr(out.read_text())
            print("points", points)
        """
    )
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*SignalAnywhereFailure: SIGINT delivered just before app.py:5 ran (point 2 of 4, in write)*",
            "*replay: signal_anywhere(SIGINT, within='app:write', only=2)",
            "*sent*SIGINT*by signal_anywhere, at app.py:6 (handler)*",
        ]
    )
    test = pytester.path / "test_app.py"
    test.write_text(test.read_text().replace("ONLY = None", "ONLY = 1"))
    result = run("-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*points [[]None, 1[]]*"])


def test_a_point_where_the_child_blocks_the_signal_is_deferred(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        app="""
        import signal, sys

        def on_usr1(signum, frame):
            print("handled", flush=True)

        def work():
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
            x = 1
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})
            return x

        if __name__ == "__main__":
            signal.signal(signal.SIGUSR1, on_usr1)
            work()
        """
    )
    pytester.makepyfile(
        test_app="""
        import signal

        def test_app(signal_anywhere, spawn):
            for run in signal_anywhere(signal.SIGUSR1, within="app:work"):
                with run:
                    proc = spawn("app.py", signal_anywhere=run)
                    assert proc.wait() == 0
                    if run.point is not None:
                        assert proc.output.count("handled") == 1, proc.output  # once: at the point or on unblocking
        """
    )
    result = run("-rA")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*4 of 4 point(s) explored, 2 passed, 2 deferred*",
            "*defer     8      #2      x = 1",
        ]
    )


def test_a_fork_of_the_child_neither_counts_nor_gets_the_signal(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        app="""
        import os, signal, sys

        def step():
            return 1

        def work():
            pid = os.fork()
            if pid == 0:
                step()
                step()
                os._exit(7)
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status)

        if __name__ == "__main__":
            sys.exit(work())
        """
    )
    pytester.makepyfile(
        test_app="""
        import signal

        def test_app(signal_anywhere, spawn):
            lines = []
            for run in signal_anywhere(signal.SIGTERM, within="app:work"):
                with run:
                    proc = spawn("app.py", signal_anywhere=run)
                    code = proc.wait()
                    if run.point is None:
                        assert code == 7
                    else:
                        lines.append(run.point.line)
                        assert code == -signal.SIGTERM  # the child itself, at its point
            assert lines == [7, 8, 12, 13], lines  # the child's lines; none of the fork's (9 to 11, 4)
        """
    )
    run().assert_outcomes(passed=1)


def test_bad_input(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        app="""
        def work():
            return 1

        if __name__ == "__main__":
            work()
        """
    )
    pytester.makepyfile(
        test_bad="""
        import signal, sys
        import pytest

        def local():
            return 1

        def test_not_a_run(spawn):
            with pytest.raises(TypeError, match=r"spawn\\(signal_anywhere=3\\): pass one run of signal_anywhere"):
                spawn("app.py", signal_anywhere=3)

        def test_a_run_of_this_process(signal_anywhere, spawn):
            for run in signal_anywhere(signal.SIGINT, within=local):
                with run:
                    local()
                    with pytest.raises(TypeError, match=r"within= is a function of this process"):
                        spawn("app.py", signal_anywhere=run)
                break

        @pytest.mark.parametrize("within", ["app", "app:", ":work", "app:work()", "a b:work"])
        def test_a_bad_name(signal_anywhere, within):
            with pytest.raises(ValueError, match=r"within='.*': a string names a function of a spawned child"):
                signal_anywhere(signal.SIGINT, within=within)

        def test_a_program_that_is_not_python(signal_anywhere, spawn):
            for run in signal_anywhere(signal.SIGINT, within="app:work"):
                with run:
                    with pytest.raises(ValueError, match=r"a list of strings is any program, not instrumented"):
                        spawn(["true"], signal_anywhere=run)
                    spawn("app.py", signal_anywhere=run).wait()
                break

        def test_two_children_in_one_run(signal_anywhere, spawn):
            for run in signal_anywhere(signal.SIGINT, within="app:work"):
                with run:
                    spawn("app.py", signal_anywhere=run).wait()
                    with pytest.raises(RuntimeError, match=r"its child already \\(pid \\d+\\): one child per run"):
                        spawn("app.py", signal_anywhere=run)
                break

        def test_outside_the_with_block(signal_anywhere, spawn):
            runs = signal_anywhere(signal.SIGINT, within="app:work")
            first = next(runs)
            with pytest.raises(RuntimeError, match=r"spawn the child inside the run's `with run:` block"):
                spawn("app.py", signal_anywhere=first)

        def test_no_child_in_the_first_run(signal_anywhere):
            with pytest.raises(RuntimeError, match=r"the first run started no child: spawn it inside `with run:`"):
                for run in signal_anywhere(signal.SIGINT, within="app:work"):
                    with run:
                        pass

        def test_never_reached(signal_anywhere, spawn):
            for run in signal_anywhere(signal.SIGINT, within="app:other"):
                with run:
                    spawn("app.py", signal_anywhere=run).wait()
        """
    )
    result = run("-rA")
    result.assert_outcomes(passed=11, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*signal_anywhere(SIGINT, within='app:other') found no point: within= never ran*"
            "in the child's first run. Is it a function the child runs*",
        ]
    )


def test_the_handler_and_the_printed_traceback_show_the_programs_frames(pytester: pytest.Pytester, run) -> None:
    """The handler is run from the tracer, but it gets the program's frame, and
    the traceback the top level prints has none of the plugin's frames."""
    pytester.makepyfile(
        app="""
        def write():
            a = 1
            return a

        if __name__ == "__main__":
            write()
        """
    )
    pytester.makepyfile(
        test_app="""
        import signal

        def test_app(signal_anywhere, spawn):
            for run in signal_anywhere(signal.SIGINT, within="app:write"):
                with run:
                    proc = spawn("app.py", signal_anywhere=run)
                    code = proc.wait()
                    if run.point is not None:
                        assert code == -signal.SIGINT, proc.output
                        assert "KeyboardInterrupt" in proc.output, proc.output
                        assert f'app.py", line {run.point.line}, in write' in proc.output, proc.output
                        assert "pytest_signals" not in proc.output, proc.output
        """
    )
    run().assert_outcomes(passed=1)
