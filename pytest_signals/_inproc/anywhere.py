"""Where a signal is delivered at every point of the code under test: the
object behind the ``signal_anywhere`` fixture and marker.

A handler runs between two bytecodes of whatever the main thread was doing. A
test that sends a signal at one moment tests that moment; the windows where a
signal breaks the code (a lock taken and its ``try`` not yet entered, a debit
made and its credit not yet) are elsewhere. ``signal_anywhere(sig,
within=f)`` yields runs; the test runs its scenario inside each ``with run:``.
The first run delivers nothing and counts the points (:mod:`.._tracepoints`);
each later run delivers the signal at one point, from the tracer, through
``send_signal``'s own delivery: the events are in ``signal_log``, an event
loop's handler runs through the running loop, and the guard restores and
judges at the end as for any test. Between runs it puts back what a run left
changed (dispositions, the mask, signals left pending), so that each run
starts as the first one did.

The runs are the test's own code, so its assertions are checked at every
point; a run that fails is recorded and the next one runs. When the runs are
over, the test fails naming each failing point.

Rejected: a body callable (the scenario is easier to read inline, and a
``with`` block keeps the test's own traceback); a fork per point (the test's
fixtures, files and threads would be copied, and a failure could not show
the test's traceback); sending from a thread at random moments (a window found
by luck cannot be named or repeated).
"""

from __future__ import annotations

import contextlib
import random
import signal
import threading
import zlib
from collections.abc import Iterator
from types import CodeType, TracebackType
from typing import TYPE_CHECKING

import pytest

from .._compat import drain_loop_wakeup, monotonic, running_loop
from .._events import SignalEvent
from .._remote.tracepoints import Counted, LineTracer, program_frame
from .._signals import resolve_signal, signal_name
from .anywhere_plan import (
    DEFAULT_MAX_POINTS,
    DEFAULT_TIME_LIMIT,
    Scope,
    check_max_points,
    check_only,
    check_seed,
    check_time_limit,
    child_within,
    select_points,
    within_codes,
)
from .anywhere_report import Outcome, SignalPoint, Summary, describe_error, failure_message
from .anywhere_state import Baseline
from .protect import shows_passed_output
from .send import SignalSender

if TYPE_CHECKING:
    from .._children.process import SpawnedProcess
    from .guard import SignalGuard


class SignalAnywhereFailure(AssertionError):
    """The test failed with the signal delivered at one or more points.

    The exception of the first failing run is its ``__cause__``; :attr:`outcomes`
    has every run.
    """

    __module__ = "pytest_signals"  # as failures print it: the public name

    def __init__(self, message: str, outcomes: tuple[Outcome, ...]) -> None:
        super().__init__(message)
        self.outcomes = outcomes


def _qualname(code: CodeType) -> str:
    return getattr(code, "co_qualname", code.co_name)


class SignalRun:
    """One run of the scenario: a context manager. Its :attr:`point` is where
    it delivers the signal (None for the first run, which delivers nothing
    and counts the points)."""

    def __init__(
        self, exploration: _Exploration, point: SignalPoint | None, code: CodeType | None = None, offset: int = -1
    ) -> None:
        self._exploration = exploration
        self.point = point
        self._code = code
        self._offset = offset
        self._state = "new"
        self.outcome: Outcome | None = None
        self._child_key: tuple[str, int, str] | None = None  # a child's point: its code's file, first line, name

    def __repr__(self) -> str:
        return f"<SignalRun {self.point or 'counting the points (no signal)'}>"

    def __enter__(self) -> SignalRun:
        if self._state != "new":
            raise RuntimeError(f"{self!r} was entered already: each run is entered once")
        self._state = "running"
        self._exploration.enter(self)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> bool:
        __tracebackhide__ = True
        self._state = "done"
        return self._exploration.exit(self, exc)

    @property
    def done(self) -> bool:
        return self._state == "done"

    # -- spawn(..., signal_anywhere=run) -----------------------------------------------

    def request(self) -> str:
        """This run's request, for the child's environment (spawn calls it)."""
        return self._exploration.child_request(self)

    def attach(self, proc: SpawnedProcess) -> None:
        """The child this run's request went to (spawn calls it)."""
        self._exploration.child = proc


def child_run(value: object) -> SignalRun:
    """*value*, checked as ``spawn``'s *signal_anywhere*: a run, under way, of
    an exploration of a child's function, that no child took yet."""
    if not isinstance(value, SignalRun):
        raise TypeError(
            f"spawn(signal_anywhere={value!r}): pass one run of signal_anywhere(sig, within='module:function'), "
            "inside its `with run:`"
        )
    exploration = value._exploration
    if exploration.within_child is None:
        raise TypeError(
            f"spawn(signal_anywhere={value!r}): its exploration's within= is a function of this process; "
            "to explore a function of the child, name it as a string, within='module:function'"
        )
    if value._state != "running":
        raise RuntimeError(f"spawn(signal_anywhere={value!r}): spawn the child inside the run's `with run:` block")
    if exploration.child is not None or exploration.requested:
        raise RuntimeError(
            f"spawn(signal_anywhere={value!r}): this run has its child already (pid "
            f"{getattr(exploration.child, 'pid', '?')}): one child per run"
        )
    return value


class _Exploration:
    """The runs of one ``signal_anywhere(...)`` call."""

    def __init__(
        self,
        guard: SignalGuard,
        item: pytest.Item | None,
        signum: int,
        within: frozenset[CodeType],
        scope: Scope,
        max_points: int,
        seed: int | None,
        only: int | None,
        time_limit: float,
        backend: str | None,
        call: str,
        within_child: str | None = None,
    ) -> None:
        self._guard, self._item, self._signum = guard, item, signum
        self._tracer = LineTracer(within, scope, backend=backend)
        self._scope = scope
        # A child's function (spawn(..., signal_anywhere=run)): the run's child
        # counts or aims; the points are the ones its counting run reported.
        self.within_child = within_child
        self.child: SpawnedProcess | None = None
        self.requested = False
        self._child_points: list[tuple[str, int, str, str, int]] = []
        self._child_running = False  # the first run's child had not ended by the end of its run
        # The first run's child reported points after within= was last left:
        # (reported, confirmed, the channel's fd in the child).
        self._child_unconfirmed: tuple[int, int, int | None] | None = None
        self._max, self._seed, self._only, self._limit = max_points, seed, only, time_limit
        self._call = call
        self._counted: Counted | None = None
        self._start: Baseline | None = None
        self._sender = SignalSender(guard)
        self._first: BaseException | None = None
        self._first_events: list[SignalEvent] = []
        self._plain: Baseline | None = None
        self._mark = 0
        self._one_run: contextlib.ExitStack | None = None
        self._run_state: dict[str, object] = {}

    # -- one run -----------------------------------------------------------------------

    def enter(self, run: SignalRun) -> None:
        observer = self._guard.observer
        virtual, signum = observer.virtual, self._signum
        self.child, self.requested = None, False
        if run.point is None:
            self._start = Baseline.capture(observer)
            if self.within_child is None:
                self._counted = self._tracer.start_count(lambda: callable(virtual.get(signum)))
            return
        assert run._code is not None or self.within_child is not None
        self._run_state = {"sent": False, "raised": None, "blocked": False, "delivery": None, "handler": True}
        self._mark = self._guard.log.recorded
        stack = contextlib.ExitStack()
        stack.enter_context(self._guard.log.one_run())
        self._one_run = stack
        if self.within_child is None:
            assert run._code is not None
            self._tracer.start_aim(run._code, run.point.line, self._hit, run._offset)

    def child_request(self, run: SignalRun) -> str:
        from .._remote.anywhere_child import AIM, COUNT, encode_request

        assert self.within_child is not None
        self.requested = True
        target = None
        if run.point is not None:
            key = self._child_key_of(run)
            target = (key[0], key[1], key[2], run.point.line)
        included, excluded, outside = self._scope.folders()
        mode = COUNT if run.point is None else AIM
        return encode_request(mode, self._signum, self.within_child, target, included, excluded, outside)

    def _child_key_of(self, run: SignalRun) -> tuple[str, int, str]:
        key = run._child_key
        assert key is not None
        return key

    def _child_state(self, run: SignalRun) -> tuple[list[tuple[str, int, str, str, int]], str | None]:
        """What the run's child reported: its points, and how the signal met its point."""
        proc = self.child
        if proc is None:
            where = "first run" if run.point is None else f"run of {run.point}"
            raise RuntimeError(
                f"{self._call}: the {where} started no child: spawn it inside `with run:` with "
                "spawn(..., signal_anywhere=run)"
            )
        with proc._watch.read() as state:
            if state.points_confirmed < len(state.points):
                self._child_unconfirmed = (len(state.points), state.points_confirmed, state.channel_fd)
            return list(state.points), state.aimed

    def _hit(self) -> None:
        __tracebackhide__ = True
        observer, signum, state = self._guard.observer, self._signum, self._run_state
        if observer.underneath(signum) not in ("handler", "loop"):
            state["handler"] = False  # no Python handler here: not delivered
            return
        state["sent"] = True
        observer.frame_at_point = program_frame()
        try:
            delivery = self._sender(signum, via="raise", timeout=self._guard.settings.timeout)
        except BaseException as exc:
            state["raised"] = exc
            raise
        finally:
            observer.frame_at_point = None
        state["blocked"] = delivery.outcome == "blocked"
        state["delivery"] = delivery

    def exit(self, run: SignalRun, exc: BaseException | None) -> bool:
        __tracebackhide__ = True
        self._tracer.stop()
        if run.point is None:
            if exc is not None:
                if isinstance(exc, Exception) and hasattr(exc, "add_note"):
                    exc.add_note("(signal_anywhere: the first run, with no signal, failed: it must pass alone)")
                return False
            assert self._start is not None
            if self.within_child is not None:
                self._child_points = self._child_state(run)[0]
                assert self.child is not None
                self._child_running = self.child.is_alive()  # its points so far only
            observer = self._guard.observer
            self._plain = Baseline.capture(observer)  # what one plain run leaves: the guard judges that
            self._start.rewind(observer, self._signum)
            return False
        if self._one_run is not None:
            self._one_run.close()
        assert self._start is not None
        state, signum = self._run_state, self._signum
        notes, pending = self._start.rewind(self._guard.observer, signum)
        delivery = state["delivery"]
        stale = getattr(delivery, "outcome", None) == "queued"  # the loop never ran the handler in this run
        if stale:
            drain_loop_wakeup(running_loop())
        if isinstance(exc, (pytest.exit.Exception, pytest.skip.Exception, pytest.xfail.Exception)):
            return False
        if isinstance(exc, KeyboardInterrupt) and not self._guard.caused_by_test(exc):
            return False  # a real Ctrl-C: the session stops
        if exc is not None:
            events = tuple(str(e) for e in self._guard.log.since(self._mark))  # a failure's timeline
            error = describe_error(exc, by_handler=exc is state["raised"])
            run.outcome = Outcome(run.point, "failed", error, tuple(notes), events)
            if self._first is None:
                self._first = exc
                self._first_events = self._guard.log.since(self._mark)
            return True
        if self.within_child is not None:
            aimed = self._child_state(run)[1]
            outcome = "unreached" if aimed is None else "deferred" if aimed == "blocked" else "passed"
        elif not self._tracer.reached:
            outcome = "unreached"
        elif not state["handler"] or stale:
            outcome = "not delivered"
        elif state["blocked"]:
            outcome = "not delivered" if pending else "deferred"
        else:
            outcome = "passed"
        run.outcome = Outcome(run.point, outcome, None, tuple(notes))
        return True

    # -- all the runs ------------------------------------------------------------------

    def runs(self) -> Iterator[SignalRun]:
        __tracebackhide__ = True
        with self._tracer if self.within_child is None else contextlib.nullcontext():
            counting = SignalRun(self, None)
            yield counting
            if not counting.done:
                raise RuntimeError("signal_anywhere: run each run in `with run:` (the first one was not entered)")
            try:
                yield from self._aimed()
            finally:
                if self._plain is not None:
                    self._plain.settle(self._guard.observer)

    def _aimed(self) -> Iterator[SignalRun]:
        __tracebackhide__ = True
        assert self._start is not None
        if self.within_child is not None:
            self._check_child_count()
            yield from self._aim(self._child_points_and_keys())
            return
        counted = self._counted
        assert counted is not None
        total = len(counted)
        points = [
            SignalPoint(code.co_filename, line, _qualname(code), k + 1, total, counted.offsets[k] >= 0)
            for k, (code, line) in enumerate(counted.lines)
        ]
        yield from self._aim([(p, counted.lines[k][0], counted.offsets[k], None) for k, p in enumerate(points)])

    def _check_child_count(self) -> None:
        """The first run's child said within= returned after the last point
        it reported: else its count may be cut short, and no run is trusted."""
        __tracebackhide__ = True
        unconfirmed, self._child_unconfirmed = self._child_unconfirmed, None
        if self._child_running:
            pytest.fail(
                f"{self._call}: the first run's child (pid {getattr(self.child, 'pid', '?')}) was still running "
                "at the end of the first run, so its count may be cut short: wait for it inside `with run:`.",
                pytrace=False,
            )
        if unconfirmed is None:
            return
        reported, confirmed, fd = unconfirmed
        channel = f"fd {fd}" if fd is not None else "its fd"
        pytest.fail(
            f"{self._call}: the first run's child reported {reported} point(s), but not that within= returned "
            f"after the last {reported - confirmed} of them: it closed the plugin's channel ({channel}, as "
            "os.closerange(3, ...) does) or ended inside within= (os._exit, a signal), so the points after those "
            "are unknown and no run would be a proof. Name a function that returns, or leave the channel open.",
            pytrace=False,
        )

    def _child_points_and_keys(self) -> list[tuple[SignalPoint, CodeType | None, int, tuple[str, int, str] | None]]:
        total = len(self._child_points)
        return [
            (SignalPoint(file, line, qualname, k + 1, total, False), None, -1, (file, first, name))
            for k, (file, first, name, qualname, line) in enumerate(self._child_points)
        ]

    def _aim(
        self, planned: list[tuple[SignalPoint, CodeType | None, int, tuple[str, int, str] | None]]
    ) -> Iterator[SignalRun]:
        __tracebackhide__ = True
        total = len(planned)
        points = [p for p, _, _, _ in planned]
        if not total:
            where = "the child's " if self.within_child is not None else ""
            call_it = (
                "Is it a function the child runs, named as the child imports its module "
                "(a script by its name without .py)?"
                if self.within_child is not None
                else "Call it inside `with run:`."
            )
            pytest.fail(
                f"{self._call} found no point: within= never ran, or ran no line of code in scope, in {where}first "
                f"run. {call_it}",
                pytrace=False,
            )
        seed = None
        if self._only is not None:
            if self._only > total:
                raise ValueError(f"{self._call}: only={self._only}, but there are {total} point(s)")
            chosen = [self._only - 1]
        else:
            if total > self._max:
                seed = self._seed if self._seed is not None else zlib.crc32(self._guard.nodeid.encode())
            chosen = select_points(total, self._max, random.Random(seed))
        outcomes: dict[int, Outcome] = {}
        deadline = monotonic() + self._limit
        limited = False
        for index in chosen:
            if monotonic() > deadline:
                limited = True
                break
            point, code, offset, key = planned[index]
            run = SignalRun(self, point, code, offset)
            run._child_key = key
            yield run
            if not run.done:
                raise RuntimeError(f"signal_anywhere: {run!r} was not entered: run each run in `with run:`")
            assert run.outcome is not None
            outcomes[index] = run.outcome
        every = tuple(outcomes.get(i) or Outcome(p, "not explored") for i, p in enumerate(points))
        root = str(self._item.config.rootpath) if self._item is not None else None
        summary = Summary(self._signum, self._tracer.backend, points, every, seed, self._only, limited, root)
        first, self._first = self._first, None
        if first is not None:
            reproduce = self._call[:-1] + ", only={k})"
            failure = SignalAnywhereFailure(failure_message(summary, reproduce), every)
            raise self._guard.log.failure(failure, events=self._first_events) from first
        if self._item is not None:
            if shows_passed_output(self._item.config):
                self._item.add_report_section("call", "signal anywhere", summary.listing())
            self._item.user_properties.append(("signal_anywhere", summary.line()))


class SignalAnywhere:
    """Delivers a signal at every point of the code under test, one run each.

    The ``signal_anywhere`` fixture is an instance; call it and run the
    scenario in each run::

        def test_transfer_survives_ctrl_c_anywhere(signal_anywhere):
            for run in signal_anywhere(signal.SIGINT, within=Bank.transfer):
                with run:
                    bank = Bank(a=100, b=0)
                    with contextlib.suppress(KeyboardInterrupt):
                        bank.transfer("a", "b", 10)
                    assert bank.total() == 100
    """

    def __init__(self, guard: SignalGuard, item: pytest.Item | None = None, *, backend: str | None = None) -> None:
        self._guard = guard
        self._item = item
        self._backend = backend  # "sys.settrace" forces that backend on 3.12+ (tests, benchmarks)

    def __repr__(self) -> str:
        return f"<signal_anywhere fixture of {self._guard.nodeid}>"

    def __call__(
        self,
        sig: object,
        *,
        within: object,
        include: object = None,
        exclude: object = None,
        max_points: int = DEFAULT_MAX_POINTS,
        seed: int | None = None,
        only: int | None = None,
        time_limit: float = DEFAULT_TIME_LIMIT,
    ) -> Iterator[SignalRun]:
        """The runs: the first delivers nothing and counts the points, each
        later one delivers *sig* at one point. Run the scenario in ``with run:``.

        Args:
            sig: ``signal.Signals``, a number or a name (``"SIGINT"``, ``"INT"``).
            within: the function or method explored: its lines, and those of
                the project's code it calls, are the points. A string
                ``"module:function"`` names a function of a spawned child
                instead: pass each run to ``spawn(..., signal_anywhere=run)``.
            include: files, folders or modules whose lines count too (the
                standard library and installed packages do not by default).
            exclude: files, folders or modules whose lines never count.
            max_points: explore every point when there are at most this many
                (default 200); otherwise a sample, drawn with *seed*.
            seed: the sample's seed; by default one derived from the test's
                id, and printed.
            only: explore point k only (as a failure names it: "point k of N").
            time_limit: seconds for all the runs; points not reached by then
                are reported "not explored".

        Raises:
            SignalAnywhereFailure: after the last run, when a run failed.
            pytest.fail.Exception: no point (within= never ran).
            ValueError, TypeError: a bad argument.
        """
        __tracebackhide__ = True
        signum = resolve_signal(sig)
        name = signal_name(signum)
        if signum in (signal.SIGKILL, signal.SIGSTOP):
            raise ValueError(f"signal_anywhere({name}): {name} cannot be caught, so no handler can run")
        in_child = child_within(within) if isinstance(within, str) else None
        codes = frozenset() if in_child is not None else within_codes(within)
        scope = Scope(include, exclude)
        max_points = check_max_points(max_points)
        seed = check_seed(seed)
        only = check_only(only)
        time_limit = check_time_limit(time_limit)
        self._guard.check_active("signal_anywhere")
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("signal_anywhere delivers in the main thread, where Python runs handlers: call it there")
        target = repr(within) if in_child is not None else getattr(within, "__qualname__", repr(within))
        call = f"signal_anywhere({name}, within={target})"
        exploration = _Exploration(
            self._guard,
            self._item,
            signum,
            codes,
            scope,
            max_points,
            seed,
            only,
            time_limit,
            self._backend,
            call,
            in_child,
        )
        return exploration.runs()
