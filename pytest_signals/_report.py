"""The signal coverage report (``--signal-report``): which signals the tests
sent, how they were received, and which installed handlers no test ever
delivered a signal to.

One :class:`SignalReport` per pytest process. Under xdist each worker hands its
report to the controller as plain data (``to_data``/``merge``), and the
controller prints the combined summary.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ._events import SignalEvent
from ._signals import resolve_signal, signal_name

# How a signal can be received, in the order the report prints them.
RECEIVED = (
    ("handled", "handled"),
    ("ignored", "ignored"),
    ("default", "default action"),
    ("keyboard_interrupt", "KeyboardInterrupt"),
)

# Handlers that are not the code under test's: dispositions, and the Ctrl-C
# handling asyncio.Runner and trio install for themselves.
_NOT_CODE_UNDER_TEST = (
    "SIG_DFL",
    "SIG_IGN",
    "default_int_handler",
    "<installed from C>",
    "asyncio.runners.",
    "partial(asyncio.runners.",
    "trio._core.",
)


def _is_code_under_test(handler: str) -> bool:
    return not any(handler == p or handler.startswith(p) for p in _NOT_CODE_UNDER_TEST)


@dataclass
class _SignalLine:
    sent_by: set[str] = field(default_factory=set)
    received: dict[str, int] = field(default_factory=dict)


@dataclass
class SignalReport:
    """Counts gathered over a run. Plain data, so that xdist can carry it."""

    signals: dict[str, _SignalLine] = field(default_factory=dict)
    # (signal, handler) -> the tests that installed it
    installed: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    exercised: set[tuple[str, str]] = field(default_factory=set)
    tests: int = 0

    def add_test(self, nodeid: str, events: Iterable[SignalEvent]) -> None:
        """Count what one test's log observed."""
        self.tests += 1
        events = list(events)
        # A child killed by a signal the test sent to it met that signal's default
        # action; one stopped at teardown did not receive anything the test sent.
        sent_to = {(e.signal, e.target) for e in events if e.kind == "sent" and e.target is not None}
        for event in events:
            if event.signal is None:
                continue
            name = signal_name(event.signal)
            kind = event.kind
            if kind == "exited" and (event.signal, event.pid) in sent_to:
                kind = "default"
            if kind == "sent":
                self._line(name).sent_by.add(nodeid)
            elif kind == "installed" and event.handler and _is_code_under_test(event.handler):
                self.installed.setdefault((name, event.handler), set()).add(nodeid)
            elif kind in dict(RECEIVED):
                received = self._line(name).received
                received[kind] = received.get(kind, 0) + 1
                if event.kind == "handled" and event.handler:
                    self.exercised.add((name, event.handler))

    def _line(self, name: str) -> _SignalLine:
        return self.signals.setdefault(name, _SignalLine())

    # -- xdist ----------------------------------------------------------------------

    def to_data(self) -> dict[str, Any]:
        """Lists, dicts, strings and ints only (what execnet can carry)."""
        return {
            "tests": self.tests,
            "signals": {
                name: {"sent_by": sorted(line.sent_by), "received": dict(line.received)}
                for name, line in self.signals.items()
            },
            "installed": [[sig, handler, sorted(nodes)] for (sig, handler), nodes in self.installed.items()],
            "exercised": sorted([sig, handler] for sig, handler in self.exercised),
        }

    def merge(self, data: dict[str, Any]) -> None:
        """Add a report that :meth:`to_data` produced (in a worker)."""
        self.tests += int(data["tests"])
        for name, line in data["signals"].items():
            mine = self._line(name)
            mine.sent_by.update(line["sent_by"])
            for kind, count in line["received"].items():
                mine.received[kind] = mine.received.get(kind, 0) + int(count)
        for sig, handler, nodes in data["installed"]:
            self.installed.setdefault((sig, handler), set()).update(nodes)
        self.exercised.update((sig, handler) for sig, handler in data["exercised"])

    # -- the summary ------------------------------------------------------------------

    def never_exercised(self) -> list[tuple[str, str, list[str]]]:
        """``(signal, handler, tests that installed it)`` for handlers no signal reached."""
        return sorted(
            (sig, handler, sorted(nodes))
            for (sig, handler), nodes in self.installed.items()
            if (sig, handler) not in self.exercised
        )

    def lines(self) -> list[str]:
        if not self.signals and not self.installed:
            return [f"no signal activity in the {self.tests} test(s) that used pytest-signals"]
        header = ["signal", "sent by", *(label for _, label in RECEIVED)]
        rows = [header]
        for name in sorted(self.signals, key=_signal_order):
            line = self.signals[name]
            tests = len(line.sent_by)
            rows.append(
                [name, f"{tests} test{'s' if tests != 1 else ''}"]
                + [str(line.received.get(kind, 0)) for kind, _ in RECEIVED]
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        out = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
        unexercised = self.never_exercised()
        if unexercised:
            out.append("")
            out.append("installed but never exercised (no test delivered the signal to them):")
            for sig, handler, nodes in unexercised:
                more = f" and {len(nodes) - 1} more" if len(nodes) > 1 else ""
                out.append(f"  {sig}: {handler} (installed in {nodes[0]}{more})")
        return out


def _signal_order(name: str) -> tuple[int, str]:
    try:
        return int(resolve_signal(name)), name
    except ValueError:
        return 1 << 16, name
