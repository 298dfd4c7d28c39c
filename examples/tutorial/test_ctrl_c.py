"""test_ctrl_c.py: the command-line loop stops cleanly on Ctrl-C."""

import signal

import pytest
from worker import main


def test_ctrl_c_stops_the_loop(send_signal, signal_log):
    done = []

    def do_job(job):
        if job == "c":
            send_signal(signal.SIGINT)  # KeyboardInterrupt here, as a Ctrl-C would raise it
        done.append(job)

    assert main(["a", "b", "c", "d"], do_job) == 130
    assert done == ["a", "b"]
    signal_log.assert_keyboard_interrupt()


def test_ctrl_c_is_a_keyboard_interrupt(send_signal):
    with pytest.raises(KeyboardInterrupt):
        send_signal(signal.SIGINT)
