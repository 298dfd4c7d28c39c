"""Turning a signal's fatal effect into one failed test.

Only items that use the plugin are touched: their ``setup`` and ``runtest``
are wrapped (instance attributes) so that a ``KeyboardInterrupt`` the test
caused, or a default action the code under test swallowed, fails that test,
and the phase's events land in the report as a "signal timeline" section.
Tests that do not use the plugin pay nothing per test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._guard import SignalGuard

GUARD_KEY = pytest.StashKey["SignalGuard"]()


def keyboard_interrupt_message() -> str:
    return (
        "KeyboardInterrupt from a SIGINT that this test sent to its own process escaped the test. "
        "Without pytest-signals it would have ended the whole pytest session; it fails only this "
        "test. Expect it with pytest.raises(KeyboardInterrupt), install a SIGINT handler in the "
        "code under test, or run the code in a child process."
    )


@contextmanager
def phase(item: pytest.Item, when: str, timeline: bool = True) -> Iterator[None]:
    """Run one phase of *item* under the plugin's protection."""
    __tracebackhide__ = True
    try:
        yield
    except KeyboardInterrupt as exc:
        guard = item.stash.get(GUARD_KEY, None)
        if guard is not None and guard.caused_by_test(exc):
            raise pytest.fail.Exception(keyboard_interrupt_message()) from exc
        raise
    except BaseException:
        guard = item.stash.get(GUARD_KEY, None)
        if guard is not None:
            guard.unreported_deaths()  # this failure reports them
        raise
    else:
        guard = item.stash.get(GUARD_KEY, None)
        deaths = guard.unreported_deaths() if guard is not None else []
        if deaths:
            pytest.fail("\n".join(deaths), pytrace=False)
    finally:
        guard = item.stash.get(GUARD_KEY, None)
        if guard is not None and timeline:
            add_timeline_section(item, guard, when)


def add_timeline_section(item: pytest.Item, guard: SignalGuard, when: str) -> None:
    """Add the events of this phase to the item's report sections."""
    text = guard.take_phase_timeline()
    if text:
        item.add_report_section(when, "signal timeline", text)


def protect(item: pytest.Item) -> None:
    """Wrap *item*'s setup and call (once)."""
    if getattr(item, "_pytest_signals_protected", False):
        return
    setup: Callable[[], Any] = item.setup
    runtest: Callable[[], Any] = item.runtest

    def guarded_setup() -> None:
        __tracebackhide__ = True
        with phase(item, "setup"):
            setup()

    def guarded_runtest() -> None:
        __tracebackhide__ = True
        with phase(item, "call"):
            runtest()

    item.setup = guarded_setup  # type: ignore[method-assign]
    item.runtest = guarded_runtest  # type: ignore[method-assign]
    item._pytest_signals_protected = True  # type: ignore[attr-defined]
