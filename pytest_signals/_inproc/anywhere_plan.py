"""Which lines are points (:class:`Scope`), and which points a run of
``signal_anywhere`` explores (:func:`select_points`). Pure logic: nothing here
touches the process's signal state.

The default scope is the code under test: every file but the test's own,
``conftest.py`` files, the standard library, installed packages and
pytest-signals. ``within=`` narrows it to modules, packages, classes,
functions or paths (and may name the standard library or a package: then its
lines count).

Selection is deterministic for a seed. A budget smaller than the number of
points goes first to the first time each line runs, then to the last time,
then to random other times: a window is a line, and a line that is unsafe is
usually unsafe the first time it runs. Points are explored in the order the
counting run met them.
"""

from __future__ import annotations

import inspect
import os
import random
import types
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_POINTS = 200


@dataclass(frozen=True)
class Point:
    """One place a signal can be sent: the *occurrence*-th time (1-based) the
    line ``keys[key]`` ran, the *position*-th line event (0-based) of the
    counting run."""

    position: int
    key: int
    occurrence: int


def check_points(value: object, source: str) -> int | None:
    """The budget: a whole number >= 1, or None for every point (``"all"``).

    Raises:
        ValueError: naming *source* and the value.
    """
    if value is None:
        return DEFAULT_POINTS
    if value == "all":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{source}={value!r} must be a whole number of points >= 1, or 'all'")
    return value


def check_seed(value: object, source: str) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"{source}={value!r} must be an int")
    return value


def candidates(events: Sequence[int], armed: Sequence[int]) -> Iterator[Point]:
    """The armed events of a counting run, as points."""
    seen: dict[int, int] = {}
    for position, key in enumerate(events):
        occurrence = seen[key] = seen.get(key, 0) + 1
        if armed[position]:
            yield Point(position, key, occurrence)


def select_points(points: Sequence[Point], budget: int | None, rng: random.Random) -> list[Point]:
    """At most *budget* of *points* (all of them for None), in their order:
    the first time each line ran, then the last time, then random others."""
    if budget is None or len(points) <= budget:
        return list(points)
    first: dict[int, Point] = {}
    last: dict[int, Point] = {}
    for point in points:
        first.setdefault(point.key, point)
        last[point.key] = point
    firsts = list(first.values())
    if len(firsts) >= budget:
        return sorted(rng.sample(firsts, budget), key=_position)
    chosen = firsts
    lasts = [p for key, p in last.items() if p is not first[key]]
    room = budget - len(chosen)
    chosen += lasts if len(lasts) <= room else rng.sample(lasts, room)
    room = budget - len(chosen)
    if room > 0:
        taken = {p.position for p in chosen}
        chosen += rng.sample([p for p in points if p.position not in taken], room)
    return sorted(chosen, key=_position)


def _position(point: Point) -> int:
    return point.position


# -- scope -----------------------------------------------------------------------------


def _real(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


def _outside_code_under_test() -> tuple[str, ...]:
    """Folders whose code is not the code under test: the standard library,
    installed packages, and pytest-signals itself."""
    import site
    import sysconfig

    folders = {sysconfig.get_paths().get(name) for name in ("stdlib", "platstdlib", "purelib", "platlib")}
    folders.update(getattr(site, "getsitepackages", list)())
    folders.add(getattr(site, "getusersitepackages", str)())
    return tuple(sorted({_real(f) for f in folders if f}))


PLUGIN_FOLDER = _real(os.path.dirname(os.path.dirname(__file__)))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _nested(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _nested(const)


def _functions_of(obj: Any) -> Iterator[types.CodeType]:
    """The code of a function, method, property or class (its own members)."""
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        for part in (obj.fget, obj.fset, obj.fdel):
            if part is not None:
                yield from _functions_of(part)
        return
    if isinstance(obj, type):
        for member in vars(obj).values():
            if isinstance(member, (type, staticmethod, classmethod, property, types.FunctionType)):
                yield from _functions_of(member)
        return
    obj = inspect.unwrap(getattr(obj, "__func__", obj))
    code = getattr(obj, "__code__", None)
    if isinstance(code, types.CodeType):
        yield from _nested(code)


class Scope:
    """Whether a code object's lines are points.

    Args:
        within: None for the code under test (see the module's docstring), or
            a module or package, a class, a function or method, a path (a file
            or a folder), or a list of these.
        exclude: files left out when *within* is None (the test's own file).

    Raises:
        ValueError: a path that does not exist, a module without a file.
        TypeError: something that names no code.
    """

    def __init__(self, within: object = None, exclude: Iterable[str] = ()) -> None:
        self._codes: set[types.CodeType] = set()
        self._files: set[str] = set()
        self._folders: list[str] = []
        self.default = within is None
        if self.default:
            self._excluded = {_real(f) for f in exclude}
            self._outside = _outside_code_under_test()
        else:
            for item in within if isinstance(within, (list, tuple, set, frozenset)) else [within]:
                self._add(item)
        self._paths: dict[str, bool] = {}

    def _add(self, item: object) -> None:
        if isinstance(item, types.ModuleType):
            file = getattr(item, "__file__", None)
            if not file:
                raise ValueError(f"within={item!r}: the module has no file, so no lines to send a signal at")
            if hasattr(item, "__path__"):  # a package: every module in its folder
                self._folders.append(_real(os.path.dirname(file)))
            else:
                self._files.add(_real(file))
        elif isinstance(item, (str, os.PathLike)):
            path = _real(os.fspath(item))
            if os.path.isdir(path):
                self._folders.append(path)
            elif os.path.exists(path):
                self._files.add(path)
            else:
                raise ValueError(f"within={item!r}: no such file or folder")
        elif isinstance(item, types.CodeType):
            self._codes.update(_nested(item))
        else:
            codes = list(_functions_of(item))
            if not codes:
                raise TypeError(
                    f"within={item!r} names no code: pass a module, a class, a function or method, a path, "
                    "or a list of these"
                )
            self._codes.update(codes)

    def __call__(self, code: types.CodeType) -> bool:
        if code in self._codes:
            return True
        filename = code.co_filename
        known = self._paths.get(filename)
        if known is None:
            known = self._paths[filename] = self._file_in_scope(filename)
        return known

    def _file_in_scope(self, filename: str) -> bool:
        if filename.startswith("<"):
            return False  # frozen modules, exec'd strings
        path = _real(filename)
        if _inside(path, PLUGIN_FOLDER):
            return False
        if not self.default:
            return path in self._files or any(_inside(path, f) for f in self._folders)
        if path in self._excluded or os.path.basename(path) == "conftest.py":
            return False
        return not any(_inside(path, f) for f in self._outside)

    def describe(self) -> str:
        if self.default:
            return (
                "the code under test (every file but the test's own, conftest.py, the standard library, "
                "installed packages and pytest-signals)"
            )
        parts = [f"{len(self._codes)} code object(s)"] if self._codes else []
        parts += sorted(self._files) + [f"{folder}{os.sep}" for folder in sorted(self._folders)]
        return f"the code within= names ({', '.join(parts)})"
