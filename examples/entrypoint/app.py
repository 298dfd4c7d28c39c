"""The app a container runs: it shuts down cleanly on SIGTERM (docker stop)."""

import signal
import sys


def on_sigterm(signum, frame):
    print("app stopped cleanly", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, on_sigterm)
print("app ready", flush=True)
while True:
    signal.pause()
