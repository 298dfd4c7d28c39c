"""A container's entrypoint runs as pid 1 of its pid namespace, and pid 1 is
special: the kernel delivers a signal from outside the namespace only if pid 1
has a handler for it (SIGKILL and SIGSTOP aside). So ``docker stop`` (SIGTERM,
a grace period, then SIGKILL) stops a program that never installed a SIGTERM
handler only by SIGKILL, after the whole grace period, its cleanup never run.

``spawn(..., as_init=True)`` runs the program as pid 1 of a new pid namespace
(Linux; skipped with the reason elsewhere), and ``proc.stop_sequence`` is the
orchestrators' stop sequence. The naive server's test asserts the bug is
there; the fixes are a handler, or an init as pid 1 (``docker run --init``,
dumb-init, tini) that passes the SIGTERM on.
"""

import shutil
import signal
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "pid1"


def test_a_handler_stops_it_within_the_grace(spawn):
    proc = spawn(HERE / "server.py", as_init=True)
    proc.expect("serving\n")

    result = proc.stop_sequence(grace=10)  # docker stop -t 10

    assert result.in_grace, result
    assert result.returncode == 0
    proc.expect("draining, bye\n")


def test_without_a_handler_sigterm_is_ignored(spawn, send_signal):
    proc = spawn(HERE / "naive_server.py", as_init=True)
    proc.expect("serving\n")

    # Outside a namespace this SIGTERM would kill it; as pid 1 it is dropped.
    assert send_signal(signal.SIGTERM, to=proc).outcome == "ignored"

    result = proc.stop_sequence(grace=0.5)
    assert result.killed, result  # the grace ran out: SIGKILL (docker reports 137)
    assert result.returncode == -signal.SIGKILL


@pytest.mark.skipif(shutil.which("dumb-init") is None, reason="dumb-init is not installed (pip install dumb-init)")
def test_under_an_init_the_default_action_works_again(spawn):
    # docker run --init: the init is pid 1 and passes SIGTERM on; the naive
    # server is its child, not pid 1, and SIGTERM's default action ends it.
    proc = spawn(["dumb-init", sys.executable, str(HERE / "naive_server.py")], as_init=True)
    proc.expect("serving\n")

    result = proc.stop_sequence(grace=10)

    assert result.in_grace, result
    assert result.returncode == 128 + signal.SIGTERM  # dumb-init exits as the shell would report it: 143
