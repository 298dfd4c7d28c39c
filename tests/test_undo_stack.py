"""The one undo mechanism, tested on its own."""

from __future__ import annotations

import types

import pytest

from pytest_signals._inproc.undo import UndoStack


def test_setattr_is_undone_in_reverse_order() -> None:
    target = types.SimpleNamespace(a=1)
    undo = UndoStack()
    undo.setattr(target, "a", 2)
    undo.setattr(target, "a", 3)
    assert target.a == 3
    undo.undo()
    assert target.a == 1


def test_absent_attribute_is_removed_again() -> None:
    target = types.SimpleNamespace()
    undo = UndoStack()
    undo.setattr(target, "new", 1)
    undo.undo()
    assert not hasattr(target, "new")


def test_undo_twice_is_safe_and_runs_each_entry_once() -> None:
    calls: list[str] = []
    undo = UndoStack()
    undo.defer("first", lambda: calls.append("first"))
    undo.defer("second", lambda: calls.append("second"))
    undo.undo()
    undo.undo()
    assert calls == ["second", "first"]
    assert len(undo) == 0


def test_a_failing_entry_does_not_stop_the_others() -> None:
    calls: list[str] = []
    undo = UndoStack()
    undo.defer("kept", lambda: calls.append("kept"))

    def boom() -> None:
        raise OSError("nope")

    undo.defer("broken", boom)
    undo.defer("last", lambda: calls.append("last"))
    with pytest.raises(RuntimeError, match="could not undo broken") as excinfo:
        undo.undo()
    assert calls == ["last", "kept"]
    assert isinstance(excinfo.value.__cause__, OSError)


def test_an_inherited_class_attribute_is_removed_not_copied() -> None:
    class Base:
        def method(self) -> str:
            return "base"

    class Child(Base):
        pass

    undo = UndoStack()
    undo.setattr(Child, "method", lambda self: "patched")
    assert Child().method() == "patched"
    undo.undo()
    assert "method" not in vars(Child)
    assert Child().method() == "base"
