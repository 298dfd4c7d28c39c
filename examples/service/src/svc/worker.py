"""The job worker: ``python -m svc.worker``. Reads the path of one job a line
from stdin and runs the jobs one after the other in its worker thread. On
SIGTERM it stops taking jobs, lets the queued ones finish, and exits 0."""

import queue
import signal
import sys
import threading
import time

from svc.jobs import run_job

jobs: "queue.Queue[str | None]" = queue.Queue()
stopping = False


def on_sigterm(signum, frame):
    # A handler runs between two bytecodes of the main thread: set a flag, no
    # more (a lock the main thread holds would deadlock it).
    global stopping
    stopping = True


def take_jobs():
    for line in sys.stdin:
        jobs.put(line.strip())


def work():
    while (job := jobs.get()) is not None:
        print(f"started {job}", flush=True)
        print(f"{job}: {run_job(job)} words", flush=True)


def wait_for_jobs(worker):
    jobs.put(None)  # after the jobs already queued
    worker.join()


def main() -> int:
    signal.signal(signal.SIGTERM, on_sigterm)
    worker = threading.Thread(target=work, name="worker")
    worker.start()
    threading.Thread(target=take_jobs, name="reader", daemon=True).start()
    print("ready", flush=True)
    while not stopping:
        time.sleep(0.05)  # the service's own idle loop
    print("stopping", flush=True)
    wait_for_jobs(worker)
    print("stopped cleanly", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
