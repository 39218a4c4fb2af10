"""Containing a run: what a run user can reach, and the runtime it gets when it cannot."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from app.confine import RunUser, reachable, runtime_for

ROOT = Path(__file__).resolve().parents[2]
NOBODY = RunUser.named("nobody")


def private_checkout(tmp_path: Path) -> Path:
    """A copy of workers/ under a directory only its owner may enter (as /root is)."""
    home = tmp_path / "home"
    code = home / "checkout"
    shutil.copytree(
        ROOT / "workers", code / "workers", ignore=shutil.ignore_patterns("__pycache__")
    )
    os.chmod(home, 0o700)
    return code


def test_reachable_follows_the_path_as_given_and_the_file_it_names(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    code = private_checkout(tmp_path)
    assert not reachable(code / "workers" / "catalog.py", NOBODY)
    link = code / "python"
    link.symlink_to("/usr/bin/python3.11")
    # The interpreter itself is readable, but not through a path inside a private home.
    assert reachable(Path("/usr/bin/python3.11"), NOBODY, executable=True)
    assert not reachable(link, NOBODY, executable=True)


def test_a_run_user_who_cannot_reach_the_checkout_gets_a_readable_copy(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    code = private_checkout(tmp_path)
    link = code / "python"
    link.symlink_to("/usr/bin/python3.11")
    runtime = runtime_for(NOBODY, link, code)
    try:
        assert runtime.copy is not None and runtime.code == runtime.copy
        assert reachable(runtime.code / "workers" / "trace" / "script.py", NOBODY)
        assert reachable(runtime.interpreter, NOBODY, executable=True)
        assert runtime.interpreter != link  # the base interpreter instead
    finally:
        if runtime.copy is not None:
            shutil.rmtree(runtime.copy)


def test_the_servers_own_runtime_when_nobody_switches_user() -> None:
    runtime = runtime_for(None, Path(sys.executable), ROOT)
    assert runtime.interpreter == Path(sys.executable) and runtime.code == ROOT
    assert runtime.copy is None
