"""What the test side knows of how a child ended.

A status the plugin cannot know is never invented. The kernel hands a child's
exit status to one waiter only: when something else took it (code under test
that reaps with ``waitpid(-1)``, or sets SIGCHLD to ``SIG_IGN`` so that the
kernel discards it), or when the fork server's template that was the child's
parent died before reporting it, the child's ``returncode`` stays ``None``,
``status_unknown`` says why, and the log's ``exited`` event has no code.
"""

from __future__ import annotations


class StatusUnknown(Exception):
    """Raised by a status source (a waiter, the fork server) that cannot know
    how a child ended. ``str(exc)`` is the reason, for people."""
