"""A batch job on a ProcessPoolExecutor that stops cleanly on SIGTERM.

On SIGTERM the job cancels the tasks not yet started, lets the running ones
finish, and reports what it did: ``shutdown(cancel_futures=True)`` from the
main thread (a handler only records the request: executor calls are not safe
in a signal handler).

Usage: ``executor.py START_METHOD`` (fork, forkserver or spawn).
"""

import concurrent.futures
import multiprocessing
import os
import select
import signal
import sys


def task(n):
    return n * n


def main():
    context = multiprocessing.get_context(sys.argv[1] if len(sys.argv) > 1 else "spawn")
    r, w = os.pipe()
    os.set_blocking(w, False)
    signal.set_wakeup_fd(w)
    stop = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.append(signum))
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as executor:
        first = [executor.submit(task, n) for n in range(4)]
        print("results:", [f.result() for f in first], flush=True)
        print("job running; SIGTERM to stop", flush=True)
        while not stop:
            select.select([r], [], [])
            os.read(r, 512)
        later = [executor.submit(task, n) for n in range(100)]
        executor.shutdown(wait=True, cancel_futures=True)
    done = sum(1 for f in later if f.done() and not f.cancelled())
    cancelled = sum(1 for f in later if f.cancelled())
    print(f"stopped on SIGTERM: {done} later tasks done, {cancelled} cancelled", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
