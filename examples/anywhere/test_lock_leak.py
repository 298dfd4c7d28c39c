"""Ctrl-C at every line of a transfer: the lock is released and no money is lost.

SIGINT has Python's default handler from the start, so every line the body
runs would be a point; ``within=`` keeps them to the transfer.
"""

import signal

import pytest
from lock_leak import BuggyLedger, Ledger

from pytest_signals import SignalAnywhereFailure


def pay_three_times(ledger, handler):
    previous = signal.signal(signal.SIGINT, handler)
    try:
        for _ in range(3):
            ledger.transfer("alice", "bob", 10)
    except KeyboardInterrupt:
        pass  # a Ctrl-C stops the payments; what matters is the state it leaves
    finally:
        signal.signal(signal.SIGINT, previous)
    assert not ledger.lock.locked(), "the lock is still held after the Ctrl-C"
    assert sum(ledger.balances.values()) == 100, f"money lost: {ledger.balances}"


@pytest.mark.xfail(raises=SignalAnywhereFailure, strict=True, reason="the bug signal_anywhere finds")
def test_buggy_ledger(signal_anywhere):
    def body():
        pay_three_times(BuggyLedger(), signal.default_int_handler)

    signal_anywhere(signal.SIGINT, body, within=BuggyLedger.transfer)


def test_ledger(signal_anywhere):
    def body():
        ledger = Ledger()
        pay_three_times(ledger, ledger.on_sigint)

    exploration = signal_anywhere(signal.SIGINT, body, within=Ledger.transfer)
    assert exploration.lines == 4  # every line of transfer() that runs: the `raise` never does
