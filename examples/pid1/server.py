"""An entrypoint that handles SIGTERM: as a container's pid 1 it stops on
``docker stop`` at once, having drained its work."""

import signal
import sys


def on_sigterm(signum, frame):
    print("draining, bye", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, on_sigterm)
print("serving", flush=True)
while True:
    signal.pause()
