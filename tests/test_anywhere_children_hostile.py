"""signal_anywhere in a spawned child, as a hostile program and test use it:
a script named like a module the interpreter loaded first, a nested
function, a first run that does not wait for its child, a child that closes
its fds. Through pytester, with the child forked by the template or exec'd.
"""

from __future__ import annotations

import sys

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def test_a_script_named_like_a_module_loaded_before_it(pytester: pytest.Pytester, run) -> None:
    """``time.py`` is named "time", though ``sys.modules["time"]`` is the
    built-in module (loaded as the interpreter starts): its points are found."""
    pytester.makepyfile(
        time="""
        def work():
            a = 1
            return a

        if __name__ == "__main__":
            work()
        """
    )
    pytester.makepyfile(
        test_time="""
        import signal

        def test_time(signal_anywhere, spawn):
            lines = []
            for run in signal_anywhere(signal.SIGTERM, within="time:work"):
                with run:
                    code = spawn("time.py", signal_anywhere=run).wait()
                    if run.point is not None:
                        lines.append(run.point.line)
                        assert code == -signal.SIGTERM
            assert lines == [2, 3], lines
        """
    )
    run().assert_outcomes(passed=1)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="a nested function is found by co_qualname (3.11+)")
def test_a_nested_function_by_its_qualified_name(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        app="""
        def outer():
            def inner():
                y = 2
                return y
            return inner()

        if __name__ == "__main__":
            outer()
        """
    )
    pytester.makepyfile(
        test_app="""
        import signal

        def test_app(signal_anywhere, spawn):
            points = []
            for run in signal_anywhere(signal.SIGTERM, within="app:outer.<locals>.inner"):
                with run:
                    spawn("app.py", signal_anywhere=run).wait()
                    if run.point is not None:
                        points.append((run.point.function, run.point.line))
            assert points == [("outer.<locals>.inner", 3), ("outer.<locals>.inner", 4)], points
        """
    )
    run().assert_outcomes(passed=1)


def test_a_first_run_that_does_not_wait_for_its_child_is_told_so(pytester: pytest.Pytester, run) -> None:
    """Not "within= never ran": the child had not got there yet."""
    pytester.makepyfile(
        app="""
        import sys

        def work():
            return 1

        if __name__ == "__main__":
            print("up", flush=True)
            sys.stdin.read()  # until its stdin closes: not before the run ends
            work()
        """
    )
    pytester.makepyfile(
        test_app="""
        import signal

        def test_app(signal_anywhere, spawn):
            for run in signal_anywhere(signal.SIGINT, within="app:work"):
                with run:
                    spawn("app.py", signal_anywhere=run).expect("up")
        """
    )
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*the first run's child (pid *) was still running at the end of the first run*wait for it inside*"]
    )
    result.stdout.no_fnmatch_line("*Is it a function the child runs*")


def test_a_child_that_closes_its_fds_does_not_pass_as_fully_explored(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        app="""
        import os

        def work():
            os.closerange(3, 1024)  # a daemon's start
            a = 1
            b = 2
            return a + b

        if __name__ == "__main__":
            work()
        """
    )
    pytester.makepyfile(
        test_app="""
        import signal

        def test_app(signal_anywhere, spawn):
            for run in signal_anywhere(signal.SIGTERM, within="app:work"):
                with run:
                    spawn("app.py", signal_anywhere=run).wait()
        """
    )
    result = run("-rA")
    # Four lines run in work(); only the first was reported before the channel closed.
    assert "1 of 1 point(s) explored, 1 passed" not in result.stdout.str()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the first run's child reported 1 point(s), but not that within= returned after the last 1 of them: "
            "it closed the plugin's channel (fd *, as os.closerange(3, ...) does) or ended inside within=*"
        ]
    )


def test_a_within_that_returns_after_closing_nothing_is_confirmed(pytester: pytest.Pytester, run) -> None:
    """The control: within= called twice, returning each time, ending by os._exit after it: every point confirmed."""
    pytester.makepyfile(
        app="""
        import os

        def work(n):
            a = n
            if n:
                b = 2
            return a

        if __name__ == "__main__":
            work(0)
            work(1)
            os._exit(0)
        """
    )
    pytester.makepyfile(
        test_app="""
        import signal

        def test_app(signal_anywhere, spawn):
            lines = []
            for run in signal_anywhere(signal.SIGTERM, within="app:work"):
                with run:
                    spawn("app.py", signal_anywhere=run).wait()
                    if run.point is not None:
                        lines.append(run.point.line)
            assert lines == [4, 5, 7, 6], lines
        """
    )
    run().assert_outcomes(passed=1)
