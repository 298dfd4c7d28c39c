"""Large suites: a finished test's signal state is released (issue: a test costs
the same at the 10,000th as at the first). Figures are in bench/bench_long_session.py."""

from __future__ import annotations

import pytest


def test_a_finished_tests_guard_and_log_are_collectable(pytester: pytest.Pytester, run) -> None:
    pytester.makepyfile(
        """
        import gc, signal, sys, weakref
        import pytest

        REFS = {}

        def on_usr1(signum, frame):
            pass

        def test_sends(request, send_signal, signal_log):
            previous = signal.signal(signal.SIGUSR1, on_usr1)
            delivery = send_signal(signal.SIGUSR1)
            signal.signal(signal.SIGUSR1, previous)
            REFS["log"] = weakref.ref(signal_log)
            REFS["guard"] = weakref.ref(request.getfixturevalue("_signal_guard"))
            REFS["delivery"] = weakref.ref(delivery)

        def test_spawns(request, spawn, signal_log):
            proc = spawn([sys.executable, "-c", "pass"])
            assert proc.wait() == 0
            REFS["spawned log"] = weakref.ref(signal_log)
            REFS["process"] = weakref.ref(proc)

        @pytest.mark.sends_signal(signal.SIGUSR2)
        def test_marked(request):
            REFS["marked guard"] = weakref.ref(request.getfixturevalue("_signal_guard"))

        def test_after():
            gc.collect()
            alive = sorted(name for name, ref in REFS.items() if ref() is not None)
            assert len(REFS) == 6 and alive == []
        """
    )
    run().assert_outcomes(passed=4)
