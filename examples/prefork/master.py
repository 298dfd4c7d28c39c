"""A prefork server's master, the way gunicorn runs one (stdlib only).

The master forks ``--workers N`` workers and relays signals to them:

* SIGTERM: graceful stop. The master sends SIGTERM to every worker, waits
  for each to finish, and exits 0.
* SIGHUP: reload. The master forks a new generation of workers, then stops
  the old ones gracefully (SIGTERM): the service never has no worker.

Every wait is on a self-pipe (``signal.set_wakeup_fd``), so a signal that
arrives between two checks is never missed, and nothing sleeps. Signals are
blocked around each fork: a SIGTERM that reaches a new worker before it has
its own handler waits, pending, for that handler (without the block, the
master's inherited handler would take it, and the worker would never stop).
Each line is one ``os.write``, so lines of several processes never interleave.
"""

import os
import select
import signal
import sys

RELAYED = {signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD}


def say(text):
    os.write(1, (text + "\n").encode())


def wakeup_pipe():
    """A pipe the interpreter writes each signal's number to: select() on it
    wakes as soon as a signal came, whenever it came."""
    r, w = os.pipe()
    os.set_blocking(w, False)
    signal.set_wakeup_fd(w)
    return r


def worker(generation, mask):
    """Serve until SIGTERM, then finish and exit 0."""
    for sig in (signal.SIGHUP, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)  # the master's handlers are not the worker's
    stopping = []
    wake = wakeup_pipe()
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a SIGTERM already here runs the handler now
    say(f"worker {os.getpid()} of generation {generation} ready")
    while not stopping:
        select.select([wake], [], [])
        os.read(wake, 512)
    say(f"worker {os.getpid()} finished its requests")


def main():
    count = int(sys.argv[sys.argv.index("--workers") + 1]) if "--workers" in sys.argv else 2
    pending = []  # the signals the master has to act on, in order
    for sig in RELAYED:
        signal.signal(sig, lambda signum, frame: pending.append(signum))
    wake = wakeup_pipe()
    workers = {}  # pid -> generation
    generation = 0

    def start_generation():
        nonlocal generation
        generation += 1
        for _ in range(count):
            mask = signal.pthread_sigmask(signal.SIG_BLOCK, RELAYED)
            pid = os.fork()
            if pid == 0:
                os.close(wake)
                try:
                    worker(generation, mask)
                finally:
                    os._exit(0)
            workers[pid] = generation
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    def reap():
        while workers:
            pid, _status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                return
            workers.pop(pid, None)

    start_generation()
    say("master ready")
    stopping = False
    while not (stopping and not workers):
        select.select([wake], [], [])
        os.read(wake, 512)
        while pending:
            sig = pending.pop(0)
            if sig == signal.SIGTERM and not stopping:
                stopping = True
                for pid in workers:
                    os.kill(pid, signal.SIGTERM)
            elif sig == signal.SIGHUP and not stopping:
                old = list(workers)
                start_generation()
                for pid in old:
                    os.kill(pid, signal.SIGTERM)
                say(f"reloaded: generation {generation}")
        reap()
    say("master stopped cleanly")


if __name__ == "__main__":
    main()
