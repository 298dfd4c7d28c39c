"""What runs in other processes imports only the standard library.

``pytest_signals/_remote/`` runs in spawned children, in the fork server's
template and in the keeper; ``_bootstrap/`` starts them. A child must see the
``sys.modules`` it would see without the plugin, so none of them may import a
third-party module, or a part of the plugin outside ``_remote/``. This reads
their imports instead of trusting a hand-kept list.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pytest_signals"
REMOTE = sorted((PACKAGE / "_remote").glob("*.py"))
BOOTSTRAP = sorted((PACKAGE / "_bootstrap").glob("*.py"))


def imports(path: Path) -> list[tuple[int, str, int]]:
    """(line, module, level) of every import in *path*, at any depth: the
    statements, and the calls ``__import__("x")`` and
    ``importlib.import_module("x")`` with a literal name (a computed name
    is an import the checker cannot read: it is reported as ``"?"``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, node.module or "", node.level))
        elif isinstance(node, ast.Call) and _is_import_call(node.func):
            name = node.args[0] if node.args else None
            literal = isinstance(name, ast.Constant) and isinstance(name.value, str)
            found.append((node.lineno, name.value if literal else "?", 0))  # type: ignore[union-attr]
    return found


def _is_import_call(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr in ("__import__", "import_module")


def offending(path: Path, *, allowed_own: tuple[str, ...]) -> list[str]:
    """Each import that breaks the rule. A line marked ``# remote-import-ok``
    says why it may (coverage, only when the test run measures children)."""
    bad = []
    lines = path.read_text().splitlines()
    for line, module, level in imports(path):
        if "# remote-import-ok:" in lines[line - 1]:
            continue
        if level:
            # relative: only within the folder the file is in
            if level > 1:
                bad.append(f"{path.name}:{line}: {'.' * level}{module} leaves the folder")
            continue
        top = module.split(".")[0]
        if top == "pytest_signals":
            if not any(module == own or module.startswith(own + ".") for own in allowed_own):
                bad.append(f"{path.name}:{line}: {module} is not in _remote/")
        elif top not in sys.stdlib_module_names and top != "__future__":
            bad.append(f"{path.name}:{line}: {module} is not in the standard library")
    return bad


def test_there_is_something_to_check() -> None:
    names = {path.name for path in REMOTE}
    assert {"child.py", "template.py", "channel.py", "keeper.py", "tracepoints.py"} <= names
    assert {"sitecustomize.py", "template.py"} <= {path.name for path in BOOTSTRAP}


@pytest.mark.parametrize("path", REMOTE, ids=lambda path: f"_remote/{path.name}")
def test_remote_imports_only_the_standard_library_and_its_own_folder(path: Path) -> None:
    assert offending(path, allowed_own=()) == []


@pytest.mark.parametrize("path", BOOTSTRAP, ids=lambda path: f"_bootstrap/{path.name}")
def test_bootstrap_imports_only_the_standard_library_and_remote(path: Path) -> None:
    assert offending(path, allowed_own=("pytest_signals._remote",)) == []


def test_the_remote_init_imports_nothing() -> None:
    assert imports(PACKAGE / "_remote" / "__init__.py") == []


def test_the_package_init_imports_nothing_at_run_time() -> None:
    """Children import ``pytest_signals`` on the way to ``_remote``: its
    ``__init__`` may import only under ``if False`` (for type checkers)."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    run_time = []
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Constant) and node.test.value is False:
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue  # __getattr__ imports on first use, in the test process
        run_time += [n.lineno for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert run_time == []


def test_the_checker_sees_a_bad_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import os\n"
        "def f():\n"
        "    import pytest\n"
        "    from pytest_signals._events import SignalLog\n"
        "    from .. import plugin\n"
        "    from . import channel\n"
        "    import coverage  # remote-import-ok: measured\n"
        "    __import__('pexpect')\n"
        "    importlib.import_module(name)\n"
    )
    found = offending(bad, allowed_own=())
    assert [entry.split(": ", 1)[1] for entry in found] == [
        "pytest is not in the standard library",
        "pytest_signals._events is not in _remote/",
        ".. leaves the folder",
        "pexpect is not in the standard library",
        "? is not in the standard library",
    ]
