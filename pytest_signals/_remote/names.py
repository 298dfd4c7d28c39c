"""Names for handlers, shared by the test process and instrumented children.

Imports nothing, so that loading it in a child changes nothing it could see.
"""


def handler_name(handler: object, main: "str | None" = None) -> str:
    """The qualified name the log uses for a handler (or a disposition).

    *main*: the name of the module ``__main__`` was started from, for a
    handler defined there. A spawned child passes it, so that one handler has
    one name in the test process (which imports ``app.server``) and in the
    child (which runs it as ``__main__``)."""
    if handler is None:
        return "<installed from C>"
    if isinstance(handler, int):
        return {0: "SIG_DFL", 1: "SIG_IGN"}.get(int(handler), repr(handler))
    func = getattr(handler, "func", None)  # functools.partial
    if func is not None and not hasattr(handler, "__qualname__"):
        return f"partial({handler_name(func, main)})"
    module = getattr(handler, "__module__", None)
    qualname = getattr(handler, "__qualname__", None) or type(handler).__qualname__
    if module in (None, "builtins", "_signal", "signal"):
        return str(qualname)
    if module == "__main__" and main:
        module = main
    return f"{module}.{qualname}"


def module_name(path: str, entries: "list[str]", isfile: "object") -> "str | None":
    """The name a program started as the file *path* (absolute) is imported
    by from the sys.path *entries*: its package's name and its own, from the
    first folder up that has no ``__init__.py`` when that folder is an entry
    (``src/svc/worker.py`` is ``svc.worker`` with ``src`` on the path), else
    its bare name when its own folder is one (a script beside its modules);
    None otherwise. *isfile* is ``os.path.isfile`` (this module imports nothing)."""
    folder, _, base = path.rpartition("/")
    stem, dot, suffix = base.rpartition(".")
    if not dot or suffix != "py" or not stem.isidentifier():
        return None
    parts = [stem]
    root = folder
    while root and isfile(root + "/__init__.py"):  # type: ignore[operator]
        root, _, package = root.rpartition("/")
        if not package.isidentifier():
            break
        parts.insert(0, package)
    else:
        if root in entries:
            return ".".join(parts)
    return stem if folder in entries else None


def unwrapped(name: str) -> str:
    """*name* without the ``partial(...)`` wrappers :func:`handler_name` adds."""
    while name.startswith("partial(") and name.endswith(")"):
        name = name[len("partial(") : -1]
    return name
