"""Ctrl-C in a program that runs a multiprocessing Pool, done right.

A terminal sends Ctrl-C's SIGINT to the whole foreground process group: the
parent and every worker. Left alone, each worker raises KeyboardInterrupt in
the middle of a task and prints a traceback, and the parent can hang in
``map``. The usual fix: workers ignore SIGINT (the pool's initializer), and
the parent, which gets the KeyboardInterrupt, terminates the pool.

Usage: ``pool.py START_METHOD`` (fork, forkserver or spawn).
"""

import multiprocessing
import os
import signal
import sys
import threading


def ignore_ctrl_c(ready):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ready.put(os.getpid())


def task(n):
    if n < 0:
        threading.Event().wait()  # a task that never ends: only terminate() stops it
    return n * n


def main():
    context = multiprocessing.get_context(sys.argv[1] if len(sys.argv) > 1 else "spawn")
    ready = context.SimpleQueue()
    with context.Pool(2, initializer=ignore_ctrl_c, initargs=(ready,)) as pool:
        workers = sorted(ready.get() for _ in range(2))  # both ignore Ctrl-C from here on
        print("squares:", pool.map(task, range(5)), flush=True)
        try:
            print(f"workers {workers} busy; Ctrl-C to stop", flush=True)
            result = pool.apply_async(task, (-1,))
            while not result.ready():  # short waits, not get(): a Ctrl-C just before get()'s wait would go unseen
                result.wait(0.1)
        except KeyboardInterrupt:
            pool.terminate()
            pool.join()
            print("interrupted: pool terminated cleanly", flush=True)
            return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
