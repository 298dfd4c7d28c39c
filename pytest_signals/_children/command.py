"""How a spawned child is started: its command line, its environment, the
signals it starts with ignored, where its program is found. (The starting
itself is :mod:`.spawn`'s.)"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from .._remote import channel as _channel

BOOT_DIR = str(Path(__file__).parent.parent / "_bootstrap")
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")

# What children and the template import: this package's __init__ (which imports
# nothing), the stdlib-only _remote/ and the bootstrap scripts
# (tests/test_remote_imports.py holds them to that).
_CHILD_GLOBS = ("__init__.py", "_remote/*.py", "_bootstrap/*.py")
_bytecode_ready = False


def ensure_bytecode() -> None:
    """Compile what every child imports, once: with PYTHONDONTWRITEBYTECODE set
    (common in CI images) each child would otherwise compile it again, about
    10 ms a start. Best effort: a read-only install just stays slower."""
    global _bytecode_ready
    if _bytecode_ready:
        return
    _bytecode_ready = True
    import importlib.util
    import py_compile

    here = Path(__file__).parent.parent
    for source in sorted({str(path) for pattern in _CHILD_GLOBS for path in here.glob(pattern)}):
        cached = importlib.util.cache_from_source(source)
        try:
            if os.path.getmtime(cached) >= os.path.getmtime(source):
                continue
        except OSError:
            pass
        with contextlib.suppress(OSError, py_compile.PyCompileError):
            py_compile.compile(source, cfile=cached, doraise=True)


def default_signals() -> set[int]:
    return {int(s) for s in signal.valid_signals()} - {int(signal.SIGKILL), int(signal.SIGSTOP)}


def command(target: object, args: list[str], cwd: str | None) -> tuple[list[str], dict[str, str], str]:
    """The command line, the instrumentation's variables and the kind of *target*
    (``argv``, ``file``, ``module`` or ``function``).

    Raises:
        ValueError: a malformed target.
        FileNotFoundError: a script that does not exist.
    """
    python = sys.executable
    if isinstance(target, (list, tuple)):
        if not target or not all(isinstance(a, (str, os.PathLike)) for a in target):
            raise ValueError(f"spawn({target!r}): a command must be a non-empty list of strings")
        return [os.fspath(a) for a in target] + args, {}, "argv"
    if isinstance(target, os.PathLike) or (isinstance(target, str) and looks_like_path(target)):
        path = os.fspath(target)
        full = path if os.path.isabs(path) else os.path.join(cwd or os.getcwd(), path)
        if not os.path.isfile(full):
            raise FileNotFoundError(f"spawn({path!r}): no such file (looked in {os.path.dirname(full)})")
        if path.endswith(".py"):
            return [python, path, *args], {}, "file"
        if os.access(full, os.X_OK):  # a program (the interpreter itself, a shell script): run it
            return [path, *args], {}, "argv"
        raise ValueError(
            f"spawn({path!r}): not a Python script (no .py suffix) and not an executable program. "
            f"Run a script without the suffix through the interpreter, as a list: "
            f"spawn([sys.executable, {path!r}, ...])"
        )
    if not isinstance(target, str):
        raise ValueError(
            f"spawn({target!r}): the target must be 'pkg.module:function', 'pkg.module', "
            "a path to a .py file, or a list of strings"
        )
    module, colon, function = target.partition(":")
    if colon:
        if not _DOTTED.match(module) or not _DOTTED.match(function):
            raise ValueError(f"spawn({target!r}): expected 'pkg.module:function'")
        code = f"import sys; sys.modules[{_channel.PRIVATE_NAME!r}].run_function()"
        return [python, "-c", code, *args], {_channel.ENV_FUNCTION: target}, "function"
    if not _DOTTED.match(target):
        raise ValueError(f"spawn({target!r}): not a module name, a 'module:function' or a path to an existing .py file")
    return [python, "-m", target, *args], {_channel.ENV_MODULE: target}, "module"


def template_environment() -> dict[str, str]:
    """The environment the fork server's template starts with: a spawned
    child's, without the test's PYTHONPATH (each fork applies its own: see
    ``_remote/child.py``)."""
    return environment({"PYTHONPATH": None}, {})


def first_entry(kind: str, argv: list[str], cwd: str | None) -> str:
    """The folder a Python child's ``sys.path[0]`` names: a script's own
    (symbolic links resolved), or the working directory for ``-m`` and for
    ``-c`` (whose ``""`` means it)."""
    here = os.path.abspath(cwd or os.getcwd())
    if kind == "file":
        return os.path.dirname(os.path.realpath(os.path.join(here, argv[1])))
    return here


def import_path(kind: str, argv: list[str], cwd: str | None) -> list[str]:
    """The test process's sys.path, for a child to take the entries its own
    lacks from (``_remote/child.py`` merges them): absolute, each once, without the
    child's own first entry and the folder of the script that started pytest
    (a console script's ``bin``, which is that script's first entry, not an
    import path the tests set up)."""
    skip = {first_entry(kind, argv, cwd)}
    script = sys.argv[0] if sys.argv else ""
    if script and os.path.isfile(script):
        skip.update({os.path.dirname(os.path.abspath(script)), os.path.dirname(os.path.realpath(script))})
    paths: list[str] = []
    for entry in sys.path:
        if not isinstance(entry, (str, os.PathLike)):
            continue
        path = os.path.abspath(os.fspath(entry))  # relative to the test's working directory, where it was added
        if path not in skip:
            skip.add(path)
            paths.append(path)
    return paths


def environment(
    overrides: Mapping[str, str | None] | None, extra: dict[str, str], instrumented: bool = True
) -> dict[str, str]:
    """The child's environment: the test process's, with *overrides* (None
    removes a variable) and, for Python targets, the instrumentation's."""
    child_env = dict(os.environ)
    for key, value in (overrides or {}).items():
        if not isinstance(key, str) or not key or "=" in key or "\0" in key:
            raise ValueError(
                f"spawn(env=...): {key!r} is not a valid environment variable name "
                "(a non-empty string without '=' or NUL)"
            )
        if value is None:
            child_env.pop(key, None)
        elif not isinstance(value, str) or "\0" in value:
            raise ValueError(f"spawn(env=...): the value of {key!r}, {value!r}, is not a string without NUL")
        else:
            child_env[key] = value
    if instrumented:
        original = child_env.get("PYTHONPATH")
        if original is not None:
            child_env[_channel.ENV_PYTHONPATH] = original
        child_env["PYTHONPATH"] = BOOT_DIR + ("" if not original else os.pathsep + original)
        child_env[_channel.ENV_BOOT] = BOOT_DIR
        child_env[_channel.ENV_CHANNEL] = str(_channel.CHANNEL_FD)
        child_env.update(extra)
        if not {"COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START"} & set(child_env):
            config = coverage_config()
            if config is not None:
                child_env["COVERAGE_PROCESS_CONFIG"] = config
    return child_env


COVERED: list[str] = []  # data files children were told to write (combined at the session's end)


def coverage_config() -> str | None:
    """When the test process measures coverage (pytest-cov, ``coverage run``),
    its configuration for a child: the same, in parallel mode, with the data
    file's absolute path, so that the child's data lands beside the test
    process's. coverage.py's own subprocess support reads it
    (``COVERAGE_PROCESS_CONFIG``); the child's instrumentation starts it."""
    coverage = sys.modules.get("coverage")
    current = getattr(getattr(coverage, "Coverage", None), "current", None)
    cov = current() if current is not None else None
    if cov is None or not hasattr(cov.config, "serialize"):  # not measuring, or coverage < 7.10
        return None
    import copy

    config = copy.copy(cov.config)
    data = getattr(cov, "_data", None)  # (see _compat: the data file's absolute base name)
    base = str(data.base_filename()) if data is not None else os.path.abspath(config.data_file)
    config.parallel, config.data_file = True, base
    if base not in COVERED:
        COVERED.append(base)
    serialized: str = config.serialize()
    return serialized


def ignored(signals: Iterable[object]) -> tuple[int, ...]:
    """The signals of ``spawn(ignore=...)``, as numbers.

    Raises:
        ValueError: not a list of signals, an unknown one, or SIGKILL/SIGSTOP (never ignored).
    """
    from .._signals import resolve_signal, signal_name

    if isinstance(signals, (str, int)):
        signals = (signals,)
    numbers = []
    for sig in signals:
        try:
            signum = resolve_signal(sig)
        except ValueError as exc:
            raise ValueError(f"spawn(ignore=...): {exc}") from None
        if signum in (signal.SIGKILL, signal.SIGSTOP):
            raise ValueError(f"spawn(ignore=...): {signal_name(signum)} cannot be ignored")
        numbers.append(int(signum))
    return tuple(sorted(set(numbers)))


def which(command: str, env: Mapping[str, str], cwd: str | None) -> str:
    """Where *command* is, looked up in the child's PATH (as ``subprocess``
    does), not pytest's.

    Raises:
        FileNotFoundError: not found there, naming the command and the PATH searched.
    """
    if os.sep in command or (os.altsep and os.altsep in command):
        return command  # a path (with cwd=, the shell resolves it there)
    import shutil

    path = env.get("PATH", os.defpath)
    found = shutil.which(command, path=path)
    if found is None:
        raise FileNotFoundError(f"spawn([{command!r}, ...]): no such program in the child's PATH ({path})")
    return found


def looks_like_path(target: str) -> bool:
    return target.endswith(".py") or "/" in target or os.sep in target
