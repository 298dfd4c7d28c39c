"""Matching a child's output as it arrives: the cost per MB, against the floor.

The output arrives in 64 KiB reads, as the watcher's pump reads it, and a
search waits for a pattern that only the last read holds: after each read the
search is polled, as ``expect`` does while it waits. The floor is what no
incremental search can beat: the same bytes decoded once and one
``re.search`` over them. Linear matching keeps the cost per MB flat as the
output grows; the old way (decode everything unmatched on every read) grows
with the size, so it runs only at the smallest size.

Each measure runs in a fresh interpreter, so that the peak memory it reports
(``ru_maxrss`` growth while the output is fed and matched, over the output's
size) is its own. The output is generated read by read, never held whole.

A benchmark, not a test: nothing fails on a timing.

    python bench/bench_expect.py [--sizes 10 100] [--memory 32M]
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import time
from collections.abc import Iterator

from pytest_signals._children.output import Output
from pytest_signals._options import DEFAULT_OUTPUT_MEMORY, format_size, parse_size

CHUNK = 64 * 1024
LINE = b"GET /index.html 200 0.0031s worker=3 request-id=5f1c2a\n"
NEEDLE = b"server stopped after SIGTERM\n"
PATTERN = re.compile(r"stopped after (SIG\w+)")
MB = 1_000_000


def reads(size: int) -> Iterator[bytes]:
    """*size* bytes of log lines in 64 KiB reads; the last one ends with the needle."""
    filler = (LINE * (CHUNK // len(LINE) + 1))[:CHUNK]
    left = size - len(NEEDLE)
    while left > CHUNK:
        yield filler
        left -= CHUNK
    yield filler[:left] + NEEDLE


def peak_rss() -> int:
    """The process's peak resident size so far, in bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def incremental(size: int, memory: int) -> dict[str, float]:
    before = peak_rss()
    start = time.perf_counter()
    output = Output(memory)
    search = output.search_any([PATTERN])
    found = search.poll()
    for data in reads(size):
        output.append("stdout", data)
        found = search.poll()
    elapsed = time.perf_counter() - start
    assert found is not None
    assert found[0].end == size - 1, found
    result = {
        "seconds": elapsed,
        "decoded": output.decoded_bytes / size,
        "spilled": float(output.spilled),
        "peak": (peak_rss() - before) / size,
    }
    output.close()
    return result


def old_way(size: int) -> float:
    """What ``expect`` did before: decode everything after the cursor on every read."""
    buffer = bytearray()
    start = time.perf_counter()
    for data in reads(size):
        buffer.extend(data)
        if PATTERN.search(buffer.decode("utf-8", "replace")):
            break
    return time.perf_counter() - start


def floor(size: int) -> float:
    data = b"".join(reads(size))
    start = time.perf_counter()
    match = PATTERN.search(data.decode("utf-8", "surrogateescape"))
    elapsed = time.perf_counter() - start
    assert match is not None
    return elapsed


def one(size: int, memory: int, old: bool) -> None:
    """One measure, in this interpreter: printed as JSON for the parent."""
    result = incremental(size, memory)
    result["floor"] = min(floor(size) for _ in range(3))
    if old:
        result["old"] = old_way(size)
    print(json.dumps(result))


def measure(size: int, memory: int, old: bool) -> dict[str, float]:
    command = [sys.executable, __file__, "--one", str(size), "--memory", str(memory)]
    if old:
        command.append("--old")
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100], help="output sizes in MB")
    parser.add_argument("--memory", default=format_size(DEFAULT_OUTPUT_MEMORY), help="the bound, as the setting")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--old", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    memory = parse_size(args.memory, "--memory")
    if args.one is not None:
        one(args.one, memory, args.old)
        return
    print(f"a search polled after each 64 KiB read, the pattern in the last one; bound {format_size(memory)}")
    columns = ("size", 7), ("ms/MB", 7), ("floor ms/MB", 11), ("ratio", 6), ("decoded", 8), ("spilled", 7)
    print("  ".join(f"{name:>{width}}" for name, width in columns), f" {'peak/size':>9}")
    smallest = min(args.sizes)
    old: dict[int, float] = {}
    for size_mb in args.sizes:
        size = size_mb * MB
        result = measure(size, memory, size_mb == smallest)
        if "old" in result:
            old[size_mb] = result["old"]
        per_mb = result["seconds"] * 1000 / size_mb
        floor_mb = result["floor"] * 1000 / size_mb
        print(
            f"{size_mb:>4} MB  {per_mb:7.2f}  {floor_mb:11.2f}  {per_mb / floor_mb:5.1f}x  "
            f"{result['decoded']:7.2f}x  {'yes' if result['spilled'] else 'no':>7}  {result['peak']:8.2f}x"
        )
    for size_mb, seconds in old.items():
        print(f"the old way at {size_mb} MB: {seconds * 1000 / size_mb:.1f} ms/MB (it grows with the size)")
    print("decoded: bytes decoded for matching per byte of output; peak/size: peak RSS growth over the size")


if __name__ == "__main__":
    main()
