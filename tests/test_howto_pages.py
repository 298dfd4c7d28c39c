"""The two worked how-to pages, tested as written: every file of each example
is on its page, whole, and the files pass, copied as a reader saves them
(the service as its own project, with its own ``pythonpath = ["src"]``); the
failure the service page shows is the one a test that does not catch it gets."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "examples" / "cli"
SERVICE = ROOT / "examples" / "service"
# Only for `pytest examples` run from the repository (it puts src/ on sys.path as
# the project's own setting does): not part of the project a reader saves.
NOT_SAVED = {"conftest.py"}


def _files(folder: Path) -> set[str]:
    return {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.name not in NOT_SAVED
    }


def _included(page: str, folder: str) -> set[str]:
    found = re.findall(rf"literalinclude:: \.\./examples/{folder}/(\S+)\n   :language: \w+\n   :caption: (\S+)", page)
    assert all(path == caption for path, caption in found), found  # the caption is where to save it
    return {path for path, _ in found}


def test_every_file_of_each_example_is_on_its_page() -> None:
    cli = (ROOT / "docs" / "howto-cli.rst").read_text()
    service = (ROOT / "docs" / "howto-service.rst").read_text()
    assert _included(cli, "cli") == _files(CLI)
    empty = {name for name in _files(SERVICE) if not (SERVICE / name).read_text()}
    assert empty == {"src/svc/__init__.py"}
    assert "src/svc/__init__.py       (empty)" in service
    assert _included(service, "service") == _files(SERVICE) - empty
    for page in (cli, service):
        assert ":pyobject:" not in page  # whole files only
        assert ":lines:" not in page
    howto = (ROOT / "docs" / "howto.rst").read_text()
    assert "   howto-cli\n   howto-service\n" in howto


def _save(pytester: pytest.Pytester, folder: Path) -> None:
    for name in _files(folder):
        (pytester.path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(folder / name, pytester.path / name)


def test_the_cli_page_passes_as_written(pytester: pytest.Pytester, run) -> None:
    _save(pytester, CLI)
    run().assert_outcomes(passed=4)


@pytest.mark.parametrize("method", ["forkserver", "exec"])
def test_the_service_page_passes_as_written(pytester: pytest.Pytester, method: str) -> None:
    (pytester.path / "tox.ini").unlink()  # the project's own pyproject.toml is its only configuration
    _save(pytester, SERVICE)
    (pytester.path / "tests" / "test_how_it_started.py").write_text(
        "def test_forked_from_the_template_when_it_can(spawn, request):\n"
        "    proc = spawn('svc.worker')\n"
        "    proc.expect('ready')\n"
        "    method = request.config.getoption('signal_start_method')\n"
        "    assert proc.forked is (method == 'forkserver'), repr(proc)\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--signal-start-method={method}")
    passed = 4 if sys.platform.startswith("linux") else 3
    result.assert_outcomes(passed=passed, skipped=4 - passed)
    assert "configfile: pyproject.toml" in result.stdout.str()


def _claimed(page: str) -> list[str]:
    """The page's failure, as fnmatch patterns: numbers, addresses and "..." match anything."""
    block = re.search(r"\.\. code-block:: text\n\n((?:        .*\n|\n)+)", page)
    assert block is not None
    patterns = []
    for line in block.group(1).splitlines():
        if line.strip():
            line = re.sub(r"0x[0-9a-f]+", "0x*", line.strip().replace("[", "[[]"))
            line = re.sub(r"\d+(\.\d+)?", "*", line).replace("...", "*")
            patterns.append(f"*{line}*")
    return patterns


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a stuck child shows its stacks on Linux")
def test_the_service_page_shows_the_failure_a_hanging_shutdown_gives(pytester: pytest.Pytester) -> None:
    (pytester.path / "tox.ini").unlink()
    _save(pytester, SERVICE)
    test = (pytester.path / "tests" / "test_service.py").read_text()
    caught = "    with pytest.raises(WaitFailed) as hung:\n        proc.wait(timeout=1)"
    assert caught in test
    uncaught = test.split(caught)[0] + "    proc.wait(timeout=1)\n"  # the same test, not catching it
    (pytester.path / "tests" / "test_service.py").write_text(uncaught)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", "hangs")
    result.assert_outcomes(failed=1, deselected=2)
    claimed = _claimed((ROOT / "docs" / "howto-service.rst").read_text())
    assert len(claimed) > 15
    result.stdout.fnmatch_lines(claimed, consecutive=False)
