from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

# What `nohup` and `cmd &` leave ignored. The suite itself must pass when
# started that way; each inner session it runs starts from the defaults the
# test means (as pexpect's own tests reset an inherited SIG_IGN).
_INHERITED = {signal.SIGHUP: signal.SIG_DFL, signal.SIGINT: signal.default_int_handler, signal.SIGQUIT: signal.SIG_DFL}

BASE_INI = """
[pytest]
asyncio_default_fixture_loop_scope = function
"""


@pytest.fixture(autouse=True)
def _quiet_ini(pytester: pytest.Pytester) -> None:
    """Every pytester run gets an ini that silences pytest-asyncio's config warning."""
    pytester.makeini(BASE_INI)


@pytest.fixture(autouse=True)
def _default_dispositions() -> Iterator[None]:
    """Inner sessions and children start with SIGHUP, SIGINT and SIGQUIT at their defaults."""
    before = {sig: signal.getsignal(sig) for sig in _INHERITED}
    for sig, handler in _INHERITED.items():
        signal.signal(sig, handler)
    yield
    for sig, handler in before.items():
        signal.signal(sig, handler)


def _inner_options(config: pytest.Config) -> list[str]:
    """``pytest tests --signal-start-method=exec`` runs every inner session that way too."""
    method = config.getoption("signal_start_method")
    return [] if method is None else [f"--signal-start-method={method}"]


@pytest.fixture
def run(pytester: pytest.Pytester, request: pytest.FixtureRequest):
    """Run pytest in a subprocess: every test here touches process-wide signal state."""
    inner = _inner_options(request.config)

    def run(*args: str) -> pytest.RunResult:
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", *inner, *args)

    return run


@pytest.fixture
def anyio_both_backends(pytester: pytest.Pytester) -> None:
    """An inner conftest that runs every ``@pytest.mark.anyio`` test on asyncio and trio."""
    pytest.importorskip("anyio")
    pytest.importorskip("trio")
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(params=["asyncio", "trio"])
        def anyio_backend(request):
            return request.param
        """
    )


@pytest.fixture
def interrupt_session(pytester: pytest.Pytester, request: pytest.FixtureRequest):
    """Run pytest in a terminal, press Ctrl-C once it printed READY, and return
    the rest of its output after asserting that it stopped as interrupted.

    ``on_ready(printed)`` gets what pytest printed before READY, before the Ctrl-C.
    """
    pytest.importorskip("pexpect")

    def interrupt(on_ready=None) -> str:
        options = " ".join(["-s", "-p", "no:cacheprovider", *_inner_options(request.config)])
        child = pytester.spawn_pytest(options, expect_timeout=30)
        child.expect("READY")
        if on_ready is not None:
            on_ready(child.before.decode())
        child.sendintr()
        child.expect("KeyboardInterrupt")
        rest: str = child.read().decode()
        child.wait()
        child.close()
        assert child.exitstatus == pytest.ExitCode.INTERRUPTED, rest
        return rest

    return interrupt
