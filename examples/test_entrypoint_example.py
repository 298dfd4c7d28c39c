"""A container's entrypoint, tested the way ``docker stop`` stops it: SIGTERM
to the entrypoint, and nothing it started may outlive it.

The classic bug: a shell entrypoint that runs the app without ``exec``. sh
gets the SIGTERM and dies of it; the app never gets it, runs on, and would be
SIGKILLed when the grace period ends, its shutdown never run. The test of the
buggy script fails, naming the app that never got the signal; with ``exec``
it passes, under an init (dumb-init, tini) as well.
"""

import shutil
import signal
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "entrypoint"
ENV = {"PYTHON": sys.executable}
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="survivors are read from /proc (Linux)")
THE_PITFALL = pytest.mark.xfail(strict=True, reason="sh does not pass SIGTERM on: the app never gets it")


def stop_like_docker(spawn, send_signal, command):
    proc = spawn(command, env=ENV)
    proc.expect("app ready")

    send_signal(signal.SIGTERM, to=proc)  # docker stop: SIGTERM to the container's pid 1

    proc.wait()
    proc.assert_no_survivors()  # fails naming each process that outlived the entrypoint
    proc.expect("app stopped cleanly")


@pytest.mark.parametrize("script", ["entrypoint_exec.sh", pytest.param("entrypoint.sh", marks=THE_PITFALL)])
def test_entrypoint_stops_the_app(spawn, send_signal, script):
    stop_like_docker(spawn, send_signal, ["/bin/sh", str(HERE / script)])


@pytest.mark.skipif(shutil.which("dumb-init") is None, reason="dumb-init is not installed (pip install dumb-init)")
def test_under_dumb_init(spawn, send_signal):
    # An init as pid 1 (reaping zombies, passing signals on) with the exec'd
    # entrypoint. It does not save the buggy one: dumb-init passes the SIGTERM
    # to the whole group, but sh dies of it at once, dumb-init exits with it,
    # the container ends, and the app is killed in the middle of its shutdown.
    stop_like_docker(spawn, send_signal, ["dumb-init", "/bin/sh", str(HERE / "entrypoint_exec.sh")])


@pytest.mark.skipif(shutil.which("tini") is None, reason="tini is not installed (Debian: apt install tini)")
@pytest.mark.parametrize("script", ["entrypoint_exec.sh", pytest.param("entrypoint.sh", marks=THE_PITFALL)])
def test_under_tini(spawn, send_signal, script):
    # docker run --init: tini passes the SIGTERM to its child, sh, only.
    stop_like_docker(spawn, send_signal, ["tini", "--", "/bin/sh", str(HERE / script)])
