"""Names for handlers, shared by the test process and instrumented children.

Imports nothing, so that loading it in a child changes nothing it could see.
"""


def handler_name(handler: object) -> str:
    """The qualified name the log uses for a handler (or a disposition)."""
    if handler is None:
        return "<installed from C>"
    if isinstance(handler, int):
        return {0: "SIG_DFL", 1: "SIG_IGN"}.get(int(handler), repr(handler))
    func = getattr(handler, "func", None)  # functools.partial
    if func is not None and not hasattr(handler, "__qualname__"):
        return f"partial({handler_name(func)})"
    module = getattr(handler, "__module__", None)
    qualname = getattr(handler, "__qualname__", None) or type(handler).__qualname__
    if module in (None, "builtins", "_signal", "signal"):
        return str(qualname)
    return f"{module}.{qualname}"


def unwrapped(name: str) -> str:
    """*name* without the ``partial(...)`` wrappers :func:`handler_name` adds."""
    while name.startswith("partial(") and name.endswith(")"):
        name = name[len("partial(") : -1]
    return name
