"""The reference is complete: every parameter of every public call, and every
value a parameter or an attribute can take, appears in the rendered reference
(``docs/reference.rst``, built as text), in the entry of its call or class.

The values are read from the code: the ``Literal`` annotations of the
parameters, properties and class attributes. A value added there and not to
the docs, or a parameter added without a description, fails here (and the
``-W`` docs build, through ``docs/_ext/reference_from_code.py``).
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import typing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip("sphinx", reason="the reference is built with Sphinx (the docs extra)")


def literal_values(annotation: object) -> list[object]:
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    return [value for arg in typing.get_args(annotation) for value in literal_values(arg)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("reference")
    command = [sys.executable, "-m", "sphinx", "-q", "-W", "-b", "text", "-d", str(out / "doctrees")]
    built = subprocess.run([*command, str(ROOT / "docs"), str(out)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    return (out / "reference.txt").read_text()


def _entry(text: str, header: str, indent: str = "") -> str:
    """The rendered entry that starts with the line *header* (at *indent*), that
    line included, up to the next line with no more indentation than that."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(rf"{indent}{header}", line)]
    assert starts, f"no entry {header!r} in the reference"
    body = [lines[starts[0]]]
    for line in lines[starts[0] + 1 :]:
        if line.strip() and not line.startswith(indent + " "):
            break
        body.append(line)
    return "\n".join(body)


def _documented_classes() -> dict[str, tuple[bool, set[str]]]:
    """Each ``autoclass`` of the reference: whether its members are documented, and those left out."""
    page = (ROOT / "docs" / "reference.rst").read_text()
    found = {}
    for name, options in re.findall(r"^\.\. autoclass:: pytest_signals\.(\w+)\n((?:   :.*\n)*)", page, re.MULTILINE):
        excluded = re.search(r":exclude-members: (.*)", options)
        found[name] = (
            ":members:" in options,
            set(excluded.group(1).replace(" ", "").split(",")) if excluded else set(),
        )
    return found


def _check_call(entry: str, where: str, func: object) -> None:
    hints = typing.get_type_hints(func)
    for param in inspect.signature(func).parameters.values():
        if param.name == "self":
            continue
        assert f"**{param.name}**" in entry, f"{where}: the parameter {param.name!r} is not in its entry:\n{entry}"
        for value in literal_values(hints.get(param.name)):
            assert repr(value) in entry, f"{where}: {param.name}={value!r} is not in its entry:\n{entry}"


def _fixtures() -> dict[str, object]:
    from pytest_signals import SignalSender, Spawner

    return {"send_signal": SignalSender.__call__, "spawn": Spawner.__call__}


@pytest.mark.parametrize("fixture", ["send_signal", "spawn"])
def test_each_fixture_has_an_entry_with_every_parameter_and_value(reference: str, fixture: str) -> None:
    entry = _entry(reference, rf"{fixture}\(")
    _check_call(entry, fixture, _fixtures()[fixture])


def test_send_signal_says_how_to_reach_a_spawned_child(reference: str) -> None:
    entry = _entry(reference, r"send_signal\(")
    for words in ('"to=proc"', '"to=proc.pid"', '""group""', '""tty""', '""raise""', '""kill""'):
        assert words in entry, words


def test_every_public_method_has_every_parameter_and_value(reference: str) -> None:
    import pytest_signals

    checked = 0
    for name, (members, excluded) in _documented_classes().items():
        cls = getattr(pytest_signals, name)
        section = _entry(reference, rf"class pytest_signals\.{name}\b")
        for attribute, hint in typing.get_type_hints(cls).items():
            for value in literal_values(hint):
                assert repr(value) in section, f"{name}.{attribute}: {value!r} is not in its type"
                assert f'""{value}""' in section, f"{name}.{attribute}: {value!r} is not explained"
        if not members:
            continue
        for member, value in vars(cls).items():
            if member.startswith("_") or member in excluded:
                continue
            if isinstance(value, property):
                entry = _entry(section, rf"property {member}:", "   ")
                for literal in literal_values(typing.get_type_hints(value.fget).get("return")):
                    assert repr(literal) in entry, f"{name}.{member}: {literal!r} is not in its entry"
            elif inspect.isfunction(value):
                entry = _entry(section, rf"(async )?{member}\(", "   ")
                _check_call(entry, f"{name}.{member}", value)
                checked += 1
    assert checked >= 25, checked  # the log's, the process's and the delivery's methods
    from pytest_signals import resolve_signal

    _check_call(_entry(reference, r"pytest_signals\.resolve_signal\("), "resolve_signal", resolve_signal)


def test_every_value_a_delivery_or_an_event_can_have_is_listed(reference: str) -> None:
    from pytest_signals._delivery import OUTCOMES, VIAS
    from pytest_signals._events import EVENT_KINDS

    delivery = _entry(reference, r"class pytest_signals\.Delivery\b")
    event = _entry(reference, r"class pytest_signals\.SignalEvent\b")
    for value in (*OUTCOMES, *VIAS):
        assert f'""{value}""' in delivery, value
    for value in (*EVENT_KINDS, "cancelled", "returned", "raised"):
        assert f'""{value}""' in event, value
