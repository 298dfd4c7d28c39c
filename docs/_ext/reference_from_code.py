"""The reference's parameter lists, from the code, so that they cannot drift.

* ``.. fixture-call:: send_signal pytest_signals.SignalSender.__call__``
  documents a fixture as the function it is: its signature (the callable's,
  without ``self``), its docstring (Google style, through napoleon) and the
  type of each parameter, from the annotations. A parameter with a fixed set
  of values is annotated with a ``Literal`` (``via: Via | None``), so the
  values are listed from the code.
* Every function, method and fixture the reference documents has each of its
  parameters described (an ``Args:`` entry, or the name in ``*emphasis*`` in
  its text), and every ``Literal`` value of a class's annotated attributes
  (``Delivery.via``, ``SignalEvent.kind``) is said in the class's docstring
  (as ``"value"``). Anything missing is a warning, so the ``-W`` build of the
  docs fails on it.

``tests/test_reference.py`` reads the rendered reference and checks the same
from the other side.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.ext.napoleon.docstring import GoogleDocstring
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.typing import stringify_annotation

logger = logging.getLogger(__name__)


def _import(path: str) -> Any:
    """``pkg.mod.Class.attr``: the longest importable module, then attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(path)


def literal_values(annotation: object) -> list[object]:
    """The values of the ``Literal`` types in *annotation* (through unions)."""
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    return [value for arg in typing.get_args(annotation) for value in literal_values(arg)]


def _hints(obj: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(obj)
    except Exception:  # an annotation that does not resolve: nothing to list
        return {}


def parameters(obj: Any) -> list[inspect.Parameter]:
    """The parameters a caller passes (not ``self``)."""
    params = list(inspect.signature(obj).parameters.values())
    return [p for p in params if p.name not in ("self", "cls")]


def _check_parameters(name: str, obj: Any, doc: str, where: str) -> None:
    for param in parameters(obj):
        if f":param {param.name}:" in doc or f"*{param.name}*" in doc:
            continue
        logger.warning("%s: the parameter %r is not described in its docstring", name, param.name, location=where)


def _process_docstring(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    doc = "\n".join(lines)
    where = name
    if what in ("function", "method") and callable(obj):
        _check_parameters(name, obj, doc, where)
    elif what == "class":
        for attribute, hint in _hints(obj).items():
            for value in literal_values(hint):
                if f'"{value}"' not in doc:
                    logger.warning(
                        "%s.%s: the value %r is not said in the class's docstring",
                        name,
                        attribute,
                        value,
                        location=where,
                    )


class FixtureCall(SphinxDirective):
    """``.. fixture-call:: <fixture name> <dotted path of the callable>``"""

    required_arguments = 2
    has_content = False

    def run(self) -> list[nodes.Node]:
        fixture, path = self.arguments
        obj = _import(path)
        params = [p.replace(annotation=inspect.Parameter.empty) for p in parameters(obj)]
        signature = inspect.signature(obj)
        returns = signature.return_annotation
        returned = returns if isinstance(returns, str) else getattr(returns, "__name__", str(returns))
        doc = inspect.getdoc(obj) or ""
        body = str(GoogleDocstring(doc, self.config, what="method", obj=obj)).splitlines()
        _check_parameters(fixture, obj, "\n".join(body), self.get_location())
        hints = _hints(obj)
        types = [f":type {p.name}: {stringify_annotation(hints[p.name], 'smart')}" for p in params if p.name in hints]
        text = [
            f".. py:function:: {fixture}{inspect.Signature(params)} -> {returned}",
            "",
            *(f"   {line}" for line in [*body, "", *types]),
        ]
        container = nodes.container()
        self.state.nested_parse(StringList(text, source=self.get_source_info()[0]), self.content_offset, container)
        return container.children


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx.ext.napoleon")
    app.add_directive("fixture-call", FixtureCall)
    app.connect("autodoc-process-docstring", _process_docstring, priority=600)  # after napoleon (500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
