"""A handler that queues requests for the main loop, and a loop that loses one.

The SIGHUP handler appends a "reload" request; the main loop takes all the
requests waiting. BuggyInbox.take_all copies the list and then clears it: a
SIGHUP between the two appends to the list after the copy was made, and the
clear throws its request away. The reload never happens.

Inbox.take_all swaps in a new list in one assignment: a request appended
before the swap is in the list it returns, one appended after it waits in
the new list for the next call. No moment loses one.
"""

from __future__ import annotations

from types import FrameType


class BuggyInbox:
    def __init__(self) -> None:
        self.requests: list[str] = []
        self.received = 0

    def on_sighup(self, signum: int, frame: FrameType | None) -> None:
        self.received += 1
        self.requests.append("reload")

    def take_all(self) -> list[str]:
        taken = list(self.requests)
        self.requests.clear()  # <- unsafe: a request queued just before this line is thrown away
        return taken


class Inbox(BuggyInbox):
    def take_all(self) -> list[str]:
        taken, self.requests = self.requests, []
        return taken
