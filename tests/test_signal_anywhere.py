"""signal_anywhere: a signal sent at every point of the code under test.

The pure parts (which points are chosen, what is in scope, the annotated
listing) are tested in this process; everything that runs a body, and so
sends signals or traces, runs in an inner pytest session in a subprocess.
"""

from __future__ import annotations

import inspect
import json
import random
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from pytest_signals._inproc.anywhere_plan import (
    DEFAULT_POINTS,
    Point,
    Scope,
    candidates,
    check_points,
    check_seed,
    select_points,
)
from pytest_signals._inproc.anywhere_report import (
    Exploration,
    ExploredPoint,
    LineStats,
    describe_error,
    failure_message,
    ordinal,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "anywhere"
MONITORING = sys.version_info >= (3, 12)

# -- which points: pure -------------------------------------------------------------------


def test_candidates_are_the_armed_events_with_the_time_each_line_ran() -> None:
    events = [0, 1, 0, 1, 0, 2]
    armed = [0, 1, 1, 1, 0, 1]
    assert list(candidates(events, armed)) == [
        Point(1, 1, 1),
        Point(2, 0, 2),  # line 0's second run: its first (unarmed) one still counts
        Point(3, 1, 2),
        Point(5, 2, 1),
    ]


def _points(lines: int, times: int) -> list[Point]:
    """*lines* lines in a loop that runs *times* times, every event a point."""
    events = [key for _ in range(times) for key in range(lines)]
    return list(candidates(events, [1] * len(events)))


def test_a_budget_that_allows_every_point_takes_them_all() -> None:
    points = _points(3, 4)
    assert select_points(points, None, random.Random(1)) == points
    assert select_points(points, 12, random.Random(1)) == points


def test_the_budget_goes_to_first_times_then_last_times_then_a_sample() -> None:
    points = _points(3, 5)  # 15 points, positions 0..14; line k runs at k, k+3, ..., k+12
    firsts = {0, 1, 2}
    lasts = {12, 13, 14}
    assert {p.position for p in select_points(points, 3, random.Random(1))} == firsts
    chosen = select_points(points, 5, random.Random(1))
    assert firsts < {p.position for p in chosen}
    assert {p.position for p in chosen} - firsts <= lasts
    chosen = select_points(points, 8, random.Random(1))
    positions = [p.position for p in chosen]
    assert positions == sorted(positions)
    assert len(set(positions)) == 8
    assert firsts | lasts < set(positions)


def test_more_lines_than_budget_samples_their_first_times_repeatably() -> None:
    points = _points(10, 3)
    chosen = select_points(points, 4, random.Random(7))
    assert [p.occurrence for p in chosen] == [1, 1, 1, 1]
    assert len({p.key for p in chosen}) == 4
    assert chosen == select_points(points, 4, random.Random(7))
    samples = {tuple(p.key for p in select_points(points, 4, random.Random(seed))) for seed in range(20)}
    assert len(samples) > 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, DEFAULT_POINTS), ("all", None), (1, 1), (1000, 1000)],
)
def test_points_setting(value: object, expected: int | None) -> None:
    assert check_points(value, "points") == expected


@pytest.mark.parametrize("value", [0, -1, True, 1.5, "many"])
def test_bad_points_name_the_setting(value: object) -> None:
    with pytest.raises(ValueError, match=r"points=.* must be a whole number of points >= 1, or 'all'"):
        check_points(value, "points")


def test_bad_seed_names_the_setting() -> None:
    assert check_seed(None, "seed") is None
    assert check_seed(3, "seed") == 3
    with pytest.raises(ValueError, match=r"seed='x' must be an int"):
        check_seed("x", "seed")


# -- what is in scope: pure ---------------------------------------------------------------


def _code_in(path: Path, source: str = "def f():\n    return 1\n") -> types.CodeType:
    path.write_text(source)
    namespace: dict[str, object] = {}
    exec(compile(source, str(path), "exec"), namespace)
    function = namespace["f"]
    assert isinstance(function, types.FunctionType)
    return function.__code__


def test_the_default_scope_is_the_code_under_test(tmp_path: Path) -> None:
    scope = Scope(None, exclude=[__file__])
    assert scope(_code_in(tmp_path / "app.py"))
    assert not scope(json.dumps.__code__)  # the standard library
    assert not scope(pytest.fixture.__code__)  # an installed package
    assert not scope(Scope.__call__.__code__)  # pytest-signals
    assert not scope(test_the_default_scope_is_the_code_under_test.__code__)  # the test's own file
    assert not scope(_code_in(tmp_path / "conftest.py"))
    assert not scope(compile("x = 1", "<string>", "exec"))
    assert "the test's own" in scope.describe()


def test_within_names_modules_packages_paths_classes_and_functions(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    inside = _code_in(package / "mod.py")
    outside = _code_in(tmp_path / "other.py")
    assert Scope(package)(inside)
    assert not Scope(package)(outside)
    assert Scope(str(tmp_path / "other.py"))(outside)
    assert not Scope(str(tmp_path / "other.py"))(inside)
    assert Scope(json)(json.dumps.__code__)  # a package, standard library or not
    assert not Scope(json)(outside)

    source = (
        "class C:\n    def m(self):\n        return [x for x in ()]\n    @property\n    def p(self):\n        pass\n"
    )
    (tmp_path / "c.py").write_text(source)
    namespace: dict[str, object] = {}
    exec(compile(source, str(tmp_path / "c.py"), "exec"), namespace)
    cls = namespace["C"]
    method = vars(cls)["m"]
    scope = Scope(method)
    assert scope(method.__code__)
    nested = [c for c in method.__code__.co_consts if isinstance(c, types.CodeType)]
    assert all(scope(c) for c in nested)  # a comprehension's own code, before 3.12
    assert not scope(vars(cls)["p"].fget.__code__)  # same file, other function
    assert Scope(cls)(vars(cls)["p"].fget.__code__)
    assert Scope([method, str(tmp_path / "other.py")])(outside)


def test_within_refuses_what_names_no_code(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such file or folder"):
        Scope(str(tmp_path / "missing.py"))
    with pytest.raises(ValueError, match="the module has no file"):
        Scope(sys)
    with pytest.raises(TypeError, match="within=42 names no code"):
        Scope(42)


# -- the report: pure ---------------------------------------------------------------------


@pytest.mark.parametrize(("n", "text"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (22, "22nd")])
def test_ordinal(n: int, text: str) -> None:
    assert ordinal(n) == text


def _exploration(tmp_path: Path) -> Exploration:
    app = tmp_path / "app.py"
    app.write_text(
        "def setup():\n"  # 1
        "    state = []\n"  # 2
        "\n"  # 3
        "\n"  # 4
        "\n"  # 5
        "\n"  # 6
        "def work(state):\n"  # 7
        "    state.append(1)\n"  # 8
        "    state.append(2)\n"  # 9
        "    state.append(3)\n"  # 10
        "    state.append(4)\n"  # 11
        "    return state\n"  # 12
    )
    file = str(app)
    stats = [
        LineStats(file, 2, 1, 0),
        LineStats(file, 8, 2, 2),
        LineStats(file, 9, 2, 2),
        LineStats(file, 10, 2, 2),
        LineStats(file, 11, 1, 1),
    ]
    explored = (
        ExploredPoint(file, 8, 1, "passed"),
        ExploredPoint(file, 8, 2, "passed", notes=("SIGTERM: handler app.on_term left installed",)),
        ExploredPoint(file, 9, 1, "failed", "AssertionError: torn"),
        ExploredPoint(file, 9, 2, "skipped"),
        ExploredPoint(file, 10, 1, "unreached"),
    )
    return Exploration(15, "sys.settrace", 7, 4, explored, 99, True, stats, str(tmp_path))


def test_the_listing_marks_each_line(tmp_path: Path) -> None:
    exploration = _exploration(tmp_path)
    lines = exploration.listing().splitlines()
    assert lines[0] == (
        "signal_anywhere(SIGTERM): 7 point(s) on 4 line(s), 5 explored, 1 failed, 1 unreached, 1 skipped "
        "(sys.settrace, sampled with seed=99)"
    )
    assert lines[1] == "  app.py"
    body = [line.split() for line in lines[2:]]
    assert body[0] == ["1", "def", "setup():"]  # context before the first line that ran
    assert body[1] == ["off", "2", "-", "state", "=", "[]"]
    assert body[2] == ["..."]  # four lines that did not run
    assert body[3] == ["7", "def", "work(state):"]
    assert body[4] == ["ok", "8", "2/2", "state.append(1)"]
    assert body[5] == ["FAIL", "9", "1/2", "state.append(2)"]  # the skipped time is not counted as sent
    assert body[6] == ["^", "AssertionError:", "torn"]
    assert body[7] == ["miss", "10", "1/2", "state.append(3)"]
    assert body[8] == [".", "11", "0/1", "state.append(4)"]
    assert lines[-2:] == [
        "  left changed by a run, put back before the next:",
        "    SIGTERM: handler app.on_term left installed",
    ]
    assert "return state" not in exploration.listing()  # line 12 did not run


def test_the_exploration_counts_and_the_failure_message(tmp_path: Path) -> None:
    exploration = _exploration(tmp_path)
    assert not exploration.passed
    assert [p.line for p in exploration.failures] == [9]
    assert exploration.count("unreached") == 1
    with pytest.raises(ValueError, match="unknown outcome 'lost'"):
        exploration.count("lost")
    point = exploration.failures[0]
    assert point.source == "state.append(2)"
    assert str(point).startswith(f"{tmp_path / 'app.py'}:9 (1st time it ran)")
    message = failure_message(exploration, point)
    assert message.startswith("SIGTERM sent just before app.py:9 ran (the 1st time) made the body fail:\n")
    assert "\n    9 | state.append(2)\n  AssertionError: torn\n" in message
    assert "1 of 4 run(s) failed, at app.py:9." in message  # the skipped one did not run
    assert exploration.listing() in message
    assert repr(exploration).startswith("<Exploration signal_anywhere(SIGTERM): 7 point(s)")


def test_errors_say_where_they_came_from() -> None:
    assert describe_error(ValueError("bad\nmore"), sent=True, by_handler=False, plugin=False) == "ValueError: bad"
    assert describe_error(KeyboardInterrupt(), sent=True, by_handler=True, plugin=False) == (
        "KeyboardInterrupt (raised by the handler, and not caught by the body)"
    )
    assert "send_signal's own failure" in describe_error(RuntimeError("x"), sent=True, by_handler=True, plugin=True)
    assert "before the signal was sent" in describe_error(RuntimeError("x"), sent=False, by_handler=False, plugin=False)
    assert len(describe_error(RuntimeError("x" * 1000), sent=True, by_handler=False, plugin=False)) == 300


# -- the examples, as a reader runs them --------------------------------------------------------

EXAMPLE_NAMES = ["lock_leak", "torn_record", "lost_request", "handler_deadlock", "loop_handler"]


def test_every_example_is_tested_here() -> None:
    assert sorted(p.stem for p in EXAMPLES.glob("*.py") if not p.name.startswith("test_")) == sorted(EXAMPLE_NAMES)


def _unsafe_line(name: str) -> int:
    lines = (EXAMPLES / f"{name}.py").read_text().splitlines()
    found = [n for n, line in enumerate(lines, 1) if "# <- unsafe" in line]
    assert len(found) == 1, f"{name}.py marks {len(found)} lines '# <- unsafe'"
    return found[0]


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_finds_the_unsafe_line_and_passes_the_fix(pytester: pytest.Pytester, run, name: str) -> None:
    for path in (EXAMPLES / f"{name}.py", EXAMPLES / f"test_{name}.py"):
        shutil.copy(path, pytester.path / path.name)
    result = run("-rx")
    result.assert_outcomes(passed=1, xfailed=1)  # as `pytest examples` runs it
    result = run("--runxfail")  # the buggy one's failure, in full
    result.assert_outcomes(passed=1, failed=1)
    line = _unsafe_line(name)
    result.stdout.fnmatch_lines(
        [
            f"*SignalAnywhereFailure: * sent just before {name}.py:{line} ran (the 1st time) made the body fail:",
            f"*    {line} | *# <- unsafe*",
            "*expected the body to pass wherever * arrives; * run(s) failed, at " + f"{name}.py:{line}*",
            f"*FAIL {line:>5} *# <- unsafe*",
            "*signal timeline of that run:*",
        ]
    )
    assert "Captured signal timeline" not in result.stdout.str()  # the message has that run's


def test_the_listing_on_the_page_is_the_examples(pytester: pytest.Pytester, run) -> None:
    page = (ROOT / "docs" / "anywhere.rst").read_text()
    block = page.split("The listing\n", 1)[1].split(".. code-block:: text\n", 1)[1]
    shown = [line[4:] for line in block.strip("\n").split("\n\n", 1)[0].splitlines()]
    assert shown[0].startswith("signal_anywhere(SIGINT): ")
    assert shown[1] == "  lock_leak.py"
    for path in (EXAMPLES / "lock_leak.py", EXAMPLES / "test_lock_leak.py"):
        shutil.copy(path, pytester.path / path.name)
    result = run("--runxfail")
    patterns = ["*" + line.replace("[", "[[]").replace("(sys.settrace)", "(sys.*)") for line in shown]
    result.stdout.fnmatch_lines(patterns, consecutive=True)


# -- the fixture, through pytest -------------------------------------------------------------

APP = """
import signal

calls = []


def on_usr1(signum, frame):
    calls.append(signum)


def boom(signum, frame):
    raise RuntimeError("from the handler")


def work(n):
    total = 0
    for i in range(n):
        total += i
    return total
"""


def test_every_point_is_explored_and_logged(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        test_it=f"""
        import signal, sys
        import app

        def test_points(signal_anywhere, signal_log):
            def body():
                previous = signal.signal(signal.SIGUSR1, app.on_usr1)
                try:
                    assert app.work(3) == 3
                finally:
                    signal.signal(signal.SIGUSR1, previous)

            exploration = signal_anywhere(signal.SIGUSR1, body)
            # work(3): `total = 0`, the for line 4 times, `total += i` 3 times, `return`
            assert (exploration.points, exploration.lines) == (9, 4)
            assert [(p.line, p.occurrence) for p in exploration.explored] == [
                (15, 1), (16, 1), (17, 1), (16, 2), (17, 2), (16, 3), (17, 3), (16, 4), (18, 1)
            ]
            assert all(p.outcome == "passed" for p in exploration.explored) and exploration.passed
            assert not exploration.sampled
            assert exploration.backend == {'"sys.monitoring"' if MONITORING else '"sys.settrace"'}
            assert len(app.calls) == 9
            signal_log.assert_sent(signal.SIGUSR1, times=9)
            signal_log.assert_handled(signal.SIGUSR1, times=9, by=app.on_usr1)
            assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL

        def test_budget(signal_anywhere):
            def body():
                previous = signal.signal(signal.SIGUSR1, app.on_usr1)
                try:
                    app.work(50)
                finally:
                    signal.signal(signal.SIGUSR1, previous)

            few = signal_anywhere(signal.SIGUSR1, body, points=5, seed=3)
            assert few.sampled and few.seed == 3 and len(few.explored) == 5 and few.points == 103
            assert len(signal_anywhere(signal.SIGUSR1, body, points="all").explored) == 103
            default = signal_anywhere(signal.SIGUSR1, body)
            assert len(default.explored) == 103  # under the default budget (200)
        """
    )
    run().assert_outcomes(passed=2)


def test_the_handler_exception_is_raised_at_the_line(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        test_it="""
        import signal
        import app

        def test_boom(signal_anywhere):
            def body():
                previous = signal.signal(signal.SIGUSR1, app.boom)
                try:
                    app.work(2)
                finally:
                    signal.signal(signal.SIGUSR1, previous)

            signal_anywhere(signal.SIGUSR1, body)
        """
    )
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "app.py:15: in work",  # the cause's traceback goes through the line the signal arrived at
            "    total = 0",
            "*RuntimeError: from the handler",
            "app.py:11: RuntimeError",
            "*The above exception was the direct cause of the following exception:*",
            "*SIGUSR1 sent just before app.py:15 ran (the 1st time) made the body fail:",
            "*RuntimeError: from the handler (raised by the handler, and not caught by the body)",
            "*4 of 4 run(s) failed, at app.py:15, app.py:16, app.py:17, app.py:18.*",
        ]
    )


def test_runs_start_alike_and_the_guard_judges_one_plain_run(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        test_it="""
        import signal, pytest
        import app

        def test_leaves_state(signal_anywhere):
            seen = []

            def body():
                seen.append((signal.getsignal(signal.SIGUSR2), frozenset(signal.pthread_sigmask(signal.SIG_BLOCK, []))))
                signal.signal(signal.SIGUSR1, app.on_usr1)
                signal.signal(signal.SIGUSR2, app.on_usr1)  # never put back
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGWINCH})  # never unblocked
                app.work(1)
                signal.signal(signal.SIGUSR1, signal.SIG_DFL)

            exploration = signal_anywhere(signal.SIGUSR1, body)
            assert len(seen) == 1 + len(exploration.explored)
            assert set(seen) == {(signal.SIG_DFL, frozenset())}  # every run started as the first one did
            notes = {note for point in exploration.explored for note in point.notes}
            assert notes == {
                "SIGUSR2: handler app.on_usr1 left installed",
                "the signal mask (blocked: SIGWINCH; unblocked: -)",
            }
            assert "left changed by a run, put back before the next:" in exploration.listing()
            # as one plain run left it: the guard reports it once, after the test
            assert signal.getsignal(signal.SIGUSR2) is app.on_usr1
            assert signal.SIGWINCH in signal.pthread_sigmask(signal.SIG_BLOCK, [])
        """
    )
    result = run("-W", "default::pytest_signals.SignalLeakWarning")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*SignalLeakWarning: test left signal state changed*"])
    assert result.stdout.str().count("SIGUSR2: handler app.on_usr1 was left installed") == 1


def test_a_signal_left_blocked_is_a_failure(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        test_it="""
        import signal
        import app

        def test_blocked(signal_anywhere):
            def body():
                previous = signal.signal(signal.SIGUSR1, app.on_usr1)
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
                try:
                    app.work(1)
                finally:
                    signal.signal(signal.SIGUSR1, previous)  # and the mask left as it is

            signal_anywhere(signal.SIGUSR1, body)
        """
    )
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: SIGUSR1 was still blocked and pending when the body returned: its handler never ran",
            "*the signal mask (blocked: SIGUSR1; unblocked: -)",
        ]
    )
    assert "discarded" not in result.stdout.str()  # taken between runs, not left for the guard


def test_a_body_that_runs_differently_is_reported(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        test_it="""
        import signal
        import app

        def test_differs(signal_anywhere):
            runs = []

            def body():
                runs.append(1)
                previous = signal.signal(signal.SIGUSR1, app.on_usr1)
                try:
                    app.work(3 if len(runs) == 1 else 1)
                finally:
                    signal.signal(signal.SIGUSR1, previous)

            exploration = signal_anywhere(signal.SIGUSR1, body)
            unreached = [(p.line, p.occurrence) for p in exploration.explored if p.outcome == "unreached"]
            assert unreached == [(17, 2), (16, 3), (17, 3), (16, 4)]
            assert exploration.passed
            assert ", 4 unreached (" in exploration.listing().splitlines()[0]
        """
    )
    run().assert_outcomes(passed=1)


def test_no_point_fails_and_says_why(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        test_it="""
        import signal
        import app

        def test_no_handler(signal_anywhere):
            signal_anywhere(signal.SIGUSR1, lambda: app.work(2))

        def test_nothing_ran(signal_anywhere):
            signal.signal(signal.SIGUSR1, app.on_usr1)
            try:
                signal_anywhere(signal.SIGUSR1, lambda: sum(range(3)))
            finally:
                signal.signal(signal.SIGUSR1, signal.SIG_DFL)
        """
    )
    result = run()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*signal_anywhere(SIGUSR1) found no point to send SIGUSR1 at: 4 line(s) of the code under test "
            "(every file but the test's own, *) ran, and at none of them had SIGUSR1 a Python handler installed. "
            "Install the handler*",
            "*signal_anywhere(SIGUSR1) found no point to send SIGUSR1 at: no line of the code under test "
            "(every file but the test's own, *) ran. Name the code with within=*",
        ]
    )


def test_the_first_run_must_pass_alone(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        test_it="""
        import signal

        def test_plain_failure(signal_anywhere, signal_log):
            def body():
                assert 1 + 1 == 3, "wrong on its own"

            try:
                signal_anywhere(signal.SIGUSR1, body)
            finally:
                assert signal_log.sent == []
        """
    )
    result = run()
    result.assert_outcomes(failed=1)
    lines = ["*AssertionError: wrong on its own*"]
    if sys.version_info >= (3, 11):
        lines.append("*(signal_anywhere: the body failed in its first run, with no signal sent: it must pass alone)")
    result.stdout.fnmatch_lines(lines)


def test_bad_calls(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        test_it="""
        import signal, threading, pytest
        import app

        @pytest.mark.parametrize(("kwargs", "error", "match"), [
            (dict(points=0), ValueError, "points=0 must be a whole number of points >= 1, or 'all'"),
            (dict(seed="x"), ValueError, "seed='x' must be an int"),
            (dict(timeout=-1), ValueError, "timeout=-1 must be a positive, finite number of seconds"),
            (dict(within=42), TypeError, "within=42 names no code"),
            (dict(sig=signal.SIGKILL), ValueError, "SIGKILL.: it cannot be caught"),
            (dict(sig="SIGBOGUS"), ValueError, "unknown signal 'SIGBOGUS'"),
            (dict(body=3), TypeError, "body=3 is not callable"),
        ])
        def test_refused(signal_anywhere, kwargs, error, match):
            sig = kwargs.pop("sig", signal.SIGUSR1)
            body = kwargs.pop("body", lambda: None)
            with pytest.raises(error, match=match):
                signal_anywhere(sig, body, **kwargs)

        def test_async_body(signal_anywhere):
            async def main():
                pass
            with pytest.raises(TypeError, match=r"is an async function: pass a function that runs it"):
                signal_anywhere(signal.SIGUSR1, main)

        def test_nested(signal_anywhere):
            errors = []
            def body():
                previous = signal.signal(signal.SIGUSR1, app.on_usr1)
                try:
                    app.work(1)
                    signal_anywhere(signal.SIGUSR1, lambda: None)
                except RuntimeError as exc:
                    errors.append(str(exc))
                finally:
                    signal.signal(signal.SIGUSR1, previous)
            signal_anywhere(signal.SIGUSR1, body)
            assert errors and set(errors) == {"signal_anywhere was called from inside its own body"}

        def test_from_a_thread(signal_anywhere):
            errors = []
            thread = threading.Thread(target=lambda: errors.append(_call(signal_anywhere)))
            thread.start()
            thread.join()
            assert "runs the body in the main thread" in errors[0]

        def _call(signal_anywhere):
            try:
                signal_anywhere(signal.SIGUSR1, lambda: None)
            except RuntimeError as exc:
                return str(exc)
        """
    )
    run().assert_outcomes(passed=10)


def test_a_keyboard_interrupt_not_sent_by_the_test_stops_the_session(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        test_it="""
        import signal
        import app

        def test_interrupted(signal_anywhere):
            runs = []

            def body():
                runs.append(1)
                previous = signal.signal(signal.SIGUSR1, app.on_usr1)
                try:
                    app.work(2)
                finally:
                    signal.signal(signal.SIGUSR1, previous)
                if len(runs) == 3:
                    raise KeyboardInterrupt  # as a real Ctrl-C would, in the third run

            signal_anywhere(signal.SIGUSR1, body)

        def test_never_runs():
            pass
        """
    )
    result = run()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*KeyboardInterrupt*", "*no tests ran*"])


# -- the marker ---------------------------------------------------------------------------------


def test_the_signature_is_written_once_and_is_the_fixtures_own() -> None:
    from pytest_signals import SignalAnywhere, plugin
    from pytest_signals._marker import ANYWHERE_MARKER_LINE

    sig = inspect.signature(SignalAnywhere.__call__)
    params = [p.replace(annotation=inspect.Parameter.empty) for p in list(sig.parameters.values())[1:]]
    text = f"signal_anywhere{inspect.Signature(params)} -> {sig.return_annotation}"
    assert text == "signal_anywhere(sig, body, *, within=None, points=None, seed=None, timeout=None) -> Exploration"
    assert f"    {text}\n" in (ROOT / "docs" / "_snippets" / "signatures.rst").read_text()
    assert f"`{text}`" in (ROOT / "README.md").read_text()
    assert text.split(" -> ")[0] in (inspect.getdoc(plugin.signal_anywhere) or "")
    marker = text.split(" -> ")[0].replace("sig, body, ", "sig, ")
    assert ANYWHERE_MARKER_LINE.startswith(marker + ": ")
    assert f"``@pytest.mark.{marker}``" in (ROOT / "docs" / "reference.rst").read_text()


def test_marker_registered_with_its_signature(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(
        ["@pytest.mark.signal_anywhere(sig, *, within=None, points=None, seed=None, timeout=None): run the test*"]
    )


def test_marker_runs_the_test_function_per_point(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        test_it="""
        import signal, pytest
        import app

        RUNS = []

        @pytest.fixture
        def made():
            RUNS.append("fixture")
            return []

        @pytest.mark.signal_anywhere("SIGUSR1", points=3, seed=1)
        def test_marked(made, request):
            RUNS.append("call")
            made.append(1)
            previous = signal.signal(signal.SIGUSR1, app.on_usr1)
            try:
                app.work(4)
            finally:
                signal.signal(signal.SIGUSR1, previous)

        def test_after(signal_log):
            assert RUNS == ["fixture"] + ["call"] * 4  # one fixture value, 1 + 3 calls
            assert len(app.calls) == 3
        """
    )
    result = run("-rP", "--strict-markers")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*Captured signal anywhere call*", "signal_anywhere(SIGUSR1): 11 point(s) on 4 line(s), 3 explored*"]
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("", "@pytest.mark.signal_anywhere takes one signal, e.g. signal_anywhere(signal.SIGTERM); got 0"),
        ("'TERM', 'INT'", "@pytest.mark.signal_anywhere takes one signal*got 2"),
        ("'SIGBOGUS'", "@pytest.mark.signal_anywhere('SIGBOGUS'): unknown signal 'SIGBOGUS'"),
        ("'KILL'", "@pytest.mark.signal_anywhere('KILL'): SIGKILL cannot be caught"),
        ("'TERM', budget=3", "@pytest.mark.signal_anywhere: unknown keyword argument(s) budget; use within*"),
        ("'TERM', points=0", "@pytest.mark.signal_anywhere: points=0 must be a whole number of points*"),
        ("'TERM', timeout='soon'", "@pytest.mark.signal_anywhere: timeout='soon' is not a number of seconds*"),
    ],
)
def test_bad_marker_is_a_collection_error(pytester: pytest.Pytester, run, args: str, message: str) -> None:
    pytester.makepyfile(
        f"""
        import pytest
        @pytest.mark.signal_anywhere({args})
        def test_bad():
            pass
        def test_other():
            pass
        """
    )
    result = run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ERROR collecting*", f"*{message}*"])


def test_marker_on_an_async_test_is_a_collection_error(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.signal_anywhere("TERM")
        async def test_async():
            pass
        """
    )
    result = run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*runs the test function itself many times, and this one is async*"])


@pytest.mark.skipif(sys.platform == "darwin", reason="SIGINFO exists on macOS")
def test_marker_signal_missing_on_this_platform_skips(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.signal_anywhere("SIGINFO")
        def test_info():
            raise AssertionError("must not run")
        """
    )
    result = run("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*pytest-signals: signal SIGINFO does not exist on*"])


def test_the_marker_costs_nothing_to_sessions_without_it(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        test_plain="""
        def test_plain(request):
            assert not request.config.pluginmanager.has_plugin("pytest-signals-anywhere")
            assert "pytest_signals._inproc.anywhere" not in __import__("sys").modules
        """
    )
    run().assert_outcomes(passed=1)
    pytester.makepyfile(
        test_marked="""
        import pytest
        @pytest.mark.signal_anywhere("USR1")
        def test_marked():
            pass
        """
    )
    result = run("test_marked.py")
    result.assert_outcomes(failed=1)  # no point: nothing of the code under test ran
    result.stdout.fnmatch_lines(["*found no point to send SIGUSR1 at*"])


# -- the two ways to trace ----------------------------------------------------------------------


def test_a_trace_function_in_place_is_put_back(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        test_it="""
        import signal, sys
        import app
        from pytest_signals import SignalAnywhere

        def body():
            previous = signal.signal(signal.SIGUSR1, app.on_usr1)
            try:
                app.work(2)
            finally:
                signal.signal(signal.SIGUSR1, previous)

        def tracer(frame, event, arg):
            return None

        def test_put_back(request):
            guard = request.getfixturevalue("_signal_guard")
            explore = SignalAnywhere(guard, request.node, backend="sys.settrace")
            sys.settrace(tracer)
            try:
                exploration = explore(signal.SIGUSR1, body)
                assert sys.gettrace() is tracer
            finally:
                sys.settrace(None)
            assert exploration.backend == "sys.settrace" and exploration.points == 7
        """
    )
    run().assert_outcomes(passed=1)


def test_the_tracer_imports_nothing_a_child_would_see() -> None:
    """A spawned child can share it: loading it leaves sys.modules as a plain start has it."""
    code = (
        "import sys; before = set(sys.modules); import pytest_signals._tracepoints; "
        "print(sorted(set(sys.modules) - before))"
    )
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "['pytest_signals', 'pytest_signals._tracepoints']"


@pytest.mark.skipif(not MONITORING, reason="sys.monitoring is 3.12+")
def test_monitoring_frees_its_tool_and_gives_way(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        test_it="""
        import signal, sys
        import app
        from pytest_signals import SignalAnywhere

        def body():
            previous = signal.signal(signal.SIGUSR1, app.on_usr1)
            try:
                app.work(2)
            finally:
                signal.signal(signal.SIGUSR1, previous)

        def test_frees_its_tool(signal_anywhere):
            assert signal_anywhere(signal.SIGUSR1, body).backend == "sys.monitoring"
            assert sys.monitoring.get_tool(4) is None and sys.monitoring.get_tool(3) is None

        def test_no_free_tool(signal_anywhere):
            for tool in (3, 4):
                sys.monitoring.use_tool_id(tool, "someone else")
            try:
                exploration = signal_anywhere(signal.SIGUSR1, body)
            finally:
                for tool in (3, 4):
                    sys.monitoring.free_tool_id(tool)
            assert exploration.backend == "sys.settrace" and exploration.points == 7

        def test_same_points_both_ways(request):
            guard = request.getfixturevalue("_signal_guard")
            ways = [SignalAnywhere(guard, request.node, backend=b) for b in ("sys.monitoring", "sys.settrace")]
            both = [[(p.line, p.occurrence) for p in way(signal.SIGUSR1, body).explored] for way in ways]
            assert both[0] == both[1] and len(both[0]) == 7
        """
    )
    run().assert_outcomes(passed=3)
