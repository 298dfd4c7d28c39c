"""A worker service that shuts down gracefully on SIGTERM and exits 0."""

import os
import signal
import sys
import time

stopping = False


def on_sigterm(signum, frame):
    # A handler runs between any two bytecodes of the main thread: set a flag
    # (Event.set takes a lock the main thread may hold) and write with os.write
    # (print is not reentrant).
    global stopping
    os.write(1, b"SIGTERM received, finishing the current job\n")
    stopping = True


def main() -> int:
    signal.signal(signal.SIGTERM, on_sigterm)
    print("serving", flush=True)
    jobs = 0
    while not stopping:
        time.sleep(0.1)  # one "job"; short, so a signal is never held up for long
        jobs += 1
    print(f"stopped cleanly after {jobs} ticks", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
