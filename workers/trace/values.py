"""Each process's own copy of the script's module-level simple variables, as ``value`` events."""

from __future__ import annotations

import sys
import threading
import time
import types
from typing import Any

from workers.trace import events, userfiles

MAX_ITEMS = 20
MAX_REPR = 200
MAX_NAMES = 50
# Checks at events closer together than this are skipped (the sampler catches up).
MIN_GAP = 0.002

_SCALARS = (int, float, str, bool, type(None))

_lock = threading.Lock()
_reported: dict[str, str] = {}
_last_check = 0.0


def _simple(value: Any) -> bool:
    if isinstance(value, _SCALARS):
        return not isinstance(value, str) or len(value) < MAX_REPR
    if isinstance(value, list | tuple):
        return len(value) < MAX_ITEMS and all(isinstance(v, _SCALARS) for v in value)
    if isinstance(value, dict):
        return len(value) < MAX_ITEMS and all(
            isinstance(k, _SCALARS) and isinstance(v, _SCALARS) for k, v in value.items()
        )
    return False


def _globals(main: types.ModuleType) -> dict[str, Any]:
    """The script's live globals.

    A spawn or forkserver child runs the script with ``runpy.run_path()``, whose module
    is replaced by a copy of its namespace; the functions keep the original one.
    """
    space = vars(main)
    if space.get("__name__") == "__mp_main__":
        for obj in space.values():
            if isinstance(obj, types.FunctionType) and obj.__module__ == "__mp_main__":
                return obj.__globals__
    return space


def check(force: bool = False) -> None:
    """Report the ``__main__`` variables whose value changed since this process last said."""
    global _last_check
    now = time.monotonic()
    if not force and now - _last_check < MIN_GAP:
        return
    _last_check = now
    main = sys.modules.get("__main__")
    main_file = getattr(main, "__file__", None)
    if main is None or not main_file or not userfiles.is_user(main_file):
        return
    changed = []
    with _lock:
        for name, value in list(_globals(main).items())[:500]:
            if name.startswith("_") or not _simple(value):
                continue
            text = repr(value)
            if len(text) >= MAX_REPR or _reported.get(name) == text:
                continue
            if name not in _reported and len(_reported) >= MAX_NAMES:
                continue
            _reported[name] = text
            changed.append((name, value))
    for name, value in changed:
        events.emit("value", name=name, value=value)


def after_fork() -> None:
    global _lock
    # The child reports its own copy from now on, starting with what it inherited.
    _lock = threading.Lock()
    _reported.clear()
