"""SIGINT set to SIG_IGN: Ctrl-C does nothing. SIGUSR1 makes it exit with
SystemExit("Exiting"): the message goes to stderr, the exit status is 1."""

import signal
import sys
import threading


def on_usr1(signum, frame):
    sys.exit("Exiting")


signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGUSR1, on_usr1)
print("Ctrl-C does nothing here; send SIGUSR1 to stop me", flush=True)
while True:
    threading.Event().wait(0.1)
