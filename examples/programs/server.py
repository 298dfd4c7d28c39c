"""A worker service that shuts down gracefully on SIGTERM and exits 0."""

import os
import signal
import sys
import threading

stopping = threading.Event()


def on_sigterm(signum, frame):
    # os.write, not print: a handler can interrupt a print, and print is not reentrant.
    os.write(1, b"SIGTERM received, finishing the current job\n")
    stopping.set()


def main() -> int:
    signal.signal(signal.SIGTERM, on_sigterm)
    print("serving", flush=True)
    jobs = 0
    # Short waits, so a signal is never held up behind a long blocking call.
    while not stopping.wait(0.1):
        jobs += 1
    print(f"stopped cleanly after {jobs} ticks", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
