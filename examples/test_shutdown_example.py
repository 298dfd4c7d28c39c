"""Graceful shutdown on SIGTERM, tested with a real signal in the test process."""

import signal

import pytest
from shutdown import Worker


@pytest.fixture
def worker():
    worker = Worker()
    worker.install()
    yield worker
    worker.uninstall()


def test_sigterm_stops_the_worker(worker, send_signal, signal_log):
    delivery = send_signal(signal.SIGTERM)  # returns after the handler ran

    assert delivery.handled
    assert worker.stopping
    worker.run(["a", "b"])
    assert worker.done == []
    signal_log.assert_handled(signal.SIGTERM, times=1, by=Worker.on_sigterm)


def test_without_a_handler_sigterm_fails_only_this_test(pytester):
    """What happens when the handler is missing: one failed test, not a dead pytest."""
    pytester.makepyfile(
        """
        def test_forgot_the_handler(send_signal):
            send_signal("SIGTERM")
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*SIGTERM reached the test process with its default action*"])
