"""test_worker.py: the worker stops on a real SIGTERM."""

import signal

import pytest
from worker import Worker


@pytest.fixture
def worker():
    worker = Worker()
    previous = worker.install()
    yield worker
    signal.signal(signal.SIGTERM, previous)


def test_sigterm_stops_the_worker(worker, send_signal, signal_log):
    delivery = send_signal(signal.SIGTERM)  # returns after the handler ran

    assert delivery.handled
    worker.run(["a", "b"])
    assert worker.done == []
    signal_log.assert_handled(signal.SIGTERM, times=1, by=Worker.on_sigterm)


def test_without_a_signal_every_job_runs(worker):
    worker.run(["a", "b"])
    assert worker.done == ["a", "b"]
