"""Where a stuck child is shown stuck: the Python stack of each of its threads,
asked for when a bounded wait on it gives up.

How. The child's instrumentation registers faulthandler (in C) for the
highest real-time signal, writing every thread's stack on the instrumentation
channel (``_child._register_stacks``). When a wait on a running instrumented
child fails, the test side sends that signal through the watcher (a pidfd:
never another process), and faulthandler's handler writes the stacks from
inside the child, whatever its threads are doing (a thread stuck in C with the
GIL held included). The text shares the channel with the messages; a US byte
starts a message and never appears in faulthandler's text (it escapes control
characters), so the two are told apart exactly (``_channel.split``).

When the stacks are complete. Nothing in the child can say so: the handler is
C code, and writes no end. The kernel can. While a handler runs, its signal is
in its thread's blocked mask, and it leaves the mask when the handler returns.
So: once the first byte has come (the handler runs: its thread blocks the
signal), the stacks are complete when no thread that did not block the
signal before the request blocks it now and it is no longer pending, and the
channel has nothing unread (the pump reads it under the watcher's lock).
These are read from ``/proc/<pid>/task/*/status``, every 10 ms, within a
bound: the kernel has no event for a handler's return. Hence Linux only.

What the program can observe, and nothing else (from the first line of its
``sitecustomize`` on, in every instrumented child on Linux):

* the kernel's disposition of ``SIGRTMAX`` is a handler (``sigaction``,
  ``SigCgt`` in ``/proc/self/status``), while ``signal.getsignal`` says
  ``SIG_DFL`` and ``signal.signal`` returns ``SIG_DFL`` as before (Python's
  table is not told);
* the main thread has an alternate signal stack (``sigaltstack``), which
  faulthandler installs for its handler;
* a ``SIGRTMAX`` from anyone else writes the stacks on the channel instead of
  ending the process (its default action); so does one sent to a child the
  program forks without exec, which inherits the handler (an exec resets it);
* ``faulthandler`` is not in ``sys.modules`` (it is taken out again), but a
  later ``faulthandler.unregister(SIGRTMAX)`` returns True;
* when the stacks are asked for, a blocking call in the thread that runs the
  handler is interrupted and, as Python does for every interruption, resumed
  (``SA_RESTART``, PEP 475); C code that does not retry on ``EINTR`` sees it.
  That happens only when a wait has already failed.

A program that sets its own disposition for ``SIGRTMAX`` (``signal.signal``,
reported by the instrumentation), blocks it in every thread, or is stopped,
is not asked: the failure says why. The signal is never sent to a child whose
channel is no longer the plugin's pipe (one that closed it, or exec'd another
program: the handler is gone with it).

Rejected:

* a Python-level handler, or any change Python's table would show: it is
  what the program sets and reads (``getsignal``), and it runs only between
  bytecodes of the main thread, so not while a thread is stuck in C;
* a thread in the child (a reader for an "ask" pipe, or
  ``faulthandler.dump_traceback_later``'s watchdog): the program sees its
  threads (``/proc/self/task``, ``threading``), and on 3.12+ every
  ``os.fork()`` warns about them;
* writing on stderr: the program's own output would change, and a test that
  catches the failure and reads it on would see the stacks there;
* reading the stacks from outside (ptrace and the interpreter's memory, as
  py-spy does): a forked child is not pytest's descendant, so Yama's default
  (``ptrace_scope`` 1) refuses, and the layout changes with each CPython.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from .._compat import monotonic

if TYPE_CHECKING:
    from .watch import ChildWatch

_STEP = 0.01  # seconds between two looks at /proc while the handler runs
_OWN_FILES = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def python_stacks(watch: ChildWatch, channel_r: int | None, bound: float) -> str:
    """The Python stacks of *watch*'s child, or why there are none. Waits up to
    *bound* seconds for them. *channel_r*: the test's end of the channel."""
    with watch.read() as state:
        signum, fd = state.stack_signal, state.channel_fd
        touched = signum is not None and signum in state.dispositions
        ended, closed = state.ended, not state.channel_open
        start = len(state.stacks)
    if not sys.platform.startswith("linux"):
        return "no Python stacks: a stuck child shows them on Linux only"
    if ended:
        return "no Python stacks: it has ended"
    if signum is None or fd is None:
        return "no Python stacks: its instrumentation has no stack signal (SIGRTMAX was not at its default)"
    if touched:
        return f"no Python stacks: the program set its own disposition for signal {signum}, which asks for them"
    if closed or channel_r is None or not _same_pipe(watch.pid, fd, channel_r):
        return "no Python stacks: the program closed the instrumentation channel (or exec'd another program)"
    status = _status(watch.pid)
    if status.get("State", "").startswith(("T", "t")):
        return "no Python stacks: it is stopped (a stop signal, or a debugger)"
    mask = 1 << (signum - 1)
    if not _mask(status.get("SigCgt")) & mask:
        return f"no Python stacks: signal {signum} has no handler in it any more"
    before = _blocked(watch.pid, mask)
    if before and all(before.values()):
        return f"no Python stacks: every thread of it blocks signal {signum}"
    if not watch.send(signum):
        return "no Python stacks: it has ended"
    deadline = monotonic() + bound
    while True:
        done = False
        with watch.read() as state:
            begun = len(state.stacks) > start
            if begun and _returned(watch.pid, mask, before) and watch.channel_unread() == 0:
                done = True
            text = state.stacks[start:]
            ended = state.ended
        if done or ended:
            break
        left = deadline - monotonic()
        if left <= 0:
            what = "wrote only part of them" if begun else "did not start writing them"
            return f"no Python stacks: within {bound:g}s of signal {signum} it {what}\n{_shown(text)}".rstrip()
        watch.wait_until(lambda s: s.ended, min(_STEP, left))
    if not text:
        return "no Python stacks: it ended before writing them"
    return _shown(text)


def _shown(text: bytes) -> str:
    """faulthandler's text without the plugin's own frames (a forked child
    starts from the template's)."""
    lines = text.decode("utf-8", "replace").splitlines()
    return "\n".join(line for line in lines if not line.startswith(f'  File "{_OWN_FILES}'))


def _same_pipe(pid: int, fd: int, ours: int) -> bool:
    """The child's *fd* is still the write end of our channel's pipe."""
    try:
        return os.readlink(f"/proc/{pid}/fd/{fd}") == f"pipe:[{os.fstat(ours).st_ino}]"
    except OSError:
        return False


def _status(pid: int, task: int | None = None) -> dict[str, str]:
    path = f"/proc/{pid}/status" if task is None else f"/proc/{pid}/task/{task}/status"
    try:
        with open(path) as status:
            return dict(line.rstrip("\n").partition(":")[::2] for line in status)
    except OSError:
        return {}


def _mask(field: str | None) -> int:
    try:
        return int((field or "0").strip(), 16)
    except ValueError:
        return 0


def _blocked(pid: int, mask: int) -> dict[int, bool]:
    """For each thread of *pid*: whether it blocks (or has pending) the signal of *mask*."""
    try:
        tasks = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return {}
    found = {}
    for task in tasks:
        status = _status(pid, task)
        if status:
            found[task] = bool((_mask(status.get("SigBlk")) | _mask(status.get("SigPnd"))) & mask)
    return found


def _returned(pid: int, mask: int, before: dict[int, bool]) -> bool:
    """The handler has returned: the signal is not pending for the process,
    and no thread that did not block it before blocks it (or has it pending)."""
    if _mask(_status(pid).get("ShdPnd")) & mask:
        return False
    now = _blocked(pid, mask)
    return not any(blocked for task, blocked in now.items() if not before.get(task, False))
