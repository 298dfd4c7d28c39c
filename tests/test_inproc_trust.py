"""What the plugin does inside the test process can be trusted: nothing it
leaves pending, armed, patched or unblocked reaches a later test, its own
threads take no signal, and signals it cannot contain are refused.

Every inner session runs with a ``timeout=`` so that a hang is a failure. A
session whose code signals its own process group starts in a new session
(``os.setsid()``), so that on a plugin that lets the signal through, only that
session dies.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

# A following test that uses nothing of the plugin, checking the mask is clean.
MASK_IS_CLEAN = """
def test_after():
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == set()
    assert signal.sigpending() == set()
"""

# The prelude tests of scenario 3: one starts the plugin's watchdog thread, one spawns a child.
PLUGIN_THREADS = """
import os, signal, sys, threading

def test_watchdog(send_signal):
    got = []
    previous = signal.signal(signal.SIGUSR2, lambda s, f: got.append(s))
    try:
        assert send_signal(signal.SIGUSR2).handled
    finally:
        signal.signal(signal.SIGUSR2, previous)
    assert got == [signal.SIGUSR2]

def test_spawn(spawn):
    assert spawn([sys.executable, "-c", "pass"]).wait() == 0
"""


def py(*parts: str) -> str:
    """Inner source from pieces, each dedented on its own."""
    return "\n".join(textwrap.dedent(part) for part in parts)


def inner(pytester: pytest.Pytester, *args: str, timeout: float = 60) -> pytest.RunResult:
    """The inner session in a fresh pytest process, bounded by *timeout*."""
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=timeout)


def wrapped(pytester: pytest.Pytester, prelude: str, *args: str, timeout: float = 60) -> pytest.RunResult:
    """The inner session started by ``python -c prelude`` which then execs pytest."""
    execv = "os.execv(sys.executable, [sys.executable, '-m', 'pytest', *sys.argv[1:]])"
    code = f"import os, signal, sys\n{prelude}\n{execv}"
    basetemp = f"--basetemp={pytester.path / 'basetemp'}"
    return pytester.run(sys.executable, "-c", code, "-p", "no:cacheprovider", basetemp, *args, timeout=timeout)


def leak_warned(result: pytest.RunResult, pattern: str) -> None:
    result.stdout.fnmatch_lines(["*warnings summary*", "*SignalLeakWarning*", pattern])


# 1. A signal left blocked and pending at the end of a test


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"])
def test_pending_blocked_signal_is_discarded(pytester: pytest.Pytester, name: str) -> None:
    pytester.makepyfile(
        py(
            f"""
            import signal
            def test_pending(send_signal):
                signal.pthread_sigmask(signal.SIG_BLOCK, {{signal.{name}}})
                d = send_signal(signal.{name})
                assert d.outcome == "blocked"
            """,
            MASK_IS_CLEAN,
        )
    )
    result = inner(pytester)
    assert result.ret == pytest.ExitCode.OK, result.ret
    result.assert_outcomes(passed=2)
    result.stdout.no_fnmatch_line("*KeyboardInterrupt*")
    result.stdout.no_fnmatch_line("*Interrupted*")
    if name == "SIGTERM":
        leak_warned(result, "*SIGTERM*pending*discarded*")


def test_pending_signal_of_a_test_that_raised(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        py(
            """
            import os, signal, pytest
            @pytest.mark.sends_signal(signal.SIGTERM)
            def test_boom():
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
                os.kill(os.getpid(), signal.SIGTERM)
                raise RuntimeError("boom")
            """,
            MASK_IS_CLEAN,
        )
    )
    result = inner(pytester)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.ret
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*RuntimeError: boom*"])


# 2. A timer armed through a reference bound before the test


@pytest.mark.parametrize("arm", ["alarm(5)", "setitimer(signal.ITIMER_REAL, 5)"], ids=["alarm", "setitimer"])
def test_timer_armed_through_prebound_reference(pytester: pytest.Pytester, arm: str) -> None:
    pytester.makepyfile(
        f"""
        import signal, pytest
        from signal import alarm, setitimer
        @pytest.mark.sends_signal(signal.SIGALRM)
        def test_arm():
            {arm}
        def test_after():
            assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        """
    )
    result = inner(pytester)
    result.assert_outcomes(passed=2)
    leak_warned(result, "*timer was left armed*")


# 3. The plugin's threads take no signal


def test_plugin_threads_leave_process_signals_to_the_code(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        PLUGIN_THREADS
        + """
def test_sigwait():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    try:
        for _ in range(20):
            got = []
            worker = threading.Thread(target=lambda: got.append(signal.sigwait({signal.SIGUSR1})))
            worker.start()
            os.kill(os.getpid(), signal.SIGUSR1)
            worker.join(10)
            assert got == [signal.SIGUSR1]
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})
"""
    )
    result = inner(pytester)
    assert result.ret == pytest.ExitCode.OK, result.ret
    result.assert_outcomes(passed=3)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/task")
def test_plugin_threads_block_every_signal(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        PLUGIN_THREADS
        + """
import glob
def test_blocked():
    unblocked = {}
    for status in glob.glob("/proc/self/task/*/status"):
        if status.split("/")[4] == str(os.getpid()):
            continue
        fields = dict(line.split(":\\t", 1) for line in open(status).read().splitlines() if ":\\t" in line)
        mask = int(fields["SigBlk"], 16)
        missing = [n for n in range(1, 65) if n not in (9, 19, 32, 33) and not mask >> (n - 1) & 1]  # KILL, STOP: never
        if missing:
            unblocked[fields["Name"].strip()] = missing
    assert unblocked == {}
"""
    )
    result = inner(pytester)
    result.assert_outcomes(passed=3)


# 4. Handlers installed from C (faulthandler.register)

FAULTHANDLER_CONFTEST = """
import faulthandler, os, signal, pytest
DUMP = open(os.path.join(os.path.dirname(__file__), "dump.txt"), "w")
faulthandler.register(signal.SIGUSR1, file=DUMP, all_threads=False)

@pytest.fixture
def dump_size():
    def size():
        DUMP.flush()
        return os.path.getsize(DUMP.name)
    return size
"""

FAULTHANDLER_CATCHES = """
def test_after(dump_size):
    assert dump_size() == 0
    os.kill(os.getpid(), signal.SIGUSR1)
    survived = True
    assert survived and dump_size() > 0
"""


def test_c_level_handler_survives_a_protected_test(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(FAULTHANDLER_CONFTEST)
    pytester.makepyfile(
        py(
            """
            import os, signal
            def test_protected(signal_log):
                signal.signal(signal.SIGUSR2, signal.SIG_IGN)
                signal.signal(signal.SIGUSR2, signal.SIG_DFL)
            """,
            FAULTHANDLER_CATCHES,
        )
    )
    result = inner(pytester)
    assert result.ret == pytest.ExitCode.OK, result.ret
    result.assert_outcomes(passed=2)


def test_c_level_handler_replaced_and_left_is_put_back(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(FAULTHANDLER_CONFTEST)
    pytester.makepyfile(
        py(
            """
            import os, signal
            def test_replaces(signal_log):
                signal.signal(signal.SIGUSR1, lambda *a: None)
            """,
            FAULTHANDLER_CATCHES,
        )
    )
    result = inner(pytester)
    assert result.ret == pytest.ExitCode.OK, result.ret
    result.assert_outcomes(passed=2)
    leak_warned(result, "*SIGUSR1*installed from C*")


# 5. Refusals


@pytest.mark.parametrize("name", ["SIGKILL", "SIGSTOP"])
def test_uncatchable_signal_to_a_thread_is_refused(pytester: pytest.Pytester, name: str) -> None:
    pytester.makepyfile(
        f"""
        import signal, threading, pytest
        def test_main_thread(send_signal):
            with pytest.raises(ValueError, match="thread"):
                send_signal(signal.{name}, to=threading.get_native_id())
        def test_worker_thread(send_signal):
            release = threading.Event()
            worker = threading.Thread(target=release.wait, args=(30,))
            worker.start()
            try:
                with pytest.raises(ValueError, match="thread"):
                    send_signal(signal.{name}, to=worker.native_id)
            finally:
                release.set()
                worker.join()
        def test_after():
            pass
        """
    )
    result = inner(pytester, timeout=30)
    assert result.ret == pytest.ExitCode.OK, result.ret
    result.assert_outcomes(passed=3)


# pid 1 of a new pid namespace, and the parent of the inner pytest: each notes
# a SIGTERM in a file and survives it, then the outer test asserts none came.
NAMESPACE_WRAPPER = """
import signal, subprocess, sys
role, code, args = sys.argv[1], sys.argv[2], sys.argv[3:]
signal.signal(signal.SIGTERM, lambda s, f: open("reached-" + role, "a").write("SIGTERM\\n"))
if role == "init":
    sys.exit(subprocess.call([sys.executable, "-c", code, "parent", code, *args]))
sys.exit(subprocess.call([sys.executable, "-m", "pytest", *args]))
"""


def _pid_namespace() -> list[str]:
    """A command prefix that runs its command as pid 1 of a new pid namespace, or skip."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("needs unshare(1) to give the inner session a pid 1 of its own")
    for extra in ([], ["--user", "--map-root-user"]):
        prefix = [unshare, *extra, "--pid", "--fork", "--kill-child", "--mount-proc"]
        if subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
            return prefix
    pytest.skip("cannot make a pid namespace here")


def _run_in_pid_namespace(pytester: pytest.Pytester, prefix: list[str]) -> tuple[pytest.RunResult, list[str]]:
    """The inner session under two SIGTERM-catching wrappers (pid 1 and pytest's
    parent), and the wrappers a SIGTERM reached."""
    args = ["-p", "no:cacheprovider", f"--basetemp={pytester.path / 'basetemp'}"]
    wrapper = [sys.executable, "-c", NAMESPACE_WRAPPER, "init", NAMESPACE_WRAPPER]
    result = pytester.run(*prefix, *wrapper, *args, timeout=60)
    return result, sorted(p.name for p in pytester.path.glob("reached-*"))


def test_pid_1_and_ancestors_are_refused(pytester: pytest.Pytester) -> None:
    """Run in a pid namespace: on a plugin that sends, only the wrappers get the SIGTERM."""
    prefix = _pid_namespace()
    pytester.makepyfile(
        """
        import os, signal, pytest
        def test_pid_1(send_signal):
            with pytest.raises(ValueError, match="pid 1"):
                send_signal(signal.SIGTERM, to=1)
        def test_parent(send_signal):
            assert os.getppid() != 1
            with pytest.raises(ValueError, match="ancestor"):
                send_signal(signal.SIGTERM, to=os.getppid())
        def test_after():
            pass
        """
    )
    result, reached = _run_in_pid_namespace(pytester, prefix)
    result.assert_outcomes(passed=3)
    assert reached == [], "a SIGTERM reached the wrappers: the plugin sent it"


def test_kill_minus_one_is_contained(pytester: pytest.Pytester) -> None:
    """os.kill(-1, ...) reaches every process the user may signal: run in a pid
    namespace, so that even a plugin that let it through would only hit the wrappers."""
    prefix = _pid_namespace()
    pytester.makepyfile(
        """
        import os, signal, pytest
        @pytest.mark.sends_signal(signal.SIGTERM)
        def test_everyone():
            got = []
            previous = signal.signal(signal.SIGTERM, lambda s, f: got.append(s))
            try:
                os.kill(-1, signal.SIGTERM)
            finally:
                signal.signal(signal.SIGTERM, previous)
            assert got == [signal.SIGTERM]
        def test_after():
            pass
        """
    )
    result, reached = _run_in_pid_namespace(pytester, prefix)
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*os.kill(-1, SIGTERM) would have reached every process this user may signal*"])
    assert reached == [], "the SIGTERM reached the wrappers"


# 6. A signal to the process group is contained (each run in a new session)


@pytest.mark.parametrize("call", ["os.killpg(0, signal.SIGTERM)", "os.kill(0, signal.SIGTERM)"], ids=["killpg", "kill"])
def test_group_signal_is_contained(pytester: pytest.Pytester, call: str) -> None:
    pytester.makepyfile(
        f"""
        import os, signal, pytest
        import subprocess, sys
        CHILD = (
            "import signal; signal.pthread_sigmask(signal.SIG_BLOCK, {{signal.SIGTERM}}); "
            "print('ready', flush=True); signal.sigwait({{signal.SIGTERM}}); print('got', flush=True)"
        )
        @pytest.mark.sends_signal(signal.SIGTERM)
        def test_group():
            # the test's own child, in the same process group: it gets the signal too
            child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
            assert child.stdout.readline() == "ready\\n"
            got = []
            previous = signal.signal(signal.SIGTERM, lambda s, f: got.append(s))
            try:
                {call}
                assert got == [signal.SIGTERM]
            finally:
                signal.signal(signal.SIGTERM, previous)
            assert child.stdout.readline() == "got\\n"
            assert child.wait(timeout=30) == 0
        def test_a():
            pass
        def test_b():
            pass
        """
    )
    result = wrapped(pytester, "os.setsid()", "-n", "2")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.ret
    result.assert_outcomes(failed=1, passed=2)
    shown = call.split("(")[0] + "(0, SIGTERM)"
    result.stdout.fnmatch_lines([f"*{shown} would have reached*outside this test*"])


# 7. Recording stays correct when handlers interrupt the plugin's own code

REENTRANT = """
import os, signal, pytest
def run(send):
    counts = {signal.SIGALRM: 0, signal.SIGUSR1: 0}
    def count(signum, frame):
        counts[signum] += 1
    old_alrm = signal.signal(signal.SIGALRM, count)
    old_usr1 = signal.signal(signal.SIGUSR1, count)
    signal.setitimer(signal.ITIMER_REAL, 0.0001, 0.0001)
    try:
        for _ in range(300):
            send(signal.SIGUSR1)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_alrm)
        signal.signal(signal.SIGUSR1, old_usr1)
    assert counts[signal.SIGUSR1] == 300
    assert counts[signal.SIGALRM] > 0
"""


@pytest.mark.parametrize("via", ["send_signal", "os.kill-no-plugin"])
def test_recording_under_a_fast_timer(pytester: pytest.Pytester, via: str) -> None:
    if via == "send_signal":
        pytester.makepyfile(REENTRANT + "def test_fast(send_signal):\n    run(send_signal)\n")
        args: tuple[str, ...] = ()
    else:  # the same body is fine without the plugin
        pytester.makepyfile(REENTRANT + "def test_fast():\n    run(lambda s: os.kill(os.getpid(), s))\n")
        args = ("-p", "no:signals")
    result = inner(pytester, *args, timeout=120)
    result.assert_outcomes(passed=1)


# 8. A send nested in a handler does not extend the outer send's deadline


def test_nested_send_keeps_the_outer_deadline(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import signal, threading
        def test_nested(send_signal):
            signal.signal(signal.SIGUSR2, lambda s, f: None)
            def on_usr1(signum, frame):
                send_signal(signal.SIGUSR2)
                threading.Event().wait(20)  # noqa: sleep-ok
            signal.signal(signal.SIGUSR1, on_usr1)
            send_signal(signal.SIGUSR1, timeout=1)
        def test_after():
            pass
        """
    )
    result = inner(pytester, "-W", "ignore::pytest_signals.SignalLeakWarning")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*still running after 1s*"])


# 9. Teardown finishes when one of its steps fails


def test_teardown_survives_a_closed_wakeup_fd(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os, signal
        def test_closed_wakeup_fd(send_signal):
            r, w = os.pipe()
            os.set_blocking(w, False)
            signal.set_wakeup_fd(w)
            os.close(r)
            os.close(w)
        def test_after():
            import _signal
            for f in (_signal.signal, _signal.getsignal, os.kill, signal.raise_signal):
                assert type(f).__name__ == "builtin_function_or_method", f
            assert signal.set_wakeup_fd(-1) == -1
        def test_later():
            pass
        """
    )
    result = inner(pytester)
    result.assert_outcomes(passed=3)


# 10. Fault signals with a Python handler


@pytest.mark.parametrize("name", ["SIGSEGV", "SIGFPE"])
def test_fault_signal_with_a_python_handler(pytester: pytest.Pytester, name: str) -> None:
    pytester.makepyfile(
        f"""
        import signal
        SIG = signal.{name}
        def test_handled(send_signal):
            got = []
            signal.signal(SIG, lambda s, f: got.append(s))
            try:
                d = send_signal(SIG)
                assert d.handled
                assert got == [SIG]
            finally:
                signal.signal(SIG, signal.SIG_DFL)
        def test_leaves(send_signal):
            signal.signal(SIG, lambda s, f: None)
        def test_after():
            assert signal.getsignal(SIG) == signal.SIG_DFL
        """
    )
    result = inner(pytester, "--signal-timeout=3")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*warnings summary*", "*test_leaves*", f"*{name}*"])


# 11. Bad input is a clear error naming the value


def test_bad_arguments_name_the_value(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import signal, pytest
        def test_huge_timeout(send_signal):
            previous = signal.signal(signal.SIGUSR1, lambda s, f: None)
            try:
                with pytest.raises(ValueError, match="10000000000"):
                    send_signal(signal.SIGUSR1, timeout=1e10)
            finally:
                signal.signal(signal.SIGUSR1, previous)
        def test_huge_pid(send_signal):
            with pytest.raises(ValueError, match="2147483648"):
                send_signal(signal.SIGTERM, to=2**31)
        def test_string_timeout(send_signal):
            previous = signal.signal(signal.SIGUSR1, lambda s, f: None)
            try:
                with pytest.raises((TypeError, ValueError), match="'5'"):
                    send_signal(signal.SIGUSR1, timeout="5")
            finally:
                signal.signal(signal.SIGUSR1, previous)
        """
    )
    inner(pytester).assert_outcomes(passed=3)


@pytest.mark.parametrize(
    ("value", "named"), [("", r"signal_timeout.*''"), ("1e10", r"1e10|10000000000")], ids=["empty", "1e10"]
)
def test_bad_signal_timeout_is_a_usage_error(pytester: pytest.Pytester, value: str, named: str) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = inner(pytester, f"--signal-timeout={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.ret
    assert re.search(named, result.stderr.str()), result.stderr.str()


def test_marker_with_sigkill_is_a_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import signal, pytest
        @pytest.mark.sends_signal(signal.SIGKILL)
        def test_kill():
            pass
        """
    )
    result = inner(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ERROR collecting*", "*SIGKILL*cannot*"])


# 12. A session started with signals ignored


def test_signals_ignored_at_start_stay_ignored(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import signal
        IGNORED = (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT)
        def test_protected(send_signal):
            assert [signal.getsignal(s) for s in IGNORED] == [signal.SIG_IGN] * 3
            assert send_signal(signal.SIGINT).outcome == "ignored"
            assert send_signal(signal.SIGHUP).outcome == "ignored"
        def test_plain():
            assert [signal.getsignal(s) for s in IGNORED] == [signal.SIG_IGN] * 3
        """
    )
    ignore = "for s in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT): signal.signal(s, signal.SIG_IGN)"
    result = wrapped(pytester, ignore)
    assert result.ret == pytest.ExitCode.OK, result.ret
    result.assert_outcomes(passed=2)


# -- found by a hostile review of the new core ------------------------------------


def test_a_fast_timer_left_running_is_stopped_before_the_defaults_return(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import signal
        def test_leaves_a_10khz_timer(signal_log):
            ticks = []
            signal.signal(signal.SIGALRM, lambda s, f: ticks.append(s))
            signal.setitimer(signal.ITIMER_REAL, 0.0001, 0.0001)
            while len(ticks) < 5:
                pass
        def test_after():
            assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        """
    )
    for _ in range(3):  # a tick between SIG_DFL and the timer's stop would kill pytest
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=60)
        result.assert_outcomes(passed=2, warnings=1)
        result.stdout.fnmatch_lines(["*an alarm/interval timer was left armed*"])


def test_a_periodic_timer_whose_tick_is_pending_is_reported_armed(pytester: pytest.Pytester) -> None:
    # Linux re-arms a periodic ITIMER_REAL only when its SIGALRM is taken: with
    # the tick pending, getitimer reads 0s to go, and only the interval says armed.
    pytester.makepyfile(
        """
        import signal, time
        def test_leaves_a_blocked_periodic_timer(signal_log):
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
            deadline = time.monotonic() + 10
            while signal.SIGALRM not in signal.sigpending():
                assert time.monotonic() < deadline, "the timer's tick never became pending"
            assert signal.getitimer(signal.ITIMER_REAL)[0] == 0.0
        def test_after():
            assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
            assert signal.SIGALRM not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=60)
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(["*an alarm/interval timer was left armed (every 0.001s)*"])


@pytest.mark.parametrize(("which", "sig"), [("ITIMER_PROF", "SIGPROF"), ("ITIMER_VIRTUAL", "SIGVTALRM")])
def test_cpu_time_timers_left_armed_are_disarmed(pytester: pytest.Pytester, which: str, sig: str) -> None:
    pytester.makepyfile(
        f"""
        import signal
        def test_arms(signal_log):
            signal.signal(signal.{sig}, lambda s, f: None)
            signal.setitimer(signal.{which}, 0.001, 0.001)
        def test_after():
            assert signal.getitimer(signal.{which}) == (0.0, 0.0)
            n = 0
            for i in range(2_000_000):  # CPU time: a timer still armed would fire {sig}
                n += i
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=60)
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines([f"*an {which} timer was left armed*{sig}*"])


def test_a_fixture_that_signals_while_it_stops_is_covered(pytester: pytest.Pytester) -> None:
    """The guard is the first function-scoped fixture: set up before the test's own, torn down after."""
    pytester.makepyfile(
        """
        import os, signal, threading, pytest
        @pytest.fixture
        def spammer():
            stop, threads = threading.Event(), []
            def start():
                def spam():
                    while not stop.is_set():
                        os.kill(os.getpid(), signal.SIGUSR1)
                threads.append(threading.Thread(target=spam, daemon=True))
                threads[0].start()
            yield start
            stop.set()
            threads[0].join()
        def test_spams(spammer, send_signal):
            seen = []
            signal.signal(signal.SIGUSR1, lambda s, f: seen.append(s))
            spammer()
            while len(seen) < 100:
                pass
        def test_after():
            pass
        """
    )
    for _ in range(3):
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=60)
        assert result.ret in (0, 1), result.ret  # not killed by SIGUSR1
        result.assert_outcomes(passed=2, warnings=1)


def test_faulthandler_state_is_put_back_through_faulthandler(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import faulthandler, os, signal
        def test_registers(send_signal):
            faulthandler.register(signal.SIGUSR1, file=open(os.devnull, "w"))
        def test_registers_again_without_the_plugin():
            faulthandler.register(signal.SIGUSR1, file=open(os.devnull, "w"))
            os.kill(os.getpid(), signal.SIGUSR1)  # faulthandler's, not SIG_DFL
            assert faulthandler.unregister(signal.SIGUSR1)
        def test_disables(send_signal):
            faulthandler.disable()
        def test_a_real_crash_still_ends_the_child():
            import ctypes
            pid = os.fork()
            if pid == 0:
                ctypes.string_at(0)  # a real segfault: must die, not loop in a handler nobody owns
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGSEGV
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=60)
    result.assert_outcomes(passed=4, warnings=2)
    result.stdout.fnmatch_lines(["*SIGUSR1: faulthandler.register() was left in place by the test; unregistered*"])
    result.stdout.fnmatch_lines(["*faulthandler.disable() was called by the test*"])


def test_a_fork_of_the_test_process_reads_back_what_it_set(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os, signal
        def h(signum, frame):
            pass
        def test_fork(send_signal):
            signal.signal(signal.SIGUSR1, h)
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:
                seen = [
                    signal.getsignal(signal.SIGUSR1) is h,
                    signal.getsignal(signal.SIGTERM) == signal.SIG_DFL,
                    signal.getsignal(signal.SIGINT) is signal.default_int_handler,
                    signal.signal(signal.SIGUSR2, signal.SIG_IGN) == signal.SIG_DFL,
                    signal.getsignal(signal.SIGUSR2) == signal.SIG_IGN,
                ]
                os.write(write, repr(seen).encode())
                os._exit(0)
            os.close(write)
            assert os.read(read, 200) == b"[True, True, True, True, True]"
            os.waitpid(pid, 0)
            signal.signal(signal.SIGUSR1, signal.SIG_DFL)
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=60).assert_outcomes(passed=1)


def test_a_handler_may_install_its_own_sigurg_handler(pytester: pytest.Pytester) -> None:
    """SIGURG is the watchdog's while a handler runs; what the handler sets is kept."""
    pytester.makepyfile(
        """
        import os, signal
        def test_sigurg(send_signal):
            got = []
            def on_urg(signum, frame):
                got.append(signum)
            def on_usr1(signum, frame):
                signal.signal(signal.SIGURG, on_urg)
            signal.signal(signal.SIGUSR1, on_usr1)
            send_signal(signal.SIGUSR1)
            os.kill(os.getpid(), signal.SIGURG)
            assert signal.getsignal(signal.SIGURG) is on_urg and got == [signal.SIGURG]
            signal.signal(signal.SIGURG, signal.SIG_DFL)
            signal.signal(signal.SIGUSR1, signal.SIG_DFL)
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=60).assert_outcomes(passed=1)


def test_a_process_the_test_did_not_start_is_refused(pytester: pytest.Pytester) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        pytester.makepyfile(
            f"""
            import signal, subprocess, sys, pytest
            def test_stranger(send_signal):
                with pytest.raises(ValueError, match="not a process this test started"):
                    send_signal(signal.SIGTERM, to={sleeper.pid})
            def test_own_child(send_signal):
                child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
                assert send_signal(signal.SIGTERM, to=child.pid).outcome == "sent"
                assert child.wait(timeout=30) == -signal.SIGTERM
            """
        )
        pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=60).assert_outcomes(passed=2)
        assert sleeper.poll() is None, "the stranger was signalled"
    finally:
        sleeper.communicate(b"", timeout=30)


# The next test: the process as without the plugin, one thread (threading's
# count and the kernel's), and an os.fork() with no warning about threads.
NO_THREAD_AFTER = textwrap.dedent(
    """
    import os, threading, warnings
    def test_after():
        assert [t.name for t in threading.enumerate()] == ["MainThread"]
        assert os.listdir("/proc/self/task") == [str(os.getpid())]
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # 3.12+: "This process is multi-threaded, use of fork()..."
            pid = os.fork()
            if pid == 0:
                os._exit(0)
        assert os.waitpid(pid, 0)[1] == 0
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the watchdog is a thread elsewhere")
def test_no_thread_of_the_plugin_after_send_signal(pytester: pytest.Pytester) -> None:
    """Linux: the handler watchdog is a POSIX timer aimed at the main thread, so
    code under test sees no thread of ours (and os.fork() no multi-threaded warning)."""
    pytester.makepyfile(
        textwrap.dedent(
            """
            import signal
            def test_bounded_send(send_signal):
                signal.signal(signal.SIGUSR1, lambda s, f: None)
                send_signal(signal.SIGUSR1)  # armed and disarmed a deadline
                signal.signal(signal.SIGUSR1, signal.SIG_DFL)
            """
        )
        + NO_THREAD_AFTER
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=60).assert_outcomes(passed=2)


@pytest.mark.parametrize("watchdog", ["kernel timer", "thread"])
def test_a_handler_that_swallows_the_interruption_is_interrupted_again(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, watchdog: str
) -> None:
    """Both watchdogs (a POSIX timer on Linux; the thread, blocking every
    signal, elsewhere) interrupt again until the send gives up."""
    if watchdog == "thread":
        monkeypatch.setenv("PYTEST_SIGNALS_WATCHDOG", "thread")
    threads = ["MainThread"] if watchdog == "kernel timer" and sys.platform.startswith("linux") else None
    pytester.makepyfile(
        f"""
        import signal, threading
        def test_swallows(send_signal):
            def stubborn(signum, frame):
                try:
                    threading.Event().wait(30)  # noqa: sleep-ok - the handler's own blocking
                except BaseException:
                    pass
                threading.Event().wait(30)  # noqa: sleep-ok - and again
            signal.signal(signal.SIGUSR1, stubborn)
            send_signal(signal.SIGUSR1, timeout=1)
        def test_after():
            names = [t.name for t in threading.enumerate()]
            assert names == ({threads!r} or ["MainThread", "pytest-signals watchdog"]), names
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=60)
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*still running after 1s*"])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork server and the kernel-timer watchdog")
def test_no_thread_of_the_plugin_after_a_test_that_spawned(pytester: pytest.Pytester) -> None:
    """The fork server's reader runs only while a call waits on the template,
    and each child's threads end with its teardown: the next test, and an
    os.fork() in it, see the process as without the plugin."""
    pytester.makepyfile(child="import sys; print('up', flush=True); sys.stdin.read()\n")
    pytester.makepyfile(
        textwrap.dedent(
            """
            import signal

            def test_spawns(spawn, send_signal):
                proc = spawn("child.py")
                proc.expect("up")
                send_signal(signal.SIGTERM, to=proc)
                assert proc.wait() == -signal.SIGTERM
                later = spawn("child.py")  # left running: teardown stops it
                later.expect("up")
            """
        )
        + NO_THREAD_AFTER
    )
    for method in ("forkserver", "exec"):
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--signal-start-method={method}", timeout=60)
        result.assert_outcomes(passed=2)
