"""SIGTERM (and sys.exit) at every line of the store: every record stays whole.

The marker makes the test function itself the body: it runs once to count
the points, then once per point, with the same fixture values each time.
"""

import signal

import pytest
from torn_record import BuggyStore, Store, exit_on_sigterm

from pytest_signals import SignalAnywhereFailure


def put_three(store):
    previous = signal.signal(signal.SIGTERM, exit_on_sigterm)
    try:
        for n in range(3):
            store.put(f"key{n}", n)
    except SystemExit:
        pass  # the handler ends the program; what matters is what it leaves behind
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert len(store.keys) == len(store.values), f"torn record: keys {store.keys}, values {store.values}"


@pytest.mark.xfail(raises=SignalAnywhereFailure, strict=True, reason="the bug signal_anywhere finds")
@pytest.mark.signal_anywhere(signal.SIGTERM)
def test_buggy_store():
    put_three(BuggyStore())


@pytest.mark.signal_anywhere(signal.SIGTERM)
def test_store():
    put_three(Store())
