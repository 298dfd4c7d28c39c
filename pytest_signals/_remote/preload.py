"""Modules imported ahead of time by the fork server's template: which module
brought in which, and how a fork hides them and brings them back.

A fresh interpreter has only the modules its start-up imports. The template
has more (asyncio, and what the template itself uses); a fork hides every one
of them, and when the program imports one, it comes back together with the
modules its own import brought in, as a fresh import would have, without
running any module code again.

Imports nothing but ``sys``: the tracer must be in place before anything else.
"""

import sys

if False:  # for type checkers only: nothing but sys is imported before the tracer
    from typing import Any


class Tracer:
    """While the template preloads: which modules each module's code imports,
    whether the module was loaded by that import or long before (so that a
    fork can bring back everything a fresh import would load)."""

    def __init__(self) -> None:
        self.deps: dict[str, set[str]] = {}
        self._original: Any = None

    def install(self) -> None:
        builtins: Any = sys.modules["builtins"]
        self._original = original = builtins.__import__
        deps = self.deps

        def traced(
            name: str, globals: "Any" = None, locals: "Any" = None, fromlist: "Any" = (), level: int = 0
        ) -> "Any":
            module = original(name, globals, locals, fromlist, level)
            importer = globals.get("__name__") if isinstance(globals, dict) else None
            if importer is not None:
                found = deps.setdefault(importer, set())
                absolute = name
                if level:
                    package = globals.get("__package__") or importer.rpartition(".")[0]
                    base = package.rsplit(".", level - 1)[0] if level > 1 else package
                    absolute = f"{base}.{name}" if name else base
                parts = absolute.split(".")
                found.update(".".join(parts[: i + 1]) for i in range(len(parts)))
                for item in fromlist or ():
                    if f"{absolute}.{item}" in sys.modules:
                        found.add(f"{absolute}.{item}")
            return module

        builtins.__import__ = traced

    def preload(self, names: "tuple[str, ...]") -> None:
        """Import *names*, then stop tracing."""
        try:
            for name in names:
                try:  # noqa: SIM105 - contextlib would be one more module to hide
                    __import__(name)  # remote-import-ok: what the program imports
                except ImportError:
                    pass
        finally:
            builtins: Any = sys.modules["builtins"]
            builtins.__import__ = self._original


class Reveal:
    """In a forked child: hidden preloaded modules come back when imported."""

    def __init__(self, hidden: "dict[str, Any]", deps: dict[str, set[str]]) -> None:
        self.hidden, self.deps = hidden, deps
        self.spec_type: Any = type(sys.__spec__)

    def find_spec(self, name: str, path: "Any" = None, target: "Any" = None) -> "Any":
        module = self.hidden.pop(name, None)
        if module is None:
            return None
        todo, seen = [name], {name}
        while todo:  # what importing *name* would load in a fresh interpreter
            current = todo.pop()
            if current != name:
                sys.modules[current] = self.hidden.pop(current)
            # its imports, and what its code put into sys.modules itself (typing.io)
            more = set(self.deps.get(current, ()))
            prefix = current + "."
            for other, other_module in self.hidden.items():
                if other.startswith(prefix) and getattr(other_module, "__spec__", None) is None:
                    more.add(other)
            for dep in more - seen:
                seen.add(dep)
                if dep in self.hidden:
                    todo.append(dep)
        if not self.hidden and self in sys.meta_path:
            sys.meta_path.remove(self)
        return self.spec_type(name, _Restore(module), is_package=hasattr(module, "__path__"))


class _Restore:
    def __init__(self, module: "Any") -> None:
        self.module = module
        self.spec = getattr(module, "__spec__", None)

    def create_module(self, spec: "Any") -> "Any":
        return self.module

    def exec_module(self, module: "Any") -> None:
        module.__spec__ = self.spec  # the import system set ours


TRACER = Tracer()
