# The fork server's template process runs this file (see _children/fork_server.py).
# A file, not `python -c`: Python 3.13 imports linecache for -c code, and the
# template must start with exactly the modules a `python file.py` child has.
# The marker keeps this frame out of the tracebacks of the programs it forks.
__pytest_signals_template__ = 1

import sys

base = set(sys.modules)
from pytest_signals._preload import TRACER  # noqa: E402 - after the snapshot

TRACER.install()
from pytest_signals._template import serve  # noqa: E402 - traced

serve(base, TRACER)
