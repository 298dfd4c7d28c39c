"""worker.py: the code under test. A worker that finishes the job it is doing
and stops when it gets SIGTERM, and a command-line loop that Ctrl-C stops."""

import signal


class Worker:
    def __init__(self):
        self.stopping = False
        self.done = []

    def install(self):
        """Stop on SIGTERM from now on. Returns the handler that was there before."""
        return signal.signal(signal.SIGTERM, self.on_sigterm)

    def on_sigterm(self, signum, frame):
        self.stopping = True  # a handler should do little: set a flag and return

    def run(self, jobs):
        for job in jobs:
            if self.stopping:
                break
            self.done.append(job)


def main(jobs, do_job):
    """Do every job; Ctrl-C stops the loop cleanly. Returns the exit status."""
    try:
        for job in jobs:
            do_job(job)
    except KeyboardInterrupt:
        print("interrupted")
        return 130
    return 0
