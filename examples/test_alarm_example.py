"""A timeout helper built on signal.alarm, tested without sleeping."""

import signal
import threading

import pytest


class Timeout(Exception):
    pass


def call_with_timeout(func, seconds: float):
    def on_alarm(signum, frame):
        raise Timeout(f"gave up after {seconds}s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return func()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_timeout_fires(signal_log):
    with pytest.raises(Timeout, match=r"gave up after 0\.05s"):
        call_with_timeout(lambda: threading.Event().wait(10), 0.05)  # blocks until the alarm
    signal_log.assert_handled(signal.SIGALRM, times=1)


def test_alarm_delivered_by_send_signal(send_signal):
    def job():
        send_signal(signal.SIGALRM)  # no waiting for a clock: deliver it now

    with pytest.raises(Timeout):
        call_with_timeout(job, 60)
