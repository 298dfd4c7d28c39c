"""The app a container runs: it shuts down cleanly on SIGTERM (docker stop)."""

import os
import signal
import sys


def on_sigterm(signum, frame):
    # os.write, not print: a handler can run inside the main code's own print()
    # (CPython checks for signals between the writes of a flush), and a print
    # there is a "reentrant call" RuntimeError
    os.write(1, b"app stopped cleanly\n")
    sys.exit(0)


# Wait on a wakeup fd, not signal.pause(): a SIGTERM that lands just before
# pause() starts would leave the handler pending until another signal came.
wakeup, wakeup_w = os.pipe()
os.set_blocking(wakeup_w, False)
signal.set_wakeup_fd(wakeup_w)
signal.signal(signal.SIGTERM, on_sigterm)
print("app ready", flush=True)
while True:
    os.read(wakeup, 1)  # returns once a signal came; its handler runs right after
