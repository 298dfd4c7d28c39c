"""Ctrl-C at every line of a transfer: no money is lost (the issue's own test)."""

import contextlib
import signal

import pytest
from bank import Bank, BuggyBank

from pytest_signals import SignalAnywhereFailure


@pytest.mark.xfail(raises=SignalAnywhereFailure, strict=True, reason="the bug signal_anywhere finds")
def test_buggy_transfer_survives_ctrl_c_anywhere(signal_anywhere):
    for run in signal_anywhere(signal.SIGINT, within=BuggyBank.transfer):
        with run:
            bank = BuggyBank(a=100, b=0)
            with contextlib.suppress(KeyboardInterrupt):
                bank.transfer("a", "b", 10)
            assert bank.total() == 100


def test_transfer_survives_ctrl_c_anywhere(signal_anywhere):
    for run in signal_anywhere(signal.SIGINT, within=Bank.transfer):
        with run:
            bank = Bank(a=100, b=0)
            with contextlib.suppress(KeyboardInterrupt):
                bank.transfer("a", "b", 10)
            assert bank.total() == 100
