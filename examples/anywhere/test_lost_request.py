"""SIGHUP at every line of the main loop: no reload request is lost."""

import signal

import pytest
from lost_request import BuggyInbox, Inbox

from pytest_signals import SignalAnywhereFailure


def serve(inbox):
    previous = signal.signal(signal.SIGHUP, inbox.on_sighup)
    try:
        taken = []
        for _ in range(3):
            taken += inbox.take_all()
    finally:
        signal.signal(signal.SIGHUP, previous)
    waiting = inbox.requests
    assert len(taken) + len(waiting) == inbox.received, f"lost: {inbox.received} received, {taken} + {waiting} seen"


@pytest.mark.xfail(raises=SignalAnywhereFailure, strict=True, reason="the bug signal_anywhere finds")
def test_buggy_inbox(signal_anywhere):
    signal_anywhere(signal.SIGHUP, lambda: serve(BuggyInbox()))


def test_inbox(signal_anywhere, signal_log):
    exploration = signal_anywhere(signal.SIGHUP, lambda: serve(Inbox()))
    # One SIGHUP per explored point, each handled by the inbox:
    signal_log.assert_handled(signal.SIGHUP, times=len(exploration.explored), by="on_sighup")
