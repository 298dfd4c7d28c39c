"""What a new user meets first: the installed wheel in a project of theirs,
the tutorial's files, the README's commands and the fixtures' signatures.

The ``fresh_venv`` tests build the wheel and install it, without extras, into
a new virtual environment, next to a second one that has only the same
pytest; a plain suite must run the same in both. They need the package index
(deselect with ``-m "not fresh_venv"``).
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "examples" / "tutorial"

PLAIN_SUITE = """
def test_one():
    assert 1 + 1 == 2


def test_two():
    assert "signal".upper() == "SIGNAL"


def test_three():
    assert sorted([3, 1, 2]) == [1, 2, 3]


def test_fails():
    assert 1 + 1 == 3
"""

SIGNAL_SUITE = """
import signal


def test_sigterm_handled(send_signal, signal_log):
    calls = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: calls.append(signum))
    try:
        send_signal(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert calls == [signal.SIGTERM]
    signal_log.assert_handled(signal.SIGTERM, times=1)
"""


# -- without pytest-asyncio ---------------------------------------------------------


def test_nothing_in_the_package_imports_pytest_asyncio() -> None:
    importers = []
    for path in sorted((ROOT / "pytest_signals").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name.split(".")[0] == "pytest_asyncio" for name in names):
                importers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert importers == []


def test_send_signal_without_pytest_asyncio(pytester: pytest.Pytester, run) -> None:
    pytester.makeini("[pytest]\n")  # no asyncio_* key: pytest-asyncio is not loaded
    pytester.makepyfile(SIGNAL_SUITE)
    result = run("-p", "no:asyncio", "-W", "error")
    result.assert_outcomes(passed=1)
    assert "warning" not in result.stdout.str().lower()


def test_await_send_signal_with_anyio_alone(pytester: pytest.Pytester, run, anyio_both_backends) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        """
        import signal

        import anyio
        import pytest


        @pytest.mark.anyio
        async def test_receiver(send_signal):
            with anyio.open_signal_receiver(signal.SIGUSR1) as received:
                await send_signal(signal.SIGUSR1)
                async for signum in received:
                    assert signum == signal.SIGUSR1
                    break
        """
    )
    result = run("-p", "no:asyncio", "-W", "error")
    result.assert_outcomes(passed=2)


# -- the wheel in fresh virtual environments -----------------------------------------


@dataclass(frozen=True)
class FreshVenvs:
    wheel: Path
    plugin: Path  # python of a venv with the wheel (no extras) and pytest
    bare: Path  # python of a venv with only the same pytest


def _clean_env() -> dict[str, str]:
    """The environment without what the outer session (pytest, xdist, coverage, a venv) set."""
    dropped = ("PYTEST_", "COV_CORE_", "PYTHONPATH", "PYTHONHOME", "PYTHONWARNINGS", "PYTHONSTARTUP", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run_together(commands: list[list[str]], cwd: Path) -> None:
    """Run the commands side by side; fail with the output of any that failed."""
    logs = [cwd / f"step-{i}.log" for i in range(len(commands))]
    with contextlib.ExitStack() as stack:
        procs = []
        for command, log in zip(commands, logs, strict=True):
            out = stack.enter_context(log.open("wb"))
            procs.append(subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=_clean_env(), cwd=cwd))
        codes = [proc.wait() for proc in procs]
    for command, code, log in zip(commands, codes, logs, strict=True):
        assert code == 0, f"{command} exited with {code}:\n{log.read_text(errors='replace')}"


def _build(where: Path) -> FreshVenvs:
    where.mkdir(parents=True, exist_ok=True)
    dist = where / "dist"
    plugin, bare = where / "with-plugin", where / "pytest-only"
    pytest_req = f"pytest=={pytest.__version__}"
    _run_together(
        [
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(ROOT)],
            [sys.executable, "-m", "venv", str(plugin)],
            [sys.executable, "-m", "venv", str(bare)],
        ],
        where,
    )
    (wheel,) = dist.glob("pytest_signals-*.whl")
    pythons = (plugin / "bin" / "python", bare / "bin" / "python")
    install = [str(pythons[0]), "-m", "pip", "install", "-q", str(wheel), pytest_req]
    _run_together([install, [str(pythons[1]), "-m", "pip", "install", "-q", pytest_req]], where)
    return FreshVenvs(wheel, *pythons)


@pytest.fixture(scope="module")
def fresh_venvs(tmp_path_factory: pytest.TempPathFactory) -> FreshVenvs:
    """One pair of virtual environments for the module, and for every xdist worker of the run."""
    if sys.platform == "win32":  # pragma: no cover
        pytest.skip("the virtual environments are laid out for POSIX")
    import fcntl

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's directory, common to its workers
    where = shared / "fresh-venvs"
    with (shared / "fresh-venvs.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker builds; the others wait, then reuse
        ready = where / "ready"
        if not ready.exists():
            shutil.rmtree(where, ignore_errors=True)  # what a failed attempt left
            venvs = _build(where)
            ready.write_text("\n".join(str(p) for p in (venvs.wheel, venvs.plugin, venvs.bare)))
        wheel, plugin, bare = ready.read_text().splitlines()
    return FreshVenvs(Path(wheel), Path(plugin), Path(bare))


def _pytest(python: Path, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(python), "-m", "pytest", "-p", "no:cacheprovider", *args]
    return subprocess.run(command, cwd=project, env=_clean_env(), capture_output=True, text=True, timeout=120)


_HEADER = re.compile(r"^(platform |rootdir: |configfile: |plugins: |signals: |cachedir: )")


def _comparable(output: str) -> list[str]:
    """The report without the header lines that name the plugin, and without durations."""
    return [re.sub(r" in \d+\.\d+s", "", line) for line in output.splitlines() if not _HEADER.match(line)]


@pytest.fixture
def plain_project(tmp_path: Path) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_plain.py").write_text(PLAIN_SUITE)
    return tmp_path


@pytest.mark.fresh_venv
@pytest.mark.timeout(300)
def test_a_plain_suite_runs_as_without_the_plugin(fresh_venvs: FreshVenvs, plain_project: Path) -> None:
    with_plugin = _pytest(fresh_venvs.plugin, plain_project, "-W", "error")
    without = _pytest(fresh_venvs.bare, plain_project, "-W", "error")

    assert "signals-" in with_plugin.stdout, with_plugin.stdout + with_plugin.stderr  # "plugins: signals-0.1.0"
    assert "signals-" not in without.stdout
    assert (with_plugin.returncode, without.returncode) == (pytest.ExitCode.TESTS_FAILED,) * 2
    assert re.fullmatch(r"=+ 1 failed, 3 passed =+", _comparable(with_plugin.stdout)[-1]), with_plugin.stdout
    assert _comparable(with_plugin.stdout) == _comparable(without.stdout)
    for result in (with_plugin, without):
        assert "warning" not in (result.stdout + result.stderr).lower(), result.stdout + result.stderr


@pytest.mark.fresh_venv
@pytest.mark.timeout(300)
def test_the_installed_plugin_works_without_extras(fresh_venvs: FreshVenvs, tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_signal.py").write_text(SIGNAL_SUITE)
    probe = "import importlib.util as u; print(u.find_spec('pytest_asyncio') is None)"
    no_asyncio = subprocess.run([str(fresh_venvs.plugin), "-c", probe], capture_output=True, text=True, check=True)
    assert no_asyncio.stdout.strip() == "True"  # no extras: pytest-asyncio is not installed

    result = _pytest(fresh_venvs.plugin, tmp_path, "-W", "error")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert "warning" not in (result.stdout + result.stderr).lower()


@pytest.mark.fresh_venv
@pytest.mark.timeout(300)
def test_the_wheel_ships_the_license(fresh_venvs: FreshVenvs) -> None:
    with zipfile.ZipFile(fresh_venvs.wheel) as wheel:
        licenses = [n for n in wheel.namelist() if n.endswith("/LICENSE")]
        assert licenses, wheel.namelist()
        assert "MIT License" in wheel.read(licenses[0]).decode()


# -- the tutorial --------------------------------------------------------------------


def _claimed_output(rst: str) -> list[list[str]]:
    """The ``code-block:: text`` blocks of a page, as fnmatch patterns: numbers
    (times, pids) and a trailing ``...`` match anything."""
    blocks = re.findall(r"^\.\. code-block:: text\n\n((?:    .*\n|\n)+)", rst, re.MULTILINE)
    patterns = []
    for block in blocks:
        lines = []
        for line in inspect.cleandoc(block).splitlines():
            line = line.removesuffix("...").rstrip().replace("[", "[[]")
            lines.append("*" + re.sub(r"\d+(\.\d+)?", "*", line) + "*")
        patterns.append(lines)
    return patterns


@pytest.fixture
def tutorial_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """The tutorial's files, as a reader saves them: side by side, nothing else."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    for name in ("worker.py", "test_worker.py", "test_ctrl_c.py", "test_mistakes.py"):
        shutil.copy(TUTORIAL / name, pytester.path / name)
    return pytester


def test_every_tutorial_file_is_on_the_page() -> None:
    page = (ROOT / "docs" / "tutorial.rst").read_text()
    include = r"literalinclude:: \.\./examples/tutorial/(\S+)\n   :language: python\n   :caption: \1"
    assert set(re.findall(include, page)) == {p.name for p in TUTORIAL.glob("*.py") if p.name != "conftest.py"}
    assert ":pyobject:" not in page  # whole files only


def test_no_page_includes_a_line_range() -> None:
    pages = [p.name for p in (ROOT / "docs").rglob("*.rst") if ":lines:" in p.read_text()]
    assert pages == []  # :pyobject: or :start-after:/:end-before: markers move with the code


@pytest.mark.parametrize(("name", "passed"), [("test_worker.py", 2), ("test_ctrl_c.py", 2)])
def test_tutorial_tests_pass(tutorial_project: pytest.Pytester, name: str, passed: int) -> None:
    result = tutorial_project.runpytest_subprocess("-p", "no:cacheprovider", name)
    result.assert_outcomes(passed=passed)


def test_tutorial_passing_timeline_with_rP(tutorial_project: pytest.Pytester) -> None:
    result = tutorial_project.runpytest_subprocess("-p", "no:cacheprovider", "-rP", "test_worker.py")
    result.stdout.fnmatch_lines(
        ["*Captured signal timeline call*", "*sent*SIGTERM*", "*handled*SIGTERM*handler=worker.Worker.on_sigterm*"]
    )


def test_tutorial_mistakes_fail_as_the_page_shows(tutorial_project: pytest.Pytester) -> None:
    result = tutorial_project.runpytest_subprocess("-p", "no:cacheprovider", "test_mistakes.py")
    result.assert_outcomes(failed=2)
    claims = _claimed_output((ROOT / "docs" / "tutorial.rst").read_text())
    assert len(claims) == 2
    for lines in claims:
        result.stdout.fnmatch_lines(lines, consecutive=False)


# -- the README ----------------------------------------------------------------------


def _signature(name: str, method: object) -> str:
    sig = inspect.signature(method)  # type: ignore[arg-type]
    params = [p.replace(annotation=inspect.Parameter.empty) for p in list(sig.parameters.values())[1:]]
    return f"{name}{inspect.Signature(params)} -> {sig.return_annotation}"


def test_signatures_are_the_fixtures_own() -> None:
    from pytest_signals import SignalSender, Spawner, plugin

    expected = {"send_signal": _signature("send_signal", SignalSender.__call__)}
    expected["spawn"] = _signature("spawn", Spawner.__call__)
    snippet = (ROOT / "docs" / "_snippets" / "signatures.rst").read_text()
    readme = (ROOT / "README.md").read_text()
    for name, signature in expected.items():
        assert f"    {signature}\n" in snippet, (signature, snippet)
        assert f"`{signature}`" in readme, signature
        docstring = " ".join((inspect.getdoc(getattr(plugin, name)) or "").split())  # wrapped lines joined
        assert signature.split(" -> ")[0] in docstring, (signature, docstring)
    assert "    signal_log -> SignalLog\n" in snippet
    for page in ("reference.rst", "index.rst"):
        assert ".. include:: _snippets/signatures.rst" in (ROOT / "docs" / page).read_text()


def test_readme_commands_are_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", readme, re.DOTALL)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2
    for command in commands:
        assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && python -m pip install -e ")
    assert commands[0].endswith(" && python -m pytest examples")
    assert commands[1].endswith(" && python -m pytest -n 2 tests")
    ci = (ROOT / ".ci" / "run").read_text()
    assert "\npython -m pytest -n 2 tests\n" in ci
    assert "\npython -m pytest examples\n" in ci
