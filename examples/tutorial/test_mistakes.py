"""test_mistakes.py: two mistakes, each of which fails its own test.

Without pytest-signals the first would kill pytest and the second would end
the session as if you had pressed Ctrl-C.
"""

import signal


def test_forgot_the_handler(send_signal):
    send_signal(signal.SIGTERM)  # nobody installed a SIGTERM handler


def test_ctrl_c_escapes(send_signal):
    send_signal(signal.SIGINT)  # nobody catches the KeyboardInterrupt
