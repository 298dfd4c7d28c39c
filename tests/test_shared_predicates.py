"""The test process and a child answer "is this the program's handler?" the
same way: the predicates live in one stdlib-only module both import."""

from __future__ import annotations

import pytest

from pytest_signals import _compat
from pytest_signals._remote import predicates


class _FakeUvloopLoop:
    """Shaped as uvloop's Loop: a bound method named ``__sighandler`` of an object from ``uvloop``."""

    def _sighandler(self, signum: int, frame: object) -> None:
        pass


_FakeUvloopLoop.__module__ = "uvloop.loop"
_FakeUvloopLoop._sighandler.__name__ = "__sighandler"


def test_one_predicate_for_both_sides() -> None:
    assert _compat.is_loop_noop is predicates.is_loop_noop
    assert predicates.is_loop_noop(_FakeUvloopLoop()._sighandler)
    assert not predicates.is_loop_noop(lambda s, f: None)
    assert not predicates.is_loop_noop(0)
    assert not predicates.is_loop_noop(None)


def test_own_handlers_and_what_they_stand_for() -> None:
    from pytest_signals._inproc.observe import SignalObserver

    def program(signum: int, frame: object) -> None:
        pass

    def wrapper(signum: int, frame: object) -> None:
        pass

    wrapper.__module__ = "pytest_signals._inproc.observe"
    wrapper.__wrapped__ = program  # type: ignore[attr-defined]
    assert predicates.is_own(wrapper)
    assert not predicates.is_own(program)
    assert predicates.own_meaning(wrapper) is program
    assert predicates.own_meaning(SignalObserver._guard) == 0  # SIG_DFL
    assert not predicates.is_own(0)
    assert not predicates.is_own(1)
    program.__module__ = "pytest_signals_demo"  # a user's package with a similar name is not ours
    assert not predicates.is_own(program)


def test_child_leaves_uvloop_internal_handler_out_as_the_test_process_does(pytester: pytest.Pytester, run) -> None:
    pytest.importorskip("uvloop")
    pytester.makepyfile(
        app="""
        import asyncio, signal, uvloop

        async def main():
            loop = asyncio.get_running_loop()
            done = asyncio.Event()
            loop.add_signal_handler(signal.SIGTERM, done.set)
            print("ready", signal.getsignal(signal.SIGTERM).__name__, flush=True)
            await done.wait()

        uvloop.run(main())
        """
    )
    pytester.makepyfile(
        test_it="""
        import asyncio, os, signal, uvloop

        def handlers(events):
            return sorted({e.handler for e in events if e.kind == "installed" and e.handler})

        def test_same(spawn, send_signal, signal_log):
            async def main():
                asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, lambda: None)
            uvloop.run(main())
            here = handlers(e for e in signal_log if e.pid == os.getpid())
            proc = spawn("app.py")
            proc.wait_for_handler(signal.SIGTERM)  # the loop's handler is in
            proc.expect("ready _Loop__sighandler\\n")  # getsignal: uvloop's own, as without the plugin
            # uvloop's loop cannot be patched: its handler's call answers the delivery.
            assert send_signal(signal.SIGTERM, to=proc).wait().outcome == "handled"
            assert proc.wait() == 0, proc.output
            there = handlers(signal_log.filter(process=proc))
            assert not [h for h in here + there if "sighandler" in h], signal_log.timeline()
        """
    )
    run().assert_outcomes(passed=1)
