"""A spawned child imports what the test imports: the test process's import
path (pytest's ``pythonpath`` setting, a conftest's ``sys.path`` change)
joins the child's own, with both start methods, and the fork server applies
a child's PYTHONPATH instead of falling back to a new interpreter (or says
why it did)."""

from __future__ import annotations

import textwrap

import pytest

# The project a newcomer has: a src layout with ``pythonpath = src``, helpers a
# conftest puts in front of sys.path, and one folder it appends.
WORKER = """
import json, os, sys

def main():
    report()
    return 0

def report():
    import helper
    print(json.dumps({"path": sys.path, "helper": helper.__file__, "svc": sys.modules["svc"].__file__}), flush=True)

if __name__ == "__main__":
    report()
"""

SCRIPT = """
import svc.worker
svc.worker.report()
"""

CONFTEST = """
import os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "helpers"))
sys.path.append(os.path.join(HERE, "appended"))
"""

TEST = """
import json, os, subprocess, sys
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC, HELPERS, APPENDED = (os.path.join(HERE, name) for name in ("src", "helpers", "appended"))
TARGETS = {
    "function": ("svc.worker:main",),
    "module": ("svc.worker",),
    "file": (os.path.join("scripts", "run.py"),),
}


def plain_path(kind):
    # What `python -m svc.worker` (or `python scripts/run.py`) computes, from
    # the same working directory with the same environment: the child's own path.
    code = "import json, sys; print(json.dumps(sys.path))"
    argv = {"function": ["-c", code], "module": ["-c", code], "file": ["-c", code]}[kind]
    out = subprocess.run([sys.executable, *argv], capture_output=True, text=True, check=True, cwd=HERE)
    path = json.loads(out.stdout)
    first = {"function": "", "module": HERE, "file": os.path.join(HERE, "scripts")}[kind]
    return [first, *path[1:]]


@pytest.mark.parametrize("kind", TARGETS)
def test_the_child_imports_what_the_test_imports(spawn, kind):
    import helper, svc  # the test itself can: pythonpath = src, and the conftest

    proc = spawn(*TARGETS[kind])
    assert proc.wait() == 0, proc.output
    seen = json.loads(proc.stdout)
    assert seen["svc"] == svc.__file__ and seen["helper"] == helper.__file__
    path = seen["path"]
    # The program's own path, as a plain start has it, in its order...
    own = plain_path(kind)
    assert [p for p in path if p in own] == own, path
    assert path[0] == own[0]
    # ...and the test's own entries, all of them, in the test's order: those it
    # put in front of the standard library are in front of it, the one it
    # appended comes after site-packages.
    # (Compared as folders, each once: "" is the working directory.)
    test = list(dict.fromkeys(os.path.abspath(p) for p in sys.path))
    child = list(dict.fromkeys(os.path.abspath(p) for p in path))
    assert [p for p in child if p in test] == [p for p in test if p in child], (path, test)
    assert {HELPERS, SRC, APPENDED} <= set(path)
    stdlib = path.index(next(p for p in own if p.endswith(".zip")))  # the first entry of the standard library
    assert path.index(HELPERS) < stdlib and path.index(SRC) < stdlib
    assert path[-1] == APPENDED, path
    method = os.environ["START_METHOD"]
    assert proc.start_method == method and proc.forked is (method == "forkserver")
    assert (proc.exec_reason is None) is (method == "forkserver"), repr(proc)


def test_a_pythonpath_is_applied_in_the_fork(spawn, tmp_path):
    (tmp_path / "extra_mod.py").write_text("VALUE = 'from PYTHONPATH'\\n")
    code = "import json, sys, extra_mod; print(json.dumps([extra_mod.VALUE, sys.path]))"
    proc = spawn([sys.executable, "-c", code], env={"PYTHONPATH": str(tmp_path)})  # a plain start
    assert proc.wait() == 0, proc.output
    plain_value, plain = json.loads(proc.stdout)
    child = spawn("svc.worker:main", env={"PYTHONPATH": str(tmp_path)})
    assert child.wait() == 0, child.output
    path = json.loads(child.stdout)["path"]
    # where a plain start puts a PYTHONPATH entry: before the standard library
    assert path.index(str(tmp_path)) == path.index(plain[2]) - 1 and plain[1] == str(tmp_path), (path, plain)
    assert plain_value == "from PYTHONPATH"
    assert child.forked is (os.environ["START_METHOD"] == "forkserver"), repr(child)


def test_a_sitecustomize_on_pythonpath_needs_a_new_interpreter(spawn, tmp_path):
    (tmp_path / "sitecustomize.py").write_text("import os; os.environ['SITECUSTOMIZE_RAN'] = '1'\\n")
    code = "import os; print(os.environ.get('SITECUSTOMIZE_RAN'), flush=True)"
    (tmp_path / "probe.py").write_text(code)
    proc = spawn(str(tmp_path / "probe.py"), env={"PYTHONPATH": str(tmp_path)})
    assert proc.wait() == 0 and proc.stdout == "1\\n", proc.output
    assert not proc.forked
    if os.environ["START_METHOD"] == "forkserver":
        assert proc.exec_reason == (
            f"the PYTHONPATH entry {tmp_path} has sitecustomize.py, which a new interpreter runs as it starts "
            "(a fork cannot)"
        )
        assert f"a new interpreter ({proc.exec_reason})" in repr(proc)


def test_a_module_that_would_hide_a_preloaded_one_needs_a_new_interpreter(spawn, tmp_path):
    # Next to the script (its sys.path[0]), and in a folder the test put on sys.path.
    beside, elsewhere = tmp_path / "beside", tmp_path / "elsewhere"
    for folder in (beside, elsewhere):
        folder.mkdir()
        (folder / "selectors.py").write_text("WHICH = 'the project'\\n")
    probe = "import selectors; print(getattr(selectors, 'WHICH', 'stdlib'), flush=True)\\n"
    (beside / "probe.py").write_text(probe)
    (tmp_path / "probe.py").write_text(probe)
    proc = spawn(str(beside / "probe.py"))
    sys.path.insert(0, str(elsewhere))  # as a conftest would
    try:
        other = spawn(str(tmp_path / "probe.py"))
    finally:
        sys.path.remove(str(elsewhere))
    cases = [(proc, beside, "its sys.path[0] folder"), (other, elsewhere, "the test's sys.path entry")]
    for child, folder, where in cases:
        assert child.wait() == 0 and child.stdout == "the project\\n", child.output
        if os.environ["START_METHOD"] == "forkserver":
            assert not child.forked
            assert child.exec_reason == (
                f"{where} {folder} has selectors.py, which would hide the module 'selectors' that the fork server's "
                "template had imported"
            )


def test_a_start_up_variable_says_why(spawn):
    seed = "1" if os.environ.get("PYTHONHASHSEED") != "1" else "2"
    proc = spawn("svc.worker:main", env={"PYTHONHASHSEED": seed})
    assert proc.wait() == 0
    if os.environ["START_METHOD"] == "forkserver":
        assert proc.exec_reason == (
            "its start-up environment differs from the fork server's template's in PYTHONHASHSEED, "
            "which an interpreter reads as it starts (a fork cannot apply it)"
        )
    else:
        assert proc.exec_reason == "signal_start_method=exec"
"""


@pytest.fixture
def src_layout(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\npythonpath = src\n")
    for folder in ("src/svc", "helpers", "appended", "scripts"):
        pytester.mkdir(folder) if "/" not in folder else (pytester.path / folder).mkdir(parents=True)
    (pytester.path / "src" / "svc" / "__init__.py").write_text("")
    (pytester.path / "src" / "svc" / "worker.py").write_text(textwrap.dedent(WORKER))
    (pytester.path / "helpers" / "helper.py").write_text("")
    (pytester.path / "scripts" / "run.py").write_text(textwrap.dedent(SCRIPT))
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_src_layout=TEST)
    return pytester


@pytest.mark.parametrize("method", ["forkserver", "exec"])
def test_spawn_uses_the_tests_import_path(src_layout: pytest.Pytester, method: str, monkeypatch) -> None:
    monkeypatch.setenv("START_METHOD", method)
    result = src_layout.runpytest_subprocess("-p", "no:cacheprovider", f"--signal-start-method={method}")
    result.assert_outcomes(passed=7)
