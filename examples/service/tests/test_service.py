"""The worker, spawned by its module name (found in src/ through the
``pythonpath`` setting, as the tests find it), stopped by SIGTERM; and what a
shutdown that hangs looks like."""

import os
import signal
import sys

import pytest
from svc.jobs import run_job

from pytest_signals import WaitFailed


def test_a_job_counts_words(tmp_path):  # in the test process: svc comes from src/
    (tmp_path / "job.txt").write_text("three little words")
    assert run_job(str(tmp_path / "job.txt")) == 3


def test_sigterm_lets_the_running_job_finish(spawn, send_signal, signal_log, tmp_path):
    (tmp_path / "job.txt").write_text("three little words")
    proc = spawn("svc.worker")  # python -m svc.worker, with the test's import path
    proc.expect("ready")
    proc.write(f"{tmp_path / 'job.txt'}\n")
    proc.expect("job.txt: 3 words")

    send_signal(signal.SIGTERM, to=proc).wait()  # returns once on_sigterm ran in the child

    assert proc.wait() == 0
    proc.expect("stopped cleanly")
    # The same name as in the test process, not __main__.on_sigterm.
    signal_log.assert_handled(signal.SIGTERM, times=1, by="svc.worker.on_sigterm", process=proc)


@pytest.mark.skipif(sys.platform != "linux", reason="a stuck child shows its stacks on Linux")
def test_a_shutdown_that_hangs_shows_where(spawn, send_signal, tmp_path):
    stuck = tmp_path / "stuck"
    os.mkfifo(stuck)  # nobody ever writes it: the job's input never comes
    proc = spawn("svc.worker")
    proc.expect("ready")
    proc.write(f"{stuck}\n")
    proc.expect(f"started {stuck}")
    send_signal(signal.SIGTERM, to=proc).wait()
    proc.expect("stopping")

    with pytest.raises(WaitFailed) as hung:
        proc.wait(timeout=1)  # uncaught, this fails the test with the message below

    message = str(hung.value)
    assert "in wait_for_jobs" in message  # the main thread, in the shutdown
    assert 'jobs.py", line 5 in load' in message  # the worker, in the job that never ends
    proc.stop(grace=0)  # teardown would stop it too, after a grace period
