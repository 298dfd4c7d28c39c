"""Runs a program as pid 1 of a new pid namespace: ``spawn(..., as_init=True)``.
It runs as ``python -I -S init_launcher.py``; the test side is
``_children/namespaces.py``. Standard library only, Linux only.

Why a process in between. ``unshare(CLONE_NEWPID)`` puts the caller's
*children* in the new namespace, not the caller: the first process forked
after it is the namespace's pid 1. pytest cannot call it on itself (every
later fork of the test process would land in the namespace), and a ``clone``
with a Python callback is unsafe in a threaded interpreter. So pytest starts
this launcher, which unshares, forks pid 1 and stays its parent, as
containerd's shim stays the parent of a container's init. The launcher:

1. ``unshare(CLONE_NEWPID | CLONE_NEWNS)``; where that needs privileges it
   lacks, with ``CLONE_NEWUSER`` too, mapping its own uid and gid to
   themselves (the program runs as the same user, not as a fake root).
   Mount events stay in the new mount namespace (``MS_PRIVATE``).
2. Forks pid 1, which starts a session of its own (as runc's init does),
   mounts a ``/proc`` of the namespace (so that ``/proc/self`` and
   ``os.getpid()`` agree, as in a container; where the kernel refuses, as it
   does under a ``/proc`` with masked paths, the parent's stays and the test
   side is told), restores what this interpreter changed (every disposition
   to its default but the ``ignore`` list, an empty mask, the working
   directory) and execs the program with the environment this launcher was
   given, read back from ``/proc/self/environ`` (this interpreter may have
   added ``LC_CTYPE``: PEP 538).
3. Reports pid 1's host pid, its stops and its end on the control socket,
   holds it as a zombie (``WNOWAIT``) until pytest says ``release`` (so its
   pid, group and session numbers stay taken while pytest signals them),
   then reaps it and exits as it did.

The control socket is fd :data:`CONTROL_FD`, close-on-exec in pid 1. Lines::

    pid <host pid>             pid 1 was forked
    proc 1 | proc 0 <why>      pid 1 has a /proc of its own, or not
    exec                       pid 1 runs the program
    failed <why>               the namespace or the exec failed
    status <raw wait status>   a stop, or the end (as waitpid reports it)

and from pytest, ``release``. ``--probe`` tries steps 1 and 2 with a pid 1
that prints its pid, uid and /proc and exits; it prints what failed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys

CONTROL_FD = 4
CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REC, _MS_PRIVATE = 2, 4, 8, 0x4000, 1 << 18


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _error(what: str) -> str:
    number = ctypes.get_errno()
    return f"{what}: {os.strerror(number)} (errno {number})"


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def enter_namespaces(libc: ctypes.CDLL) -> str | None:
    """Step 1; why it failed, or None."""
    reasons = []
    for flags in (CLONE_NEWPID | CLONE_NEWNS, CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS):
        user = bool(flags & CLONE_NEWUSER)
        if os.geteuid() != 0 and not user:
            continue  # without root, only through a user namespace
        uid, gid = os.geteuid(), os.getegid()
        if libc.unshare(flags) != 0:
            reasons.append(_error("unshare(" + ("CLONE_NEWUSER|" if user else "") + "CLONE_NEWPID|CLONE_NEWNS)"))
            continue
        if user:
            try:
                _write("/proc/self/setgroups", "deny")
                _write("/proc/self/uid_map", f"{uid} {uid} 1")
                _write("/proc/self/gid_map", f"{gid} {gid} 1")
            except OSError as exc:
                return f"writing the new user namespace's uid and gid maps: {exc}"
        if libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
            return _error("making the new mount namespace private")
        return None
    return "; ".join(reasons)


def mount_proc(libc: ctypes.CDLL) -> str | None:
    """In pid 1: a /proc of the namespace; why not, or None."""
    if libc.mount(b"proc", b"/proc", b"proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None) != 0:
        return _error("mount -t proc")
    return None


def _environment() -> dict[bytes, bytes]:
    with open("/proc/self/environ", "rb") as file:
        entries = file.read().split(b"\0")
    env = {}
    for entry in entries:
        key, eq, value = entry.partition(b"=")
        if eq:
            env[key] = value
    return env


def _become_program(
    libc: ctypes.CDLL, cwd: str, ignore: list[int], argv: list[str], env: dict[bytes, bytes], failed: int
) -> None:
    os.setsid()
    why = mount_proc(libc)
    _send("proc 1" if why is None else f"proc 0 {why}")
    for signum in signal.valid_signals():
        if signum not in (signal.SIGKILL, signal.SIGSTOP):
            with contextlib.suppress(OSError, ValueError):
                signal.signal(signum, signal.SIG_IGN if signum in ignore else signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    try:
        if cwd:
            os.chdir(cwd)
        os.execve(argv[0], argv[1:], env)
    except OSError as exc:
        os.write(failed, f"exec {argv[0]}: {exc}".replace("\n", " ").encode())
    os._exit(127)


def _high(fd: int) -> int:
    """*fd* moved above the program's fds (which the launcher closes), close-on-exec."""
    import fcntl

    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


def _let_go_of_the_programs_fds() -> None:
    """Its stdio and channel are pid 1's alone now: their ends of file come
    when pid 1's tree closes them, as for a plain child."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    for fd in range(3, CONTROL_FD):
        with contextlib.suppress(OSError):
            os.close(fd)


def _send(line: str) -> None:
    with contextlib.suppress(OSError):  # pytest is gone: nobody to tell
        os.write(CONTROL_FD, line.encode() + b"\n")


def _exit_as(status: int) -> None:
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def _raw_status(info: os.waitid_result) -> int:
    if info.si_code == os.CLD_EXITED:
        return (info.si_status & 0xFF) << 8
    if info.si_code in (os.CLD_STOPPED, os.CLD_TRAPPED):
        return (info.si_status << 8) | 0x7F
    return info.si_status | (0x80 if info.si_code == os.CLD_DUMPED else 0)


def probe() -> int:
    libc = _libc()
    why = enter_namespaces(libc)
    if why is not None:
        print(why)
        return 1
    pid = os.fork()
    if pid == 0:
        why = mount_proc(libc)
        print(f"pid {os.getpid()}, uid {os.getuid()}, /proc: {why or 'its own'}", flush=True)
        os._exit(0 if os.getpid() == 1 else 1)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        print("the first process forked in the new pid namespace is not its pid 1")
        return 1
    return 0


def main(args: list[str]) -> int:
    if args[:1] == ["--probe"]:
        return probe()
    cwd, ignore_list, argv = args[0], args[1], args[2:]
    ignore = [int(s) for s in ignore_list.split(",") if s]
    os.set_inheritable(CONTROL_FD, False)
    env = _environment()
    libc = _libc()
    why = enter_namespaces(libc)
    if why is not None:
        _send(f"failed {why}")
        return 127
    failed_r, failed_w = (_high(fd) for fd in os.pipe())  # close-on-exec: end of file once pid 1 has exec'd
    pid = os.fork()
    if pid == 0:
        os.close(failed_r)
        _become_program(libc, cwd, ignore, argv, env, failed_w)
    os.close(failed_w)
    _let_go_of_the_programs_fds()
    _send(f"pid {pid}")
    exec_error = b""
    while True:
        chunk = os.read(failed_r, 4096)
        if not chunk:
            break
        exec_error += chunk
    os.close(failed_r)
    _send(f"failed {exec_error.decode(errors='replace')}" if exec_error else "exec")
    while True:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WSTOPPED | os.WNOWAIT)
        assert info is not None
        if info.si_code in (os.CLD_STOPPED, os.CLD_TRAPPED):
            os.waitid(os.P_PID, pid, os.WSTOPPED | os.WNOHANG)  # take this stop
            _send(f"status {_raw_status(info)}")
            continue
        status = _raw_status(info)
        _send(f"status {status}")
        break
    while True:  # until pytest releases it, or is gone
        try:
            data = os.read(CONTROL_FD, 64)
        except InterruptedError:
            continue
        if not data or b"release" in data:
            break
    os.waitpid(pid, 0)
    _exit_as(status)
    return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
