"""Turning a signal's fatal effect into one failed test.

Only items that use the plugin are touched: their ``setup`` and ``runtest``
are wrapped (instance attributes) so that a ``KeyboardInterrupt`` the test
caused, or a default action the code under test swallowed, fails that test,
and the phase's events land in the report as a "signal timeline" section.
Tests that do not use the plugin pay nothing per test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .guard import SignalGuard

GUARD_KEY = pytest.StashKey["SignalGuard"]()


def keyboard_interrupt_message(runner: bool = False) -> str:
    if runner:
        return (
            "The SIGINT this test sent reached asyncio.Runner's own SIGINT handler (pytest-asyncio "
            "runs each async test in a Runner): it cancelled the test's task and raised "
            "KeyboardInterrupt, which would have ended the whole pytest session; it fails only this "
            "test. To test that behaviour, run the code in a child: spawn(...) and "
            "send_signal(SIGINT, to=proc); or install a SIGINT handler in the code under test."
        )
    return (
        "KeyboardInterrupt from a SIGINT that this test sent to its own process escaped the test. "
        "Without pytest-signals it would have ended the whole pytest session; it fails only this "
        "test. Expect it with pytest.raises(KeyboardInterrupt), install a SIGINT handler in the "
        "code under test, or run the code in a child process."
    )


class phase:
    """Run one phase of *item* under the plugin's protection."""

    def __init__(self, item: pytest.Item, when: str, timeline: bool = True) -> None:
        self.item, self.when, self.timeline = item, when, timeline

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        __tracebackhide__ = True
        guard = self.item.stash.get(GUARD_KEY, None)
        if guard is None:
            return
        try:
            if isinstance(exc, KeyboardInterrupt) and guard.caused_by_test(exc):
                if guard.runner_interrupted:  # asyncio's internals add nothing
                    raise pytest.fail.Exception(keyboard_interrupt_message(runner=True)) from None
                raise pytest.fail.Exception(keyboard_interrupt_message()) from exc
            deaths = guard.unreported_deaths()  # an exception in flight reports them
            if deaths and exc is None:
                pytest.fail("\n".join(deaths), pytrace=False)
        finally:
            if self.timeline:
                add_timeline_section(self.item, guard, self.when)


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
