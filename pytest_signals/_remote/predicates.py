"""What a disposition is, decided once for the test process and for children.

The test side (``_inproc/observe.py``, ``_inproc/send.py``) and the child side
(``_remote/child.py``) must agree on these answers: a child that took uvloop's
internal handler for the program's own would report a handler nobody wrote,
while the test process leaves it out. So both import them from here. Imports
nothing, like the rest of ``_remote/``: loading it in a child changes nothing
the program could see.

The private names read here (asyncio's ``_sighandler_noop``, uvloop's
``Loop.__sighandler``) are listed in ``_compat.py``.
"""

SIG_DFL = 0
SIG_IGN = 1
# The attribute that marks one of pytest-signals' own handlers as standing for
# a disposition (the guard stands for SIG_DFL): see own_meaning.
STANDS_FOR = "_pytest_signals_stands_for"


def is_disposition(handler: object) -> bool:
    """``SIG_DFL`` or ``SIG_IGN`` (0 or 1, an int or the ``Handlers`` enum), not a bool."""
    return isinstance(handler, int) and not isinstance(handler, bool) and handler in (SIG_DFL, SIG_IGN)


def disposition_kind(handler: object) -> str:
    """``"handler"``, ``"ign"`` or ``"dfl"``: what the kernel does with the signal."""
    if callable(handler):
        return "handler"
    return "ign" if handler == SIG_IGN else "dfl"


def is_loop_noop(handler: object) -> bool:
    """An event loop's own Python-level handler: asyncio's no-op (the loop's
    wakeup fd does the work) or uvloop's internal one. Neither is a handler
    the program wrote: the callbacks the loop runs are."""
    if handler is None or type(handler) is int:
        return False
    name = getattr(handler, "__name__", "")
    if name == "_sighandler_noop":
        return True
    owner = getattr(handler, "__self__", None)
    return isinstance(name, str) and name.endswith("__sighandler") and type(owner).__module__.startswith("uvloop")


def _defining_module(handler: object) -> object:
    while True:
        func = getattr(handler, "func", None)  # functools.partial
        if func is None or hasattr(handler, "__qualname__"):
            break
        handler = func
    module = getattr(handler, "__module__", None)  # a bound method forwards to its function
    return type(handler).__module__ if module is None else module


def is_own(handler: object) -> bool:
    """One of pytest-signals' own handlers or wrappers: defined in
    ``pytest_signals`` or below (a pytest run that a test spawned, guarding
    and observing its own tests). Never a disposition."""
    if handler is None or is_disposition(handler) or not callable(handler):
        return False
    module = _defining_module(handler)
    return isinstance(module, str) and (module == "pytest_signals" or module.startswith("pytest_signals."))


UNCHANGED = object()  # own_meaning: a stand-in of the moment


def own_meaning(handler: object) -> object:
    """What *handler*, one of pytest-signals' own (:func:`is_own`), is for the
    program it serves: the handler it wraps (``__wrapped__``, followed through
    the plugin's own layers), the disposition it stands for (the guard stands
    for ``SIG_DFL``), or :data:`UNCHANGED` for a stand-in of the moment (the
    watchdog's interrupt): whatever was there before still holds."""
    seen = 0
    while is_own(handler) and seen < 8:
        seen += 1
        stands_for = getattr(handler, STANDS_FOR, None)
        if is_disposition(stands_for):
            return stands_for
        wrapped = getattr(handler, "__wrapped__", None)
        if wrapped is None:
            return UNCHANGED
        handler = wrapped
    return handler
