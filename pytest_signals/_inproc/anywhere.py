"""Where a signal is sent at every point of the code under test: the object
behind the ``signal_anywhere`` fixture and marker.

A handler runs between two bytecodes of whatever the main thread was doing. A
test that sends a signal at one moment tests that moment; the windows where a
signal breaks the code (a lock taken and its ``try`` not yet entered, a list
copied and not yet cleared) are elsewhere. :class:`SignalAnywhere` runs the
body once to count the points (:mod:`.._tracepoints`), then once per point
with the signal sent just before that line runs, through ``send_signal``'s
own delivery: the events are in ``signal_log``, a handler that blocks is
interrupted, and the guard restores and judges at the end as for any test.
Between runs it puts back what a run left changed (dispositions, the mask,
signals left pending), so that each run starts as the first one did; at the
end it leaves what the first run (no signal) left, for the guard to judge as
it would judge one plain run.

Rejected: a fork per point (nothing could leak from one run to the next, but
the test's fixtures, files and threads would be copied, and a failure could
not show the test's own traceback); sending from a thread at random moments
(Python runs handlers in the main thread only, and a window found by luck
cannot be named or repeated).
"""

from __future__ import annotations

import inspect
import random
import signal
import threading
import zlib
from collections.abc import Callable, Iterable, Sequence
from types import CodeType
from typing import TYPE_CHECKING, NoReturn

import pytest

from .._events import SignalEvent
from .._options import check_timeout
from .._signals import resolve_signal, signal_name
from .._tracepoints import Counted, LineTracer
from .anywhere_plan import Point, Scope, candidates, check_points, check_seed, select_points
from .anywhere_report import Exploration, ExploredPoint, describe_error, failure_message, line_stats
from .anywhere_state import Baseline
from .protect import shows_passed_output
from .send import SignalSender

if TYPE_CHECKING:
    from .guard import SignalGuard


class SignalAnywhereFailure(AssertionError):
    """The body failed with the signal sent at one or more points.

    The exception of the first failing run is its ``__cause__`` (pytest shows
    its traceback, down to the line the signal arrived at); :attr:`exploration`
    has every run.
    """

    __module__ = "pytest_signals"  # as failures print it: the public name

    def __init__(self, message: str, exploration: Exploration) -> None:
        super().__init__(message)
        self.exploration = exploration


_First = tuple[BaseException, ExploredPoint, list[SignalEvent]]  # the first failure: exception, run, events


class _Run:
    """One run of the body, as the hook saw it."""

    __slots__ = ("raised", "sent")

    def __init__(self) -> None:
        self.sent = False
        self.raised: BaseException | None = None


class SignalAnywhere:
    """Sends a signal at every point of the code under test, one run of the body each.

    The ``signal_anywhere`` fixture is an instance; call it::

        def test_save_survives_sigterm(signal_anywhere, tmp_path):
            def body():
                ...  # set up, run the code under test, check what must hold
            signal_anywhere(signal.SIGTERM, body)

    The body runs once with no signal, to count the points: each time a line of
    the code under test ran with a Python handler for the signal installed.
    Then it runs once per point (up to *points*), with the signal sent just
    before that line runs. Every run must pass.
    """

    def __init__(self, guard: SignalGuard, item: pytest.Item | None = None, *, backend: str | None = None) -> None:
        self._guard = guard
        self._item = item
        self._backend = backend  # "sys.settrace" forces that backend on 3.12+ (tests, benchmarks)
        self._running = False

    def __repr__(self) -> str:
        return f"<signal_anywhere fixture of {self._guard.nodeid}>"

    def __call__(
        self,
        sig: object,
        body: Callable[[], object],
        *,
        within: object = None,
        points: int | str | None = None,
        seed: int | None = None,
        timeout: float | None = None,
    ) -> Exploration:
        """Explore *body* with *sig* sent at each point; see the class docstring.

        Args:
            sig: ``signal.Signals``, a number or a name (``"SIGTERM"``, ``"TERM"``).
            body: a function of no arguments that runs one whole scenario: set
                up, run the code under test, check what must hold (catching
                what the handler is meant to raise, ``SystemExit`` from
                ``sys.exit``). Each run must start from its own state.
            within: what counts as the code under test: a module or package, a
                class, a function or method, a path, or a list of these. By
                default every file but the test's own, ``conftest.py`` files,
                the standard library, installed packages and pytest-signals.
            points: how many points to explore at most (default 200), or
                ``"all"``. More points than that: the first time each line ran
                first, then the last, then a sample.
            seed: the sample's seed; by default one derived from the test's id,
                so a run repeats the last one's choice.
            timeout: seconds a handler may run at each point (default
                ``signal_timeout``); one still running is interrupted and that
                run fails.

        Returns:
            An :class:`~pytest_signals.Exploration` of every run.

        Raises:
            SignalAnywhereFailure: a run failed; it names the line, the
                exception, and shows the annotated listing.
            pytest.fail.Exception: no point: no line of the code under test ran
                with a Python handler for the signal installed.
            ValueError, TypeError: a bad argument.
        """
        __tracebackhide__ = True
        signum = resolve_signal(sig)
        if signum in (signal.SIGKILL, signal.SIGSTOP):
            raise ValueError(f"signal_anywhere({signal_name(signum)}): it cannot be caught, so no handler can run")
        _check_body(body)
        budget = check_points(points, "points")
        seed = check_seed(seed, "seed")
        wait = self._guard.settings.timeout if timeout is None else check_timeout(timeout, "timeout")
        self._guard.check_active("signal_anywhere")
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError(
                "signal_anywhere runs the body in the main thread, where Python runs handlers: call it there"
            )
        if self._running:
            raise RuntimeError("signal_anywhere was called from inside its own body")
        if seed is None:
            seed = zlib.crc32(self._guard.nodeid.encode())
        self._running = True
        try:
            return self._explore(signum, body, Scope(within, self._exclude()), budget, seed, wait)
        finally:
            self._running = False

    def _exclude(self) -> list[str]:
        path = getattr(self._item, "path", None)
        return [] if path is None else [str(path)]

    def _explore(
        self, signum: int, body: Callable[[], object], scope: Scope, budget: int | None, seed: int, wait: float
    ) -> Exploration:
        __tracebackhide__ = True
        observer = self._guard.observer
        virtual = observer.virtual
        start = Baseline.capture(observer)

        def armed() -> bool:
            return callable(virtual.get(signum))

        with LineTracer(scope, backend=self._backend) as tracer:
            counted = _count(tracer, body, armed)
            plain = Baseline.capture(observer)  # what one plain run leaves: the guard judges that, at the end
            start.rewind(observer, signum)
            try:
                found = list(candidates(counted.events, counted.armed))
                if not found:
                    _nothing(signum, counted, scope)
                chosen = select_points(found, budget, random.Random(seed))
                explored, first = self._run_points(tracer, body, counted, chosen, signum, wait, start)
            finally:
                plain.settle(observer)
        exploration = Exploration(
            signum,
            tracer.backend,
            len(found),
            len({p.key for p in found}),
            tuple(explored),
            seed,
            len(chosen) < len(found),
            line_stats(counted),
            str(self._item.config.rootpath) if self._item is not None else None,
        )
        if first is not None:
            exc, point, events = first
            failure = SignalAnywhereFailure(failure_message(exploration, point), exploration)
            raise self._guard.log.failure(failure, events=events) from exc
        if self._item is not None and shows_passed_output(self._item.config):
            self._item.add_report_section("call", "signal anywhere", exploration.listing())
        return exploration

    def _run_points(
        self,
        tracer: LineTracer,
        body: Callable[[], object],
        counted: Counted,
        chosen: Sequence[Point],
        signum: int,
        wait: float,
        start: Baseline,
    ) -> tuple[list[ExploredPoint], _First | None]:
        __tracebackhide__ = True
        log, observer = self._guard.log, self._guard.observer
        sender = SignalSender(self._guard)
        explored: list[ExploredPoint] = []
        failed: set[int] = set()
        first: _First | None = None
        for point in chosen:
            file, line = counted.keys[point.key]
            if point.key in failed:  # its other times would fail the same way: not run again
                explored.append(ExploredPoint(file, line, point.occurrence, "skipped"))
                continue
            mark, run = log.recorded, _Run()
            with log.one_run():
                exc = self._one(
                    tracer, body, counted.codes[point.key], line, point.occurrence, signum, wait, sender, run
                )
            notes, pending = start.rewind(observer, signum)
            if exc is None and pending:
                exc = AssertionError(
                    f"{signal_name(signum)} was still blocked and pending when the body returned: its handler never ran"
                )
            if exc is None:
                outcome = "passed" if run.sent else "unreached"
                explored.append(ExploredPoint(file, line, point.occurrence, outcome, None, tuple(notes)))
                continue
            by_handler = exc is run.raised
            error = describe_error(
                exc, sent=run.sent, by_handler=by_handler, plugin=by_handler and isinstance(exc, pytest.fail.Exception)
            )
            result = ExploredPoint(file, line, point.occurrence, "failed", error, tuple(notes))
            explored.append(result)
            failed.add(point.key)
            if first is None:
                first = (exc, result, log.since(mark))
            del exc  # its frames hold the run's locals: only the first failure's are kept
        return explored, first

    def _one(
        self,
        tracer: LineTracer,
        body: Callable[[], object],
        codes: Iterable[CodeType],
        line: int,
        occurrence: int,
        signum: int,
        wait: float,
        sender: SignalSender,
        run: _Run,
    ) -> BaseException | None:
        """One run with the signal sent at the point: the exception the body
        ended with, or None. A real Ctrl-C, a signal from outside that ends the
        session, a skip and an xfail are raised."""
        __tracebackhide__ = True
        observer = self._guard.observer

        def hit() -> None:
            __tracebackhide__ = True
            if observer.underneath(signum) not in ("handler", "loop"):
                return  # this run differs from the first: no handler here now
            run.sent = True
            try:
                sender(signum, via="raise", timeout=wait)
            except BaseException as exc:
                run.raised = exc
                raise

        try:
            tracer.aim(body, codes, line, occurrence, hit)
        except (pytest.exit.Exception, pytest.skip.Exception, pytest.xfail.Exception):
            raise
        except KeyboardInterrupt as exc:
            if not self._guard.caused_by_test(exc):
                raise
            return exc
        except BaseException as exc:
            return exc
        return None


def _check_body(body: object) -> None:
    if not callable(body):
        raise TypeError(f"body={body!r} is not callable: pass a function that runs the code under test and checks it")
    if inspect.iscoroutinefunction(body) or inspect.isasyncgenfunction(body):
        raise TypeError(
            f"body={body!r} is an async function: pass a function that runs it, e.g. lambda: asyncio.run(main())"
        )


def _count(tracer: LineTracer, body: Callable[[], object], armed: Callable[[], bool]) -> Counted:
    __tracebackhide__ = True
    try:
        return tracer.count(body, armed)
    except Exception as exc:
        if hasattr(exc, "add_note"):  # 3.11+
            exc.add_note("(signal_anywhere: the body failed in its first run, with no signal sent: it must pass alone)")
        raise


def _nothing(signum: int, counted: Counted, scope: Scope) -> NoReturn:
    __tracebackhide__ = True
    name = signal_name(signum)
    if not len(counted):
        why = f"no line of {scope.describe()} ran"
        hint = "Name the code with within=, or call it from the body."
    else:
        why = (
            f"{len(counted.keys)} line(s) of {scope.describe()} ran, and at none of them had {name} a Python "
            "handler installed"
        )
        hint = f"Install the handler for {name} in the body, or in the code it runs, before the code to explore."
    pytest.fail(f"signal_anywhere({name}) found no point to send {name} at: {why}. {hint}", pytrace=False)
