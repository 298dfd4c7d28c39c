"""Turning a signal's fatal effect into one failed test.

Each phase (setup, call, teardown) runs inside :class:`phase`, entered by the
plugin's innermost hook wrappers. When the phase ends, it looks for the test's
guard in the item's stash: a guard started however the fixture was reached
(requested by name, through ``request.getfixturevalue`` in a pytest-bdd step,
a doctest's ``getfixture``) is found there. A ``KeyboardInterrupt`` the test
caused, or a default action the code under test swallowed, then fails that
test, and the phase's events land in the report as a "signal timeline"
section. For a test that does not use the plugin this is one stash lookup per
phase.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

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
        guard = self.item.stash.get(GUARD_KEY, None)
        if guard is not None and self.when == "call":
            guard.body_started()

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        __tracebackhide__ = True
        guard = self.item.stash.get(GUARD_KEY, None)
        if guard is None:
            return
        if self.when == "call":
            guard.body_ended()
        failed = exc is not None
        try:
            if isinstance(exc, KeyboardInterrupt) and guard.caused_by_test(exc):
                if guard.runner_interrupted:  # asyncio's internals add nothing
                    raise pytest.fail.Exception(keyboard_interrupt_message(runner=True)) from None
                # The KeyboardInterrupt's own traceback: the test's line, then the code that
                # raised it (the plugin's frames are hidden); not a chain ending in a hook.
                raise pytest.fail.Exception(keyboard_interrupt_message()).with_traceback(exc.__traceback__) from None
            deaths = guard.unreported_deaths()  # an exception in flight reports them
            if deaths and exc is None:
                failed = True
                pytest.fail("\n".join(deaths), pytrace=False)
        finally:
            if self.timeline:
                add_timeline_section(self.item, guard, self.when, failed, shown=guard.log.shows_timeline(exc))


def protected(item: pytest.Item, when: str, timeline: bool = True) -> Generator[None, object, object]:
    """The body of the plugin's hook wrapper for one phase (``yield from`` it).
    For a test without a guard: two stash lookups, nothing else."""
    __tracebackhide__ = True
    stash = item.stash
    if GUARD_KEY in stash:
        phase(item, when, timeline).__enter__()
    try:
        result = yield
    except BaseException as exc:
        if GUARD_KEY in stash:
            phase(item, when, timeline).__exit__(type(exc), exc, exc.__traceback__)
        raise
    if GUARD_KEY in stash:
        phase(item, when, timeline).__exit__(None, None, None)
    return result


def shows_passed_output(config: pytest.Config) -> bool:
    """``-rP``/``-rA``: the user reads the sections of passing tests too."""
    chars = str(getattr(config.option, "reportchars", "") or "")
    return "P" in chars or "A" in chars


def add_timeline_section(item: pytest.Item, guard: SignalGuard, when: str, failed: bool, shown: bool = False) -> None:
    """Add the events of this phase to the item's report sections: for a phase
    that failed, or when passing tests' output is shown (pytest keeps every
    item's sections for the whole session). Not when the failure's own message
    has the whole timeline already (*shown*: an assertion helper's)."""
    text = guard.take_phase_timeline(text=(failed or shows_passed_output(item.config)) and not shown)
    if text:
        item.add_report_section(when, "signal timeline", text)
