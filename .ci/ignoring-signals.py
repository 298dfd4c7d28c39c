"""Run a command with SIGHUP, SIGINT and SIGQUIT ignored, as ``nohup`` and ``cmd &`` start it.

The test suite must pass started that way: ``python .ci/ignoring-signals.py python -m pytest tests``.
"""

import os
import signal
import sys

if len(sys.argv) < 2:
    sys.exit("usage: ignoring-signals.py COMMAND [ARG...]")
for signum in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT):
    signal.signal(signum, signal.SIG_IGN)
os.execvp(sys.argv[1], sys.argv[1:])
