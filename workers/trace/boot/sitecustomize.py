"""procviz's bootstrap: every interpreter of a run loads it at start-up (via PYTHONPATH).

With ``PROCVIZ_EVENTS`` set it installs the tracer; either way it then runs the
``sitecustomize`` that would have been found without this directory (a distribution's
or a virtual environment's), so putting it first on the path changes nothing else.
"""

import importlib.machinery
import importlib.util
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


def _chain() -> None:
    for entry in sys.path:
        if os.path.abspath(entry or os.curdir) == _HERE:
            continue
        spec = importlib.machinery.PathFinder.find_spec("sitecustomize", [entry])
        if spec is not None and spec.loader is not None and spec.origin != __file__:
            module = importlib.util.module_from_spec(spec)
            sys.modules["sitecustomize"] = module
            spec.loader.exec_module(module)
            return


def _install() -> None:
    try:
        import workers.trace
    except ImportError as exc:
        print(
            f"procviz: tracer not found ({exc}); is the repository on PYTHONPATH?", file=sys.stderr
        )
        return
    workers.trace.install()


if os.environ.get("PROCVIZ_EVENTS"):
    _install()
_chain()
