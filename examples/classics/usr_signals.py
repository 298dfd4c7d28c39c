"""Loops and prints while SIGUSR1 and SIGUSR2 handlers report the signal number;
Ctrl-C ends it with KeyboardInterrupt (Python's default SIGINT handling)."""

import os
import signal
import time


def report(signum, frame):
    # A handler runs between two bytecodes of the main thread, maybe inside
    # print(): write with os.write, which is safe there.
    os.write(1, f"handler: received signal {signum}\n".encode())


signal.signal(signal.SIGUSR1, report)
signal.signal(signal.SIGUSR2, report)
print(f"pid {os.getpid()}: send SIGUSR1 or SIGUSR2, Ctrl-C to stop", flush=True)
ticks = 0
while True:
    ticks += 1
    time.sleep(0.1)  # the program's own work
