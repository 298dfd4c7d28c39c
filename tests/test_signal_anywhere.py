"""signal_anywhere: a signal delivered at every point of the code under test.

The pure parts (checks, selection, scope, the listing) are tested in this
process; everything that runs a scenario, and so sends signals or traces,
runs in an inner pytest session in a subprocess.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_signals._inproc.anywhere_plan import (
    Scope,
    check_max_points,
    check_only,
    check_seed,
    select_points,
    within_codes,
)
from pytest_signals._inproc.anywhere_report import Outcome, SignalPoint, Summary, failure_message

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "anywhere"
MONITORING = sys.version_info >= (3, 12)

# -- pure -----------------------------------------------------------------------------------


def test_every_point_when_within_the_budget_else_a_seeded_sample() -> None:
    assert select_points(5, 200, random.Random(1)) == [0, 1, 2, 3, 4]
    sample = select_points(1000, 10, random.Random(7))
    assert len(sample) == 10
    assert sample == sorted(sample)
    assert sample == select_points(1000, 10, random.Random(7))
    assert sample != select_points(1000, 10, random.Random(8))


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "all", None])
def test_bad_max_points(value: object) -> None:
    with pytest.raises(ValueError, match=r"max_points=.* must be a whole number of points >= 1"):
        check_max_points(value)


def test_bad_seed_and_only() -> None:
    with pytest.raises(ValueError, match="seed='x' must be an int"):
        check_seed("x")
    with pytest.raises(ValueError, match=r"only=0 must be a point's number k >= 1"):
        check_only(0)


class _Thing:
    def method(self) -> None:
        pass


@pytest.mark.parametrize("within", [_Thing, 3, "path.py", len, None])
def test_within_must_be_a_python_function(within: object) -> None:
    with pytest.raises(TypeError, match=r"within=.* is not a (Python )?function"):
        within_codes(within)


def test_within_takes_methods_bound_or_not() -> None:
    assert within_codes(_Thing.method) == within_codes(_Thing().method) == {_Thing.method.__code__}


def test_the_scope_is_the_projects_code_and_include_exclude_change_it(tmp_path: Path) -> None:
    mine = compile("pass", str(tmp_path / "mine.py"), "exec")
    (tmp_path / "mine.py").write_text("pass\n")
    stdlib = random.Random.seed.__code__
    assert Scope()(mine)
    assert not Scope()(stdlib)
    assert not Scope(exclude=tmp_path)(mine)
    assert Scope(include=random)(stdlib)
    with pytest.raises(ValueError, match="no such file or folder"):
        Scope(include=tmp_path / "nowhere")
    with pytest.raises(TypeError, match="pass a path, a module"):
        Scope(exclude=3)


def test_the_failure_message_names_point_k_of_n_and_how_to_replay_it(tmp_path: Path) -> None:
    file = tmp_path / "code.py"
    file.write_text("def f():\n    a = 1\n    b = 2\n")
    points = [SignalPoint(str(file), line, "f", k, 2) for k, line in ((1, 2), (2, 3))]
    outcomes = [Outcome(points[0], "passed"), Outcome(points[1], "failed", "AssertionError: broken", (), ("sent",))]
    summary = Summary(2, "sys.settrace", points, outcomes, None, root=str(tmp_path))
    text = failure_message(summary, "signal_anywhere(SIGINT, within=f, only={k})")
    assert text.splitlines()[:3] == [
        "SIGINT delivered just before code.py:3 ran (point 2 of 2, in f) made the test fail:",
        "    3 | b = 2",
        "  AssertionError: broken",
    ]
    assert "    replay: signal_anywhere(SIGINT, within=f, only=2)" in text
    assert "signal_anywhere(SIGINT): 2 of 2 point(s) explored, 1 failed, 1 passed (sys.settrace)" in text
    assert "    FAIL      3      #2      b = 2" in text


# -- the examples, through pytester ----------------------------------------------------------

EXAMPLE_NAMES = ["lock", "bank", "config_file", "pool", "export"]


def test_every_example_is_tested_here() -> None:
    assert sorted(p.stem for p in EXAMPLES.glob("*.py") if not p.name.startswith("test_")) == sorted(EXAMPLE_NAMES)


def _unsafe_line(name: str) -> int:
    lines = (EXAMPLES / f"{name}.py").read_text().splitlines()
    found = [n for n, line in enumerate(lines, 1) if "# <- unsafe" in line]
    assert len(found) == 1, f"{name}.py marks {len(found)} lines '# <- unsafe'"
    return found[0]


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_fails_naming_the_unsafe_line_and_the_fix_passes(pytester: pytest.Pytester, run, name: str) -> None:
    for path in (EXAMPLES / f"{name}.py", EXAMPLES / f"test_{name}.py"):
        shutil.copy(path, pytester.path / path.name)
    result = run()
    result.assert_outcomes(passed=1, xfailed=1)  # as `pytest examples` runs it
    result = run("--runxfail")  # the buggy one's failure, in full
    result.assert_outcomes(passed=1, failed=1)
    line = _unsafe_line(name)
    result.stdout.fnmatch_lines(
        [
            f"*SignalAnywhereFailure: SIG* delivered just before {name}.py:{line} ran (point * of *) made the test*",
            f"*    {line} | *# <- unsafe*",
            f"*  point * of *: {name}.py:{line} in *",
            "*    replay: signal_anywhere(SIG*, only=*)",
            f"*FAIL  {line:>5}  *# <- unsafe*",
            "*signal timeline of that run:*",
        ]
    )


# -- the fixture, through pytest -------------------------------------------------------------

APP = """
import signal

calls = []


def on_usr1(signum, frame):
    calls.append(signum)


def work(n):
    total = 0
    for i in range(n):
        total += i
    return total


def helper():
    return work(2)
"""


def test_every_point_is_explored_once_and_the_pass_says_how_many(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        test_it="""
        import signal
        import app

        def test_points(signal_anywhere, signal_log):
            seen = []
            for run in signal_anywhere(signal.SIGUSR1, within=app.helper):
                with run:
                    seen.append(None if run.point is None else (run.point.line, run.point.function, run.point.index))
                    previous = signal.signal(signal.SIGUSR1, app.on_usr1)
                    try:
                        app.work(5)  # outside within: no point
                        assert app.helper() == 1
                    finally:
                        signal.signal(signal.SIGUSR1, previous)
            assert seen[0] is None
            assert [s[2] for s in seen[1:]] == list(range(1, len(seen)))
            assert [s[1] for s in seen[1:]] == ["helper"] + ["work"] * (len(seen) - 2)
            assert len(app.calls) == len(seen) - 1
        """
    )
    result = run("-rP")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*signal_anywhere(SIGUSR1): 5 of 5 point(s) explored, 5 passed (sys.*)"])


def test_sampling_is_seeded_printed_and_repeatable(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        app="""
        def many():
            a = 0
            a += 1
            a += 2
            a += 3
            a += 4
            a += 5
            return a
        """
    )
    pytester.makepyfile(
        test_it="""
        import signal
        import app

        def explore(signal_anywhere, **kwargs):
            chosen = []
            for run in signal_anywhere(signal.SIGINT, within=app.many, max_points=3, **kwargs):
                with run:
                    if run.point is not None:
                        chosen.append(run.point.index)
                    try:
                        app.many()
                    except KeyboardInterrupt:
                        pass
            return chosen

        def test_default_seed(signal_anywhere):
            first = explore(signal_anywhere)
            assert len(first) == 3 and first == explore(signal_anywhere)

        def test_given_seed(signal_anywhere):
            assert explore(signal_anywhere, seed=1) == explore(signal_anywhere, seed=1)
            assert len({tuple(explore(signal_anywhere, seed=s)) for s in range(6)}) > 1

        def test_only(signal_anywhere):
            assert explore(signal_anywhere, only=5) == [5]

        def test_time_limit(signal_anywhere):
            assert explore(signal_anywhere, time_limit=1e-9) == []
        """
    )
    result = run("-rP", "-p", "no:randomly")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*0 of 7 point(s) explored (sys.*; sampled with seed=*; stopped at the time limit)"])
    result.stdout.fnmatch_lines(["*3 of 7 point(s) explored, 3 passed (sys.*; sampled with seed=*)"])
    result.stdout.fnmatch_lines(["*1 of 7 point(s) explored, 1 passed (sys.*; only=5)"])


def test_the_same_seed_under_xdist(pytester: pytest.Pytester, run) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(
        test_it="""
        import signal

        def many():
            a = 0
            for i in range(3):
                a += i
            a += 1
            a += 2
            return a

        def test_sample(signal_anywhere):
            chosen = []
            for run in signal_anywhere(signal.SIGINT, within=many, max_points=2):
                with run:
                    chosen.append(run.point and run.point.line)
                    try:
                        many()
                    except KeyboardInterrupt:
                        pass
            with open("chosen.txt", "a") as out:
                print(chosen, file=out)
        """
    )
    run().assert_outcomes(passed=1)
    run("-n", "1").assert_outcomes(passed=1)
    plain, distributed = (pytester.path / "chosen.txt").read_text().splitlines()
    assert plain == distributed
    assert plain.startswith("[None, ")


def test_points_where_delivery_was_impossible_are_reported_not_passed(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        test_it="""
        import signal

        calls = []

        def masked():
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
            a = 1
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGUSR1])
            b = 2
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
            c = 3
            return a + b + c

        def test_masked(signal_anywhere):
            for run in signal_anywhere(signal.SIGUSR1, within=masked):
                with run:
                    previous = signal.signal(signal.SIGUSR1, lambda s, f: calls.append(s))
                    try:
                        assert masked() == 6
                    finally:
                        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGUSR1])
                        signal.signal(signal.SIGUSR1, previous)

        def test_blocked_until_the_end(signal_anywhere):
            for run in signal_anywhere(signal.SIGUSR1, within=masked):
                with run:
                    previous = signal.signal(signal.SIGUSR1, lambda s, f: calls.append(s))
                    try:
                        assert masked() == 6
                    finally:
                        signal.signal(signal.SIGUSR1, previous)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGUSR1])

        def test_no_handler(signal_anywhere):
            def plain():
                return 1
            for run in signal_anywhere(signal.SIGUSR2, within=plain):
                with run:
                    plain()
        """
    )
    result = run("-rP")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*signal_anywhere(SIGUSR1): 7 of 7 point(s) explored, 3 passed, 4 deferred (sys.*)"])
    result.stdout.fnmatch_lines(
        ["*signal_anywhere(SIGUSR1): 7 of 7 point(s) explored, 3 passed, 2 deferred, 2 not delivered (sys.*)"]
    )
    result.stdout.fnmatch_lines(["*signal_anywhere(SIGUSR2): 1 of 1 point(s) explored, 1 not delivered (sys.*)"])
    result.stdout.fnmatch_lines(["*defer *a = 1", "*nodlv *c = 3"])


def test_bad_input(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        test_it="""
        import signal
        import pytest

        def f():
            return 1

        @pytest.mark.parametrize("kwargs, error, match", [
            (dict(within=object), TypeError, "within=.* is not a function"),
            (dict(within=len), TypeError, "is not a Python function"),
            (dict(within=f, max_points=0), ValueError, "max_points=0 must be"),
            (dict(within=f, max_points=-3), ValueError, "max_points=-3 must be"),
        ])
        def test_refused(signal_anywhere, kwargs, error, match):
            with pytest.raises(error, match=match):
                signal_anywhere(signal.SIGINT, **kwargs)

        @pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSTOP])
        def test_uncatchable(signal_anywhere, sig):
            with pytest.raises(ValueError, match="cannot be caught"):
                signal_anywhere(sig, within=f)

        def test_never_reached(signal_anywhere):
            for run in signal_anywhere(signal.SIGINT, within=f):
                with run:
                    pass

        def test_only_beyond_the_points(signal_anywhere):
            with pytest.raises(ValueError, match="only=9, but there are 1 point"):
                for run in signal_anywhere(signal.SIGINT, within=f, only=9):
                    with run:
                        f()
        """
    )
    result = run()
    result.assert_outcomes(passed=7, failed=1)
    result.stdout.fnmatch_lines(
        ["*signal_anywhere(SIGINT, within=f) found no point: within= never ran, or ran no line of code in scope*"]
    )


def test_the_first_run_must_pass_alone_and_a_failure_does_not_stop_the_runs(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        test_it="""
        import signal

        def f():
            a = 1
            return a

        def test_plain_failure(signal_anywhere):
            for run in signal_anywhere(signal.SIGINT, within=f):
                with run:
                    assert f() == 2

        def test_every_point_runs(signal_anywhere):
            ran = []
            for run in signal_anywhere(signal.SIGINT, within=f):
                with run:
                    ran.append(run.point)
                    f()  # the KeyboardInterrupt is not caught: every aimed run fails
            assert False, "not reached: the failure is raised by the loop"
        """
    )
    result = run()
    result.assert_outcomes(failed=2)
    if sys.version_info >= (3, 11):  # add_note
        result.stdout.fnmatch_lines(["*the first run, with no signal, failed: it must pass alone*"])
    result.stdout.fnmatch_lines(["*2 of 2 explored point(s) failed:*", "*KeyboardInterrupt (raised by the handler*"])


def test_async_points_and_delivery_through_the_running_loop(pytester: pytest.Pytester, run) -> None:
    pytest.importorskip("pytest_asyncio")
    pytester.makepyfile(
        test_it="""
        import asyncio, signal, sys
        import pytest

        async def step():
            await asyncio.sleep(0)
            return 1

        async def scenario():
            loop = asyncio.get_running_loop()
            got = []
            loop.add_signal_handler(signal.SIGUSR1, got.append, "usr1")
            try:
                total = await step()
                for _ in range(3):
                    await asyncio.sleep(0)
            finally:
                loop.remove_signal_handler(signal.SIGUSR1)
            return got

        @pytest.mark.asyncio
        async def test_loop(signal_anywhere):
            delivered, resumptions = [], []
            for run in signal_anywhere(signal.SIGUSR1, within=step):
                with run:
                    delivered.append(await scenario())
                if run.point is not None:
                    resumptions.append((run.point.line, run.point.resumption))
            assert delivered[0] == []
            assert all(d == ["usr1"] for d in delivered[1:])
            # the lines of step, and on 3.12+ its resumption after the sleep, at the await's line
            expected = [(5, False), (5, True), (6, False)] if sys.version_info >= (3, 12) else [(5, False), (6, False)]
            assert resumptions == expected
        """
    )
    run("-rP").assert_outcomes(passed=1)


# -- the marker ------------------------------------------------------------------------------


def test_marker_runs_the_test_once_per_point(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        test_it="""
        import signal
        import pytest

        runs = []

        def transfer(accounts):
            accounts["a"] -= 10
            accounts["b"] += 10

        @pytest.mark.signal_anywhere(signal.SIGINT, within=transfer)
        def test_marked():
            accounts = {"a": 100, "b": 0}
            runs.append(1)
            try:
                transfer(accounts)
            except KeyboardInterrupt:
                pass
            assert sum(accounts.values()) == 100

        def test_after():
            assert len(runs) == 3
        """
    )
    result = run("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*delivered just before test_it.py:8 ran (point 2 of 2, in transfer)*"])


def test_marker_with_stateful_fixtures_is_a_collection_error(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        test_it="""
        import signal
        import pytest

        def f():
            pass

        @pytest.mark.signal_anywhere(signal.SIGINT, within=f)
        def test_bad(tmp_path):
            pass
        """
    )
    result = run()
    result.stdout.fnmatch_lines(
        ["*its fixtures (tmp_path) are set up once per test*fresh state per run cannot be guaranteed*"]
    )


def test_marker_registered_with_its_signature(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.signal_anywhere(sig, *, within, include=None, exclude=None, max_points=200, seed=None, "
            "only=None):*"
        ]
    )


# -- the tracer ------------------------------------------------------------------------------


def test_the_tracer_imports_nothing_a_child_would_see() -> None:
    """A spawned child can share it: loading it leaves sys.modules as a plain start has it."""
    code = (
        "import sys; before = set(sys.modules); import pytest_signals._remote.tracepoints; "
        "print(sorted(set(sys.modules) - before))"
    )
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "['pytest_signals', 'pytest_signals._remote', 'pytest_signals._remote.tracepoints']"


def test_a_trace_function_in_place_is_put_back(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        test_it="""
        import signal, sys
        from pytest_signals import SignalAnywhere

        def f():
            return 1

        def mine(frame, event, arg):
            return None

        def test_put_back(request):
            guard = request.getfixturevalue("_signal_guard")
            sys.settrace(mine)
            try:
                for run in SignalAnywhere(guard, request.node, backend="sys.settrace")(signal.SIGINT, within=f):
                    with run:
                        try:
                            f()
                        except KeyboardInterrupt:
                            pass
                assert sys.gettrace() is mine
            finally:
                sys.settrace(None)
        """
    )
    run().assert_outcomes(passed=1)


@pytest.mark.skipif(not MONITORING, reason="sys.monitoring is 3.12+")
def test_monitoring_frees_its_tool_and_both_backends_find_the_same_points(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        test_it="""
        import signal, sys
        import app
        from pytest_signals import SignalAnywhere

        def test_same_points_both_ways(request):
            guard = request.getfixturevalue("_signal_guard")
            found = []
            for backend in ("sys.monitoring", "sys.settrace"):
                points = []
                for run in SignalAnywhere(guard, request.node, backend=backend)(signal.SIGUSR1, within=app.helper):
                    with run:
                        points.append(run.point and (run.point.line, run.point.index))
                        previous = signal.signal(signal.SIGUSR1, app.on_usr1)
                        try:
                            app.helper()
                        finally:
                            signal.signal(signal.SIGUSR1, previous)
                found.append(points)
            assert found[0] == found[1] and len(found[0]) == 6
            assert sys.monitoring.get_tool(4) is None and sys.monitoring.get_tool(3) is None
        """
    )
    run().assert_outcomes(passed=1)


def test_the_handler_gets_the_programs_frame_at_the_point(pytester: pytest.Pytester, run) -> None:
    """As the interpreter hands a handler the frame it interrupted: not the tracer's, nor the plugin's."""
    pytester.makepyfile(
        test_frame="""
        import signal

        seen = []

        def on_usr1(signum, frame):
            seen.append((frame.f_code.co_name, frame.f_lineno))

        def work():
            a = 1
            return a

        def test_frame(signal_anywhere):
            previous = signal.signal(signal.SIGUSR1, on_usr1)
            try:
                for run in signal_anywhere(signal.SIGUSR1, within=work):
                    with run:
                        work()
            finally:
                signal.signal(signal.SIGUSR1, previous)
            assert seen == [("work", 9), ("work", 10)], seen
        """
    )
    run().assert_outcomes(passed=1)
