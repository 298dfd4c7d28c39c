"""Signals and threads. Python runs every handler in the main thread: even when
another thread sends the signal, while a third thread waits in signal.pause(),
and for an alarm that a thread set."""

import os
import select
import signal
import threading

ran_in = {}


def record(signum, frame):
    ran_in[signal.Signals(signum).name] = threading.current_thread().name


def wait_for_handler(wakeup, name):
    # The C-level handler writes to the wakeup fd in whatever thread the kernel
    # chose; the Python handler then runs in the main thread, right after select.
    for _ in range(10):
        if name in ran_in:
            return
        readable, _, _ = select.select([wakeup], [], [], 1.0)
        if readable:
            os.read(wakeup, 64)
    raise SystemExit(f"{name} was never handled")


def run_thread(name, target):
    thread = threading.Thread(target=target, name=name)
    thread.start()
    thread.join()


def main():
    signal.signal(signal.SIGUSR1, record)
    signal.signal(signal.SIGALRM, record)
    wakeup, wakeup_w = os.pipe()
    os.set_blocking(wakeup_w, False)
    signal.set_wakeup_fd(wakeup_w)
    pause_returned = []
    threading.Thread(target=lambda: pause_returned.append(signal.pause()), name="pauser", daemon=True).start()

    run_thread("sender", lambda: os.kill(os.getpid(), signal.SIGUSR1))
    wait_for_handler(wakeup, "SIGUSR1")
    run_thread("alarm-setter", lambda: signal.setitimer(signal.ITIMER_REAL, 0.05))
    wait_for_handler(wakeup, "SIGALRM")

    print(f"SIGUSR1 sent by thread 'sender' ran its handler in {ran_in['SIGUSR1']}", flush=True)
    print(f"SIGALRM set by thread 'alarm-setter' ran its handler in {ran_in['SIGALRM']}", flush=True)
    print(f"thread 'pauser' still waiting in signal.pause(): {not pause_returned}", flush=True)


if __name__ == "__main__":
    main()
