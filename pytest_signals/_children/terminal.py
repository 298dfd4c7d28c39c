"""Real terminals: a child in a pseudo-terminal (through pexpect), and the
control characters that make the kernel send a signal, as a person's keys do."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import warnings
from collections.abc import Sequence

from .._signals import signal_name

# The termios slot of the character that sends each signal.
_CONTROL_CHARS = {"SIGINT": "VINTR", "SIGQUIT": "VQUIT", "SIGTSTP": "VSUSP"}


def control_character(fd: int, signum: int) -> bytes:
    """The byte the terminal on *fd* turns into *signum* (Ctrl-C for SIGINT...).

    Raises:
        ValueError: no key of a terminal sends *signum*, or the terminal has
            that key disabled.
    """
    import termios

    name = signal_name(signum)
    slot = _CONTROL_CHARS.get(name)
    if slot is None:
        raise ValueError(
            f"via='tty' cannot send {name}: a terminal only sends SIGINT (Ctrl-C), SIGQUIT (Ctrl-\\) "
            "and SIGTSTP (Ctrl-Z)"
        )
    cc = termios.tcgetattr(fd)[6][getattr(termios, slot)]
    value = cc if isinstance(cc, int) else ord(cc)
    if value == 0 or value == getattr(os, "_POSIX_VDISABLE", 0):
        raise ValueError(f"via='tty' cannot send {name}: the terminal has its {slot} character disabled")
    return bytes([value])


# Linux's ioctl that opens the other side (the slave) of a pseudo-terminal
# master, without a path and without making it a controlling terminal.
_TIOCGPTPEER = 0x5441


def settle_input(fd: int) -> None:
    """Return once the terminal behind master *fd* has processed what was typed.

    Linux hands bytes written to a pty master to the line discipline later, on
    a kernel worker: ``write`` returns before a Ctrl-C has become a SIGINT. That
    matters beyond timing. A signal key also flushes the terminal's queues
    (unless NOFLSH is set), so a key processed late throws away output the
    program wrote after the test moved on (a ``sys.exit("Exiting")`` message
    vanished that way). Polling the slave side makes the kernel finish that
    pending work first (``n_tty_poll`` calls ``tty_buffer_flush_work`` when the
    program has no unread input). macOS processes the key inside ``write``;
    there, and on Linux before 4.13, this does nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    import fcntl
    import select

    try:
        peer = fcntl.ioctl(fd, _TIOCGPTPEER, os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        return  # not a pty master, a kernel without TIOCGPTPEER, or already closed
    try:
        poller = select.poll()
        poller.register(peer, select.POLLIN)
        poller.poll(0)
    finally:
        os.close(peer)


def signals_enabled(fd: int) -> bool:
    """False when the program put its terminal in raw mode (ISIG off)."""
    import termios

    return bool(termios.tcgetattr(fd)[3] & termios.ISIG)


def foreground_job(fd: int) -> int | None:
    """The process group a key typed into the terminal of master *fd* signals:
    0 when there is none (the session it controlled lost its leader: the
    kernel takes the terminal from a session whose leader exits); None when
    that cannot be read."""
    try:
        return os.tcgetpgrp(fd)
    except OSError:
        return None


def spawn_in_terminal(
    argv: Sequence[str], env: dict[str, str], cwd: str | None, channel: int | None, ignore: Sequence[int] = ()
) -> tuple[int, int]:
    """Start *argv* as the session leader and foreground process group of a new
    pseudo-terminal, through ptyprocess's public ``PtyProcess.spawn`` (what
    pexpect itself calls). Returns the pid and the terminal's master fd, which
    the caller owns: the ``PtyProcess`` object is told it is closed, so that
    it never waits for, signals or closes anything once it is collected (a
    pid it would signal then may no longer be the child's)."""
    from ptyprocess import PtyProcess

    def preexec() -> None:
        if channel is not None:
            os.dup2(channel, 3)
        reset_signals()
        for signum in ignore:
            signal.signal(signum, signal.SIG_IGN)

    with warnings.catch_warnings():
        # Python 3.12+ warns that forkpty() in a threaded process may deadlock
        # the child. The child here runs only ptyprocess's set-up and our
        # preexec (dup2, signal.signal, pthread_sigmask) before exec; under
        # filterwarnings=error the warning would fail every tty=True test.
        warnings.simplefilter("ignore", DeprecationWarning)
        ptyproc = PtyProcess.spawn(
            list(argv), cwd=cwd, env=env, echo=True, preexec_fn=preexec, pass_fds=() if channel is None else (channel,)
        )
    try:
        master = os.dup(ptyproc.fd)
    finally:
        ptyproc.fileobj.close()
        ptyproc.closed = True
    return int(ptyproc.pid), master


def open_terminal(rows: int = 24, columns: int = 80) -> tuple[int, int]:
    """A new pseudo-terminal, ``(master, slave)``, as ptyprocess opens one:
    *rows* x *columns*, echo on (the line discipline's default), neither end
    inheritable."""
    import fcntl
    import struct
    import termios

    master, slave = os.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    except BaseException:
        os.close(master)
        os.close(slave)
        raise
    return master, slave


def reset_signals() -> None:
    """Default dispositions and an empty mask: what a fresh program expects.

    Runs in the forked child before exec, so a pytest started with SIGINT
    ignored does not hand that on."""
    for signum in signal.valid_signals():
        if signum in (signal.SIGKILL, signal.SIGSTOP):
            continue
        with contextlib.suppress(OSError, ValueError):
            signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
