"""Ctrl-C handling in a command-line loop, with a real SIGINT."""

import signal

import pytest


def main(on_tick) -> str:
    """A CLI main loop: KeyboardInterrupt means "stop cleanly"."""
    try:
        for tick in range(10):
            on_tick(tick)
        return "finished"
    except KeyboardInterrupt:
        return "interrupted"


def test_ctrl_c_stops_the_loop_cleanly(send_signal, signal_log):
    def on_tick(tick):
        if tick == 3:
            send_signal(signal.SIGINT)  # raises KeyboardInterrupt here, like a Ctrl-C

    assert main(on_tick) == "interrupted"
    signal_log.assert_keyboard_interrupt()


def test_uncaught_ctrl_c(send_signal):
    with pytest.raises(KeyboardInterrupt):
        send_signal("INT")


def test_a_custom_sigint_handler(send_signal, signal_log):
    presses = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: presses.append(signum))
    try:
        send_signal(signal.SIGINT)
        send_signal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert presses == [signal.SIGINT, signal.SIGINT]
    signal_log.assert_handled("SIGINT", times=2, by="<lambda>")
