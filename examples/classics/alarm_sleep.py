"""signal.alarm(2) interrupts a 10-second time.sleep: the handler raises, so
the sleep ends early (a handler that returns would let the sleep go on)."""

import signal
import time


class AlarmFired(Exception):
    pass


def on_alarm(signum, frame):
    raise AlarmFired


signal.signal(signal.SIGALRM, on_alarm)
signal.alarm(2)
print("alarm set for 2 s, now sleeping for 10 s", flush=True)
started = time.monotonic()
try:
    time.sleep(10)
    print("slept the full 10 s", flush=True)
except AlarmFired:
    print(f"the alarm interrupted the sleep after {time.monotonic() - started:.1f} s", flush=True)
