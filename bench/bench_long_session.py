"""A long session: what a test that uses the plugin leaves behind, and whether
the 10,000th costs what the first did.

Runs suites of 1,000 and 10,000 tests of three kinds, serially and under
``-n 2``: plain tests (what pytest itself keeps per test), tests that each
``send_signal`` once to the test process, and tests that each ``spawn`` a child
and wait for it. Each pytest process reports, at the end of its session and
after a garbage collection, how much its resident memory and its count of live
objects grew, and the time between its first test's start and its last test's
end. Printed per kind:

* retained per test beyond pytest's own: (growth of the kind - growth of the
  plain suite of the same size) / tests, in bytes and objects
  (target: at most 1 KB);
* time per test at each size, and the ratio 10,000 / 1,000
  (target: within 10%).

A benchmark, not a test: nothing fails on a timing. Run it on a quiet machine.

    python bench/bench_long_session.py [--sizes 1000 10000] [--modes 0 2] [--kinds plain send spawn]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CONFTEST = """
import gc, json, os, time

def _rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0

def pytest_collection_finish(session):
    gc.collect()
    session.config._bench = {"rss": _rss(), "objects": len(gc.get_objects()), "first": None, "last": None, "n": 0}

def pytest_runtest_logstart(nodeid, location):
    pass

def pytest_runtest_protocol(item, nextitem):
    bench = item.config._bench
    if bench["first"] is None:
        bench["first"] = time.perf_counter()

def pytest_runtest_logfinish(nodeid, location):
    pass

def pytest_runtest_teardown(item, nextitem):
    pass

def pytest_runtest_makereport(item, call):
    if call.when == "teardown":
        bench = item.config._bench
        bench["last"], bench["n"] = time.perf_counter(), bench["n"] + 1

def pytest_sessionfinish(session):
    bench = getattr(session.config, "_bench", None)
    if bench is None or not bench["n"]:
        return
    gc.collect()
    out = {
        "rss": _rss() - bench["rss"],
        "objects": len(gc.get_objects()) - bench["objects"],
        "n": bench["n"],
        "seconds": bench["last"] - bench["first"],
    }
    with open(os.path.join(os.environ["BENCH_OUT"], f"{os.getpid()}.json"), "w") as f:
        json.dump(out, f)
"""

TESTS = {
    "plain": """
import pytest
@pytest.mark.parametrize("i", range({n}))
def test_plain(i):
    pass
""",
    "send": """
import signal, pytest
def on_usr1(signum, frame):
    pass
@pytest.mark.parametrize("i", range({n}))
def test_send(i, send_signal):
    previous = signal.signal(signal.SIGUSR1, on_usr1)
    send_signal(signal.SIGUSR1)
    signal.signal(signal.SIGUSR1, previous)
""",
    "spawn": """
import sys, pytest
@pytest.mark.parametrize("i", range({n}))
def test_spawn(i, spawn):
    assert spawn([sys.executable, "-c", "pass"]).wait() == 0
""",
}


def run(kind: str, n: int, workers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "conftest.py").write_text(CONFTEST)
        (root / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
        (root / f"test_{kind}.py").write_text(TESTS[kind].format(n=n))
        out = root / "out"
        out.mkdir()
        extra = ["-n", str(workers)] if workers else ["-p", "no:xdist"]
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra],
            cwd=root,
            env={**__import__("os").environ, "BENCH_OUT": str(out)},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        reports = [json.loads(p.read_text()) for p in out.glob("*.json")]
    tests = sum(r["n"] for r in reports)
    return {
        "tests": tests,
        "rss_per_test": sum(r["rss"] for r in reports) / tests,
        "objects_per_test": sum(r["objects"] for r in reports) / tests,
        # each worker's own pace: seconds per test in that process, averaged
        "seconds_per_test": sum(r["seconds"] / max(1, r["n"] - 1) for r in reports) / len(reports),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--modes", type=int, nargs="+", default=[0, 2], help="xdist workers (0: serial)")
    parser.add_argument("--kinds", nargs="+", default=["send", "spawn"], choices=["send", "spawn"])
    args = parser.parse_args()
    small, large = min(args.sizes), max(args.sizes)
    for workers in args.modes:
        mode = "serial" if workers == 0 else f"-n {workers}"
        plain = {n: run("plain", n, workers) for n in args.sizes}
        print(f"{mode}:")
        for n in args.sizes:
            print(
                f"  plain x {n:>6}: {plain[n]['seconds_per_test'] * 1e3:6.3f} ms per test; "
                f"{plain[n]['rss_per_test']:.0f} B per test (pytest's own reports)"
            )
        for kind in args.kinds:
            result = {n: run(kind, n, workers) for n in args.sizes}
            for n in args.sizes:
                extra = result[n]["rss_per_test"] - plain[n]["rss_per_test"]
                objects = result[n]["objects_per_test"] - plain[n]["objects_per_test"]
                cost = result[n]["seconds_per_test"] - plain[n]["seconds_per_test"]
                print(
                    f"  {kind:5} x {n:>6}: {result[n]['seconds_per_test'] * 1e3:6.3f} ms per test "
                    f"({cost * 1e3:+.3f} ms on a plain test); beyond plain tests: {extra:6.0f} B, "
                    f"{objects:5.1f} objects per test"
                )
            if small != large:

                def grown(r: dict[int, dict[str, float]], key: str) -> float:
                    return (r[large][key] * r[large]["tests"] - r[small][key] * r[small]["tests"]) / (
                        r[large]["tests"] - r[small]["tests"]
                    )

                slope = grown(result, "rss_per_test") - grown(plain, "rss_per_test")
                objects = grown(result, "objects_per_test") - grown(plain, "objects_per_test")
                ratio = result[large]["seconds_per_test"] / result[small]["seconds_per_test"]
                print(
                    f"  {kind:5} each further test keeps {slope:.0f} B, {objects:.2f} objects beyond a plain "
                    f"test (target <= 1024 B); time per test at {large} / at {small}: {ratio:.2f} (target <= 1.10)"
                )


if __name__ == "__main__":
    main()
