"""One handler has one name in the test process and in a spawned child: the
child's ``__main__`` is named after the module or file it was started from."""

from __future__ import annotations

import pytest

WORKER = """
import functools, os, signal, sys


class Worker:
    def __init__(self):
        self.stopping = False

    def on_signal(self, signum, frame):
        self.stopping = True

    def install(self):
        signal.signal(signal.SIGTERM, self.on_signal)


def on_hup(name, signum, frame):
    os.write(1, f"reload {name}\\n".encode())  # not print: main may still be in print("ready")


def main():
    worker = Worker()
    worker.install()
    signal.signal(signal.SIGHUP, functools.partial(on_hup, "config"))
    wake_r, wake_w = os.pipe()  # each signal writes a byte: no window between the test and the wait
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    print("ready", flush=True)
    while not worker.stopping:
        os.read(wake_r, 64)
    return 0


if __name__ == "__main__":
    sys.exit(main())
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\npythonpath = src\n")
    (pytester.path / "src" / "svc").mkdir(parents=True)
    (pytester.path / "src" / "svc" / "__init__.py").write_text("")
    (pytester.path / "src" / "svc" / "worker.py").write_text(WORKER)
    (pytester.path / "src" / "svc" / "__main__.py").write_text(WORKER)  # python -m svc runs its own copy
    (pytester.path / "warm_worker.py").write_text(WORKER)
    return pytester


def test_the_report_counts_a_handler_a_child_ran_as_exercised(project: pytest.Pytester, run) -> None:
    """The issue's report: the test installed warm_worker.Worker.on_signal in
    its own process, a child exercised it; it is not "never exercised"."""
    project.makepyfile(
        test_warm="""
        import signal
        import pytest
        import warm_worker

        @pytest.mark.leaves_signal_state(reason="the worker installs its handlers for good")
        def test_installs(signal_log):
            warm_worker.Worker().install()  # nothing is sent here

        def test_child_handles(spawn, send_signal, signal_log):
            proc = spawn("warm_worker.py")
            proc.expect("ready\\n")  # the whole line: a SIGHUP inside print("ready") would re-enter stdout
            delivery = send_signal(signal.SIGTERM, to=proc).wait()
            assert delivery.handler == "warm_worker.Worker.on_signal"
            assert proc.wait() == 0
        """
    )
    result = run("--signal-report")
    result.assert_outcomes(passed=2)
    report = result.stdout.str().split("pytest-signals: signal report", 1)[1]
    assert "warm_worker.Worker.on_signal" not in report, report
    assert "__main__" not in report, report


@pytest.mark.parametrize(
    ("target", "name"),
    [
        ("svc.worker", "svc.worker"),  # python -m svc.worker
        ("svc", "svc.__main__"),  # python -m svc: the package's __main__
        ("src/svc/worker.py", "svc.worker"),  # a file in a package, src on the path
        ("warm_worker.py", "warm_worker"),  # a script beside its modules
        ("svc.worker:main", "svc.worker"),  # imported, as the test imports it
    ],
)
def test_a_childs_main_is_named_after_what_it_was_started_from(
    project: pytest.Pytester, run, target: str, name: str
) -> None:
    project.makepyfile(
        test_names=f"""
        import signal

        def test_names(spawn, send_signal, signal_log):
            proc = spawn({target!r})
            proc.expect("ready\\n")  # the whole line: a SIGHUP inside print("ready") would re-enter stdout
            assert send_signal(signal.SIGHUP, to=proc).wait().handler == "partial({name}.on_hup)"
            assert send_signal(signal.SIGTERM, to=proc).wait().handler == "{name}.Worker.on_signal"
            assert proc.wait() == 0
            installed = {{e.handler for e in signal_log.installed}}
            assert installed == {{"{name}.Worker.on_signal", "partial({name}.on_hup)"}}, installed
            signal_log.assert_handled(signal.SIGTERM, by="Worker.on_signal", process=proc)
        """
    )
    run().assert_outcomes(passed=1)
