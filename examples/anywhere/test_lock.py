"""Ctrl-C at every line of a job: the lock is never left held."""

import contextlib
import signal

import pytest
from lock import BuggyWorker, Worker

from pytest_signals import SignalAnywhereFailure


@pytest.mark.xfail(raises=SignalAnywhereFailure, strict=True, reason="the bug signal_anywhere finds")
def test_buggy_worker(signal_anywhere):
    for run in signal_anywhere(signal.SIGINT, within=BuggyWorker.run_job):
        with run:
            worker = BuggyWorker()
            with contextlib.suppress(KeyboardInterrupt):
                worker.run_job()
            assert not worker.lock.locked(), "the lock is still held after the Ctrl-C"


def test_worker(signal_anywhere):
    for run in signal_anywhere(signal.SIGINT, within=Worker.run_job):
        with run:
            worker = Worker()
            with contextlib.suppress(KeyboardInterrupt):
                worker.run_job()
            assert not worker.lock.locked(), "the lock is still held after the Ctrl-C"
