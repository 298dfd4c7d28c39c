# The fork server's template process runs this file (see _children/fork_server.py).
# A file, not `python -c`: Python 3.13 imports linecache for -c code, and the
# template must start with exactly the modules a `python file.py` child has.
# The marker keeps this frame out of the tracebacks of the programs it forks.
__pytest_signals_template__ = 1

import sys

base = set(sys.modules)
import os  # noqa: E402 - loaded by site already: no module more

# Not pytest's child, so that code under test that reaps every child of pytest
# never meets it: this first process forks and exits at once (pytest reaps
# it), and the template, its child, says its pid first.
if os.fork():
    os._exit(0)
os.write(3, f"T {os.getpid()}\n".encode())

from pytest_signals._remote.preload import TRACER  # noqa: E402 - after the snapshot

TRACER.install()
from pytest_signals._remote.template import serve  # noqa: E402 - traced

serve(base, TRACER)
