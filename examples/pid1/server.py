"""An entrypoint that handles SIGTERM: as a container's pid 1 it stops on
``docker stop`` at once, having drained its work."""

import os
import signal
import sys


def on_sigterm(signum, frame):
    # os.write, not print: the handler may run while the main code is still
    # inside print("serving") (its flush), and a buffered stdout refuses a
    # second, re-entrant write (RuntimeError: reentrant call)
    os.write(1, b"draining, bye\n")
    sys.exit(0)


# Wait on a wakeup fd, not signal.pause(): a SIGTERM that lands just before
# pause() starts would leave the handler pending until another signal came.
wakeup, wakeup_w = os.pipe()
os.set_blocking(wakeup_w, False)
signal.set_wakeup_fd(wakeup_w)
signal.signal(signal.SIGTERM, on_sigterm)
print("serving", flush=True)
while True:
    os.read(wakeup, 1)  # returns once a signal came; its handler runs right after
