"""Which files are the user's program: under its directory or the run's, not Python's or ours."""

from __future__ import annotations

import os
import sys
import sysconfig
from types import FrameType

ENV_USER_DIR = "PROCVIZ_USER_DIR"

_WORKERS = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

_roots: list[str] = []
_forced: list[str] = []  # roots that count even under an excluded directory (the lessons)
_excluded: list[str] = []
_cache: dict[str, bool] = {}


def _dir(path: str) -> str:
    return os.path.join(os.path.realpath(path), "")


def setup(script_dir: str | None = None) -> None:
    """The user's files: the script's directory (inherited by children) and the cwd."""
    if script_dir:
        os.environ[ENV_USER_DIR] = _dir(script_dir)
    roots = [os.environ.get(ENV_USER_DIR, ""), os.getcwd()]
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file and not os.environ.get(ENV_USER_DIR):
        roots.append(os.path.dirname(os.path.abspath(main_file)))
    _roots[:] = [_dir(r) for r in roots if r]
    paths = sysconfig.get_paths()
    excluded = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    excluded |= {sys.prefix, sys.base_prefix, sys.exec_prefix}
    _excluded[:] = [_dir(p) for p in excluded if p] + [_WORKERS]
    _cache.clear()


def force(directory: str) -> None:
    """Count ``directory`` as the user's even where it lies under workers/ (the lessons)."""
    _forced.append(_dir(directory))
    _cache.clear()


def base() -> str:
    return _roots[0] if _roots else _dir(os.getcwd())


def is_user(filename: str) -> bool:
    known = _cache.get(filename)
    if known is None:
        known = _cache[filename] = _classify(filename)
    return known


def _classify(filename: str) -> bool:
    if filename.startswith("<"):
        return False
    path = os.path.realpath(filename)
    if any(path.startswith(root) for root in _forced):
        return True
    if any(path.startswith(ex) for ex in _excluded):
        return False
    return any(path.startswith(root) for root in _roots)


def innermost(frame: FrameType | None) -> FrameType | None:
    """The innermost frame, from ``frame`` outwards, that runs the user's code."""
    while frame is not None:
        if is_user(frame.f_code.co_filename):
            return frame
        frame = frame.f_back
    return None


def relative(filename: str) -> str:
    path = os.path.realpath(filename)
    root = base()
    return path[len(root) :] if path.startswith(root) else path
