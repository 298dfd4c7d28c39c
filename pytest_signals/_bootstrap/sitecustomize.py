# Loaded by Python's site module in children started by pytest-signals' spawn
# (this folder is put on their PYTHONPATH, then taken off again). It installs
# the child-side instrumentation, then steps aside: the sitecustomize this one
# shadows, if any, runs in its place; otherwise the import "fails" the way a
# missing sitecustomize does, so site carries on as if there were none. Only
# modules a plain start loads are imported unless there is another one to run.
import os
import sys

import pytest_signals._remote.child

pytest_signals._remote.child.bootstrap()
del pytest_signals


def _hand_over() -> None:
    for entry in sys.path:
        base = os.path.join(entry or ".", "sitecustomize")
        if os.path.isfile(base + ".py") or os.path.isdir(base):
            break
    else:
        raise ImportError("no other sitecustomize", name="sitecustomize")
    from importlib.machinery import PathFinder
    from importlib.util import module_from_spec

    spec = PathFinder.find_spec("sitecustomize", sys.path)
    if spec is None or spec.loader is None:
        raise ImportError("no other sitecustomize", name="sitecustomize")
    module = module_from_spec(spec)
    sys.modules["sitecustomize"] = module  # what `import sitecustomize` returns
    spec.loader.exec_module(module)


_hand_over()
