"""Stress run: the project's signal tests many times in a row, with every core
kept busy by other processes, serially and under xdist. Not part of the
default test command (``tox -e stress``, or ``python tests/stress.py``).

Every failing run's output is kept under ``--logs`` so that a failure can be
investigated instead of retried. Exit status 0 only when every run passed.

    python tests/stress.py --runs 20 --modes 0,2 --load 2
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A busy loop that ends when its stdin closes: no load process outlives this
# script, however it ends.
BUSY = (
    "import os, threading\n"
    "threading.Thread(target=lambda: (os.read(0, 1), os._exit(0)), daemon=True).start()\n"
    "while True:\n"
    "    pass\n"
)


def start_load(count: int) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-c", BUSY], stdin=subprocess.PIPE) for _ in range(count)]


def stop_load(load: list[subprocess.Popen[bytes]]) -> None:
    for proc in load:
        assert proc.stdin is not None
        proc.stdin.close()
    for proc in load:
        proc.wait(timeout=30)


def run_once(mode: int, paths: list[str], log: Path) -> tuple[bool, float, list[str]]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", str(mode), *paths]
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    elapsed = time.monotonic() - started
    failed = [line.split(" ", 1)[1] for line in result.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    ok = result.returncode == 0
    if not ok:
        log.write_text(f"$ {' '.join(command)}\nexit {result.returncode}\n\n{result.stdout}\n{result.stderr}")
    return ok, elapsed, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="runs per mode (default 20)")
    parser.add_argument("--modes", default="0,2", help="xdist worker counts, comma-separated (default 0,2)")
    parser.add_argument("--load", type=int, default=os.cpu_count() or 2, help="busy processes (default: one per core)")
    parser.add_argument("--logs", type=Path, default=ROOT / ".stress-logs", help="where failing runs' output goes")
    parser.add_argument("paths", nargs="*", default=["tests", "examples"], help="what to run (default tests examples)")
    args = parser.parse_args()
    modes = [int(m) for m in args.modes.split(",") if m.strip()]
    if args.runs < 1 or not modes or any(m < 0 for m in modes):
        parser.error(f"--runs={args.runs} and --modes={args.modes!r} must be positive / non-negative")
    args.logs.mkdir(parents=True, exist_ok=True)

    load = start_load(args.load)
    failures: list[str] = []
    try:
        print(f"stress: {args.runs} run(s) x modes {modes}, {args.load} busy process(es), {' '.join(args.paths)}")
        for mode in modes:
            for run in range(1, args.runs + 1):
                log = args.logs / f"n{mode}-run{run:02d}.log"
                ok, elapsed, failed = run_once(mode, args.paths, log)
                status = "ok" if ok else f"FAILED ({len(failed)}): {', '.join(failed) or 'see log'} -> {log}"
                print(f"  -n {mode} run {run:2d}: {elapsed:6.1f}s {status}", flush=True)
                if not ok:
                    failures.append(f"-n {mode} run {run}: {', '.join(failed) or 'see ' + str(log)}")
    finally:
        stop_load(load)
    total = args.runs * len(modes)
    print(f"stress: {total - len(failures)}/{total} runs passed")
    for failure in failures:
        print(f"  {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
