"""What having pytest-signals installed costs a suite that does not use it.

Runs 2,000 trivial tests with the plugin loaded and with ``-p no:signals``,
alternating, several rounds, and prints the median wall times and their ratio.
This is a benchmark, not a test: nothing fails on a timing.

    python bench/bench_overhead.py [--tests 2000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_suite(root: Path, count: int) -> None:
    per_module = 100
    for module in range(count // per_module):
        body = "\n".join(f"def test_{i}():\n    assert {i} == {i}\n" for i in range(per_module))
        (root / f"test_m{module}.py").write_text(body)
    (root / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")


def run(root: Path, *extra: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra],
        cwd=root,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


PROFILE = """
import cProfile, pstats, sys, pytest
profile = cProfile.Profile()
profile.enable()
pytest.main(["-q", "-p", "no:cacheprovider"])
profile.disable()
stats = pstats.Stats(profile).stats
total = sum(row[2] for row in stats.values())
own = sum(row[2] for (path, _, _), row in stats.items() if "pytest_signals" in path)
print(own, total, file=sys.stderr)
"""


def profile_share(root: Path) -> tuple[float, float]:
    """(seconds in pytest-signals' own functions, seconds in all) for one
    profiled run: a measure the machine's noise does not swamp."""
    result = subprocess.run(
        [sys.executable, "-c", PROFILE],
        cwd=root,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    own, total = (float(x) for x in result.stderr.split()[-2:])
    return own, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_suite(root, args.tests)
        run(root)  # warm the file cache and bytecode
        with_plugin, without = [], []
        for _ in range(args.rounds):
            with_plugin.append(run(root))
            without.append(run(root, "-p", "no:signals"))
    a, b = statistics.median(with_plugin), statistics.median(without)
    print(f"{args.tests} tests that do not use the plugin, {args.rounds} runs each (median, fastest)")
    print(f"  plugin installed : {a:.3f}s  {min(with_plugin):.3f}s")
    print(f"  -p no:signals    : {b:.3f}s  {min(without):.3f}s")
    fastest = min(with_plugin) / min(without)
    print(f"  ratio            : {a / b:.3f} (overhead {100 * (a / b - 1):+.1f}%), fastest runs {fastest:.3f}")
    with tempfile.TemporaryDirectory() as tmp:
        make_suite(Path(tmp), args.tests)
        own, total = profile_share(Path(tmp))
    print(
        f"  profiled run     : pytest-signals' own functions {own * 1000:.1f} ms "
        f"of {total:.2f}s ({100 * own / total:.2f}%)"
    )


if __name__ == "__main__":
    main()
