"""Which lines are points (:class:`Scope`), which points a run of
``signal_anywhere`` explores (:func:`select_points`), and the checks of its
arguments. Pure logic: nothing here touches the process's signal state.

A point is a line of the code in scope, the first time it runs while
``within`` runs. The code in scope is ``within`` itself and, among the code it
calls, the project's own: not the standard library, installed packages or
pytest-signals. ``include=`` adds files, folders or modules (a package of
site-packages, say); ``exclude=`` takes some away.

Selection is deterministic for a seed: every point when there are at most
``max_points``, otherwise a sample of them drawn with that seed, explored in
the order the counting run met them. Without ``seed=`` the seed is derived
from the test's id, so that a test repeats its choice on every run and under
xdist.
"""

from __future__ import annotations

import inspect
import os
import random
import re
import types
from collections.abc import Iterator
from typing import Any, TypeVar

from .._remote.anywhere_child import FileScope, real_path

DEFAULT_MAX_POINTS = 200
DEFAULT_TIME_LIMIT = 60.0  # seconds for the runs of one exploration; the rest are "not explored"

_T = TypeVar("_T")


def check_max_points(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_points={value!r} must be a whole number of points >= 1")
    return value


def check_seed(value: object) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"seed={value!r} must be an int or None")
    return value


def check_only(value: object) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"only={value!r} must be a point's number k >= 1 (as a failure names it: 'point k of N')")
    return value


def check_time_limit(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 2_000_000:
        raise ValueError(f"time_limit={value!r} must be a number of seconds > 0")
    return float(value)


def within_codes(within: object) -> frozenset[types.CodeType]:
    """The code objects of the function *within* (and those nested in it).

    Raises:
        TypeError: *within* is not a function or method.
    """
    obj: Any = within
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, type) or not callable(obj):
        raise TypeError(
            f"within={within!r} is not a function: pass the function or method whose run is explored, "
            "e.g. within=Bank.transfer"
        )
    obj = inspect.unwrap(getattr(obj, "__func__", obj))
    code = getattr(obj, "__code__", None)
    if not isinstance(code, types.CodeType):
        raise TypeError(
            f"within={within!r} is not a Python function (a builtin or C function has no lines to send "
            "a signal at): pass a function or method written in Python"
        )
    return frozenset(_nested(code))


_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\Z")
_QUALNAME = re.compile(r"[A-Za-z_]\w*((\.<locals>)?\.[A-Za-z_]\w*)*\Z")  # a nested function's too


def child_within(within: str) -> str:
    """*within* naming a function of a spawned child: ``"module:qualname"``.

    Raises:
        ValueError: it is not of that form.
    """
    module, colon, qualname = within.partition(":")
    if not colon or not _DOTTED.match(module) or not _QUALNAME.match(qualname):
        raise ValueError(
            f"within={within!r}: a string names a function of a spawned child as 'module:function' "
            "(or 'module:Class.method'), the module as the child imports it or its script's name "
            "without .py, e.g. within='wordcount:main'"
        )
    return within


def select_points(count: int, max_points: int, rng: random.Random) -> list[int]:
    """The 0-based indexes of the points to explore, in order: all of them
    when *count* <= *max_points*, otherwise a sample."""
    if count <= max_points:
        return list(range(count))
    return sorted(rng.sample(range(count), max_points))


# -- scope -----------------------------------------------------------------------------


def _outside_code_under_test() -> tuple[str, ...]:
    """Folders whose code is not the code under test: the standard library,
    installed packages, and pytest-signals itself."""
    import site
    import sysconfig

    folders = {sysconfig.get_paths().get(name) for name in ("stdlib", "platstdlib", "purelib", "platlib")}
    folders.update(getattr(site, "getsitepackages", list)())
    folders.add(getattr(site, "getusersitepackages", str)())
    return tuple(sorted({real_path(f) for f in folders if f}))


PLUGIN_FOLDER = real_path(os.path.dirname(os.path.dirname(__file__)))


def _nested(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _nested(const)


def _items(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]


class Scope:
    """Whether a code object's lines are points (``within``'s are always).

    Args:
        include: files, folders or modules whose code counts even when it is
            the standard library or an installed package.
        exclude: files, folders or modules whose code never counts.

    Raises:
        ValueError: a path that does not exist, a module without a file.
        TypeError: something that is not a path or a module.
    """

    def __init__(self, include: object = None, exclude: object = None) -> None:
        included = [self._path(item, "include") for item in _items(include)]
        excluded = [self._path(item, "exclude") for item in _items(exclude)]
        self._files = FileScope(included, excluded, list(_outside_code_under_test()), PLUGIN_FOLDER)

    @staticmethod
    def _path(item: object, name: str) -> str:
        if isinstance(item, types.ModuleType):
            file = getattr(item, "__file__", None)
            if not file:
                raise ValueError(f"{name}={item!r}: the module has no file, so no lines")
            return real_path(os.path.dirname(file) if hasattr(item, "__path__") else file)
        if isinstance(item, (str, os.PathLike)):
            path = real_path(os.fspath(item))
            if not os.path.exists(path):
                raise ValueError(f"{name}={item!r}: no such file or folder")
            return path
        raise TypeError(f"{name}={item!r}: pass a path, a module or package, or a list of these")

    def folders(self) -> tuple[list[str], list[str], list[str]]:
        """The folders and files it decides by, for a child's scope:
        ``(included, excluded, outside)``."""
        files = self._files
        return list(files.included), list(files.excluded), list(files.outside)

    def __call__(self, code: types.CodeType) -> bool:
        return self._files(code)
