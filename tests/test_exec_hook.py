"""The exec hook's pure decisions, in-process: which programs are ours to
instrument, and posix_spawn's file actions that keep the channel open."""

from __future__ import annotations

import os
import sys

import pytest

from pytest_signals._remote import exec_hook


@pytest.mark.parametrize(
    ("argv", "wanted"),
    [
        (["python", "-c", "pass"], True),
        (["python", "script.py", "-I"], True),  # the script's own argument
        (["python", "-m", "pkg", "-E"], True),
        (["python", "-u", "-X", "dev", "-W", "error", "-c", "pass"], True),
        (["python", "-Xdev", "-c", "pass"], True),
        (["python", "-c", "-I"], True),  # -c's code
        (["python", "-I", "-c", "pass"], False),
        (["python", "-E", "script.py"], False),
        (["python", "-S", "-m", "pkg"], False),
        (["python", "-sE", "-c", "pass"], False),
        (["python", "-bIc", "pass"], False),
        (["python", "-X", "I", "-E"], False),  # -X takes "I": -E is an option
        (["python", "--check-hash-based-pycs", "always", "-I"], False),
        (["python", "--", "-I"], True),
        (["python"], True),
        ([b"python", b"-I"], False),
        # pytest-signals' own scripts (a spawned pytest's template): its machinery, never instrumented
        (["python", os.path.join(os.path.dirname(exec_hook.__file__), "..", "_bootstrap", "template.py")], False),
        (["python", "-u", os.path.join(os.path.dirname(exec_hook.__file__), "keeper.py")], False),
        (["python", "app/template.py"], True),
    ],
)
def test_which_pythons_would_run_the_bootstrap(argv: list[str], wanted: bool) -> None:
    assert exec_hook._wants_us(argv) is wanted


def test_only_this_interpreter_is_ours(tmp_path: os.PathLike[str]) -> None:
    assert exec_hook._same_interpreter(sys.executable)
    assert exec_hook._same_interpreter(os.fsencode(sys.executable))
    assert not exec_hook._same_interpreter("python3")  # a bare name: the caller's PATH search hands us paths
    assert not exec_hook._same_interpreter("/bin/sh")
    assert not exec_hook._same_interpreter("")
    other = os.path.join(os.fspath(tmp_path), "python")
    os.symlink(sys.executable, other)  # the same file, somewhere else: another installation's site-packages
    assert not exec_hook._same_interpreter(other)


def test_posix_spawn_actions_keep_the_channel() -> None:
    dup2, close, opened = os.POSIX_SPAWN_DUP2, os.POSIX_SPAWN_CLOSE, os.POSIX_SPAWN_OPEN
    assert exec_hook._keeping(None, 9) == []
    kept = [(dup2, 5, 1), (close, 4), (opened, 6, "/dev/null", os.O_RDONLY, 0)]
    assert exec_hook._keeping(kept, 9) == kept
    assert exec_hook._keeping([(dup2, 5, 9)], 9) is None  # the program's own fd 9
    assert exec_hook._keeping([(close, 9)], 9) is None
    assert exec_hook._keeping([("nonsense",)], 9) is None


@pytest.mark.skipif(not hasattr(os, "POSIX_SPAWN_CLOSEFROM"), reason="posix_spawn has no CLOSEFROM here")
def test_closefrom_closes_each_inheritable_fd_but_ours() -> None:
    closefrom = os.POSIX_SPAWN_CLOSEFROM  # type: ignore[attr-defined]
    ours, theirs, private = os.dup(0), os.dup(0), os.dup(0)
    try:
        os.set_inheritable(ours, True)
        os.set_inheritable(theirs, True)
        os.set_inheritable(private, False)  # closed on exec anyway
        actions = exec_hook._keeping([(os.POSIX_SPAWN_DUP2, theirs, 40), (closefrom, 3)], ours)
        assert actions is not None
        closed = {action[1] for action in actions if action[0] == os.POSIX_SPAWN_CLOSE}
        assert {theirs, 40} <= closed
        assert ours not in closed
        assert private not in closed
        assert actions[0] == (os.POSIX_SPAWN_DUP2, theirs, 40)
    finally:
        for fd in (ours, theirs, private):
            os.close(fd)
