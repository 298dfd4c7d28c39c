"""The pytest side of pytest-signals: options, the marker, the fixtures and
the hooks that turn a signal's fatal effect into one failed test.

Registered under the entry point name ``signals`` (``-p no:signals`` turns it
off). Nothing here runs for a test that uses neither a fixture of the plugin
nor one of its markers beyond a stash lookup.
"""

from __future__ import annotations

import inspect
import sys
import warnings
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import pytest

from ._compat import first_function_fixture, test_function_args
from ._inproc.protect import GUARD_KEY, add_timeline_section, protected
from ._marker import (
    ANYWHERE_MARKER_LINE,
    LEAVES_LINE,
    MARKER_LINE,
    AnywhereOptions,
    anywhere_fixtures_refused,
    anywhere_options,
    leaves_state,
    marker_signals,
)
from ._options import Settings, add_options, read_settings

if TYPE_CHECKING:
    # Loaded when a test first uses the plugin, so that loading the plugin stays cheap.
    from ._children.spawn import Spawner
    from ._events import SignalLog
    from ._inproc.anywhere import SignalAnywhere
    from ._inproc.guard import SignalGuard
    from ._inproc.send import SignalSender
    from ._report import SignalReport

SETTINGS_KEY = pytest.StashKey[Settings]()
FOREIGN_KEY = pytest.StashKey[frozenset[str]]()
STOPPED_KEY = pytest.StashKey[list[str]]()
REPORT_KEY = pytest.StashKey["SignalReport"]()
ANYWHERE_KEY = pytest.StashKey[AnywhereOptions]()
ANYWHERE_CALLS = "pytest-signals-anywhere"
WORKER_OUTPUT_KEY = "pytest_signals_report"
GUARD_FIXTURE = "_signal_guard"
WINDOWS_REASON = "pytest-signals: POSIX signals are not available on Windows"


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_LINE)
    config.addinivalue_line("markers", LEAVES_LINE)
    config.addinivalue_line("markers", ANYWHERE_MARKER_LINE)
    config.stash[SETTINGS_KEY] = read_settings(config)


def _foreign_plugins(config: pytest.Config) -> frozenset[str]:
    """Top-level packages of the installed pytest plugins other than this one."""
    if FOREIGN_KEY not in config.stash:
        names = {"_pytest", "pluggy"}
        for plugin, _dist in config.pluginmanager.list_plugin_distinfo():
            name = getattr(plugin, "__name__", "")
            if name and not name.startswith("pytest_signals"):
                names.add(name.split(".")[0])
        config.stash[FOREIGN_KEY] = frozenset(names)
    return config.stash[FOREIGN_KEY]


def pytest_report_header(config: pytest.Config) -> str:
    return config.stash[SETTINGS_KEY].header()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    markers = list(metafunc.definition.iter_markers("sends_signal"))
    leaves = metafunc.definition.get_closest_marker("leaves_signal_state") is not None
    anywhere = metafunc.definition.get_closest_marker("signal_anywhere")
    if not markers and not leaves and anywhere is None:
        return
    try:
        if markers:
            marker_signals(markers)
        if leaves:
            leaves_state(metafunc.definition)
        if anywhere is not None:
            anywhere_options(anywhere)
            if inspect.iscoroutinefunction(metafunc.function):
                raise ValueError(
                    "@pytest.mark.signal_anywhere runs the test function itself many times, and this one is "
                    "async: use the signal_anywhere fixture inside the test (`for run in ...: with run: await ...`)"
                )
            refused = anywhere_fixtures_refused(test_function_args(metafunc.definition))
            if refused is not None:
                raise ValueError(refused)
    except ValueError as exc:
        raise pytest.Collector.CollectError(f"{metafunc.definition.nodeid}: {exc}") from None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", None)
        if names is None:
            continue
        anywhere = item.get_closest_marker("signal_anywhere")
        if anywhere is not None:
            options = anywhere_options(anywhere)  # checked at generate time: cannot raise here
            if isinstance(options, AnywhereOptions):
                item.stash[ANYWHERE_KEY] = options
                if not config.pluginmanager.has_plugin(ANYWHERE_CALLS):
                    config.pluginmanager.register(_AnywhereCalls(), ANYWHERE_CALLS)
        if GUARD_FIXTURE in names:
            names.remove(GUARD_FIXTURE)
        elif anywhere is None and not any(
            item.get_closest_marker(name) for name in ("sends_signal", "leaves_signal_state")
        ):
            continue
        # First among the function-scoped fixtures: set up before the test's own
        # fixtures and torn down after them (one that sends signals while it
        # stops is covered), after the wider-scoped ones, whose state it restores.
        names.insert(first_function_fixture(item, names), GUARD_FIXTURE)


# The innermost wrappers of each phase: a KeyboardInterrupt the test caused
# becomes a failure before any other wrapper or pytest's runner sees it.
@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    __tracebackhide__ = True
    return (yield from protected(item, "setup"))


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    __tracebackhide__ = True
    return (yield from protected(item, "call"))


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, object, object]:
    # Fixture finalizers run here: a SIGINT a fixture sends while tearing down is caught.
    __tracebackhide__ = True
    try:
        return (yield from protected(item, "teardown", timeline=False))
    finally:
        # pytest keeps every item until the session ends: keep nothing of this
        # test's signal state beyond its reports.
        if GUARD_KEY in item.stash:
            del item.stash[GUARD_KEY]


@pytest.fixture
def _signal_guard(request: pytest.FixtureRequest) -> Iterator[SignalGuard]:
    """Protect the session and observe signals for one test; restore afterwards."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        pytest.skip(WINDOWS_REASON)
    item = request.node
    declared, missing = marker_signals(item.iter_markers("sends_signal"))
    anywhere = item.get_closest_marker("signal_anywhere")
    lacking = None if anywhere is None else anywhere_options(anywhere)
    if isinstance(lacking, str):
        missing.append(lacking)
    if missing:
        pytest.skip(f"pytest-signals: signal {', '.join(missing)} does not exist on {sys.platform}")
    from ._inproc.guard import SignalGuard, SignalLeakWarning

    settings = request.config.stash[SETTINGS_KEY]
    guard = SignalGuard(settings, item.nodeid, _foreign_plugins(request.config), frozenset(declared))
    item.stash[GUARD_KEY] = guard
    guard.start()
    try:
        yield guard
    finally:
        verdict = guard.finish()
        if guard.settings.report:
            _report(request.config).add_test(item.nodeid, guard.log)
        problems = verdict.deaths + verdict.errors
        failing = bool(problems) or (bool(verdict.leaks) and guard.settings.strict)
        add_timeline_section(item, guard, "teardown", failing)
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)
        if verdict.leaks and leaves_state(item):
            pass  # on purpose: restored, and nothing to warn about
        elif verdict.leaks:
            message = "test left signal state changed (restored now):\n  " + "\n  ".join(verdict.leaks)
            if guard.settings.strict:
                pytest.fail(f"{message}\n(signal_strict is on)", pytrace=False)
            _, lineno, _ = item.location
            warnings.warn_explicit(SignalLeakWarning(message), SignalLeakWarning, str(item.path), (lineno or 0) + 1)


@pytest.fixture
def signal_log(_signal_guard: SignalGuard) -> SignalLog:
    """The :class:`~pytest_signals.SignalLog` of this test: every signal sent,
    handler installed and handler call observed, in order.

    Views: ``sent``, ``installed``, ``handled``, ``defaults``, ``ignored``,
    ``keyboard_interrupts``, ``cancelled``, ``exits``; ``filter()``, ``clear()``,
    ``timeline()``. Assertions: ``assert_handled(sig, times=, by=)``,
    ``assert_not_handled(sig)``, ``assert_sent(sig)``,
    ``assert_keyboard_interrupt()``, ``assert_cancelled(task, message=, absorbed=)``.
    """
    return _signal_guard.log


@pytest.fixture
def send_signal(_signal_guard: SignalGuard) -> SignalSender:
    """Send a real signal: ``send_signal(sig, *, to=None, via=None, timeout=None)``.

    With no ``to`` the signal goes to the test process (``via="raise"``, or
    ``"kill"``) and the call returns after the Python handler ran, raising
    whatever it raised. Returns a :class:`~pytest_signals.Delivery`.
    """
    from ._inproc.send import SignalSender

    return SignalSender(_signal_guard)


@pytest.fixture
def signal_anywhere(_signal_guard: SignalGuard, request: pytest.FixtureRequest) -> SignalAnywhere:
    """Deliver a signal at every point of the code under test:
    ``signal_anywhere(sig, *, within, include=None, exclude=None, max_points=200, seed=None, only=None)``
    yields runs; run the scenario in each ``with run:``.

    The first run delivers nothing and counts the points (each line of
    *within*, and of the project's code it calls, the first time it runs);
    each later run delivers *sig* just before one of them (``run.point``).
    When the runs are over, the test fails naming every point where a run
    failed, each with ``only=k`` to replay it.
    """
    from ._inproc.anywhere import SignalAnywhere

    return SignalAnywhere(_signal_guard, request.node)


class _AnywhereCalls:
    """Runs the tests marked ``signal_anywhere`` (registered only when a
    collected test carries the marker: other sessions pay nothing)."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> object:
        __tracebackhide__ = True
        options = pyfuncitem.stash.get(ANYWHERE_KEY, None)
        guard = pyfuncitem.stash.get(GUARD_KEY, None)
        if options is None or guard is None:
            return None
        from ._inproc.anywhere import SignalAnywhere

        function = pyfuncitem.obj
        funcargs = pyfuncitem.funcargs
        kwargs = {name: funcargs[name] for name in test_function_args(pyfuncitem)}
        for run in SignalAnywhere(guard, pyfuncitem)(options.signal, **options.kwargs):  # type: ignore[arg-type]
            with run:
                function(**kwargs)
        return True


@pytest.fixture
def spawn(_signal_guard: SignalGuard, request: pytest.FixtureRequest) -> Iterator[Spawner]:
    """Start code in a real child process:
    ``spawn(target, *args, tty=False, env=None, cwd=None, timeout=None, ignore=(), as_init=False,
    descendants=True, launch=None, signal_anywhere=None) -> SpawnedProcess``.

    *target* is ``"pkg.module:function"``, ``"pkg.module"``, a path to a
    ``.py`` file, or a list of strings (any program). Python children report
    handler calls, cancelled tasks and KeyboardInterrupts to ``signal_log``,
    and so do the processes they fork and the Python processes they start by
    exec (unless ``descendants=False``). With ``as_init=True`` it runs as pid
    1 of a new pid namespace, as a container's entrypoint does; *launch*
    (``"plain"``, the default without a terminal, or ``"service"``) is the
    process model it meets otherwise. Every child
    still running at the end of the test is stopped (SIGTERM to its group,
    then SIGKILL) and reaped; the terminal summary lists them.
    """
    from ._children.spawn import Spawner

    spawner = Spawner(_signal_guard)
    try:
        yield spawner
    finally:
        notes = spawner.close_all()
        if notes:
            request.node.add_report_section("teardown", "spawned processes", "\n".join(notes))
            request.config.stash.setdefault(STOPPED_KEY, []).extend(f"{request.node.nodeid}: {n}" for n in notes)


def _report(config: pytest.Config) -> SignalReport:
    if REPORT_KEY not in config.stash:
        from ._report import SignalReport

        config.stash[REPORT_KEY] = SignalReport()
    return config.stash[REPORT_KEY]


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    _combine_children_coverage(config)
    workeroutput = getattr(config, "workeroutput", None)  # an xdist worker
    if workeroutput is not None and config.stash[SETTINGS_KEY].report:
        workeroutput[WORKER_OUTPUT_KEY] = _report(config).to_data()


def _combine_children_coverage(config: pytest.Config) -> None:
    """Spawned children wrote parallel coverage data beside the test process's:
    pytest-cov combines it at its own end; under ``coverage run`` nothing
    would, so it is combined into the running measurement here."""
    spawn = sys.modules.get("pytest_signals._children.command")
    if spawn is None or not spawn.COVERED or config.pluginmanager.hasplugin("_cov"):
        return
    coverage = sys.modules.get("coverage")
    cov = coverage.Coverage.current() if coverage is not None else None
    if cov is not None and not cov.config.parallel:
        import os

        with warnings.catch_warnings():  # "no data collected" *before* the children's is in
            exceptions = sys.modules.get("coverage.exceptions")
            warnings.simplefilter("ignore", getattr(exceptions, "CoverageWarning", Warning))
            cov.combine(data_paths=sorted({os.path.dirname(base) for base in spawn.COVERED}), keep=False)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """xdist's controller: add a finished worker's report to the run's."""
    data = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    if data is not None:
        _report(node.config).merge(data)  # type: ignore[attr-defined]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    stopped = config.stash.get(STOPPED_KEY, [])
    if stopped:
        terminalreporter.section("pytest-signals: processes stopped at teardown")
        for line in stopped:
            terminalreporter.line(line)
    if config.stash[SETTINGS_KEY].report and not hasattr(config, "workeroutput"):
        terminalreporter.section("pytest-signals: signal report")
        for line in _report(config).lines():
            terminalreporter.line(line)
