"""What the built-in lessons use: report events, scaled sleep, a run directory.

A thin layer over the tracer (``workers.trace``): importing it instruments the
process (processes, tagged output, errors), so a spawned child that re-imports a
lesson reports like its parent. Without ``PROCVIZ_EVENTS`` (a lesson run from a
plain terminal) events are printed to stderr.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from workers import trace
from workers.trace import userfiles
from workers.trace.events import ENV_CHANNEL, emit

__all__ = [
    "ENV_CHANNEL",
    "ENV_RUN_DIR",
    "ENV_SPEED",
    "emit",
    "queue_depth",
    "result",
    "run_dir",
    "sleep",
    "speed",
    "value",
]

ENV_SPEED = trace.ENV_SPEED
ENV_RUN_DIR = "PROCVIZ_RUN_DIR"

speed = trace.speed
sleep = trace.sleep


def value(name: str, val: Any) -> None:
    """Show this process's copy of a variable beside its node."""
    emit("value", name=name, value=val)


def queue_depth(q: Any, maxsize: int, name: str = "queue") -> int:
    """Report a queue's depth (``qsize()``) against its capacity; the depth reported."""
    depth: int = q.qsize()
    emit("queue", name=name, depth=depth, maxsize=maxsize)
    return depth


def result(**keys: Any) -> None:
    """The lesson's punch line: one event with the keys the DESIGN table lists."""
    emit("result", **keys)


def run_dir() -> str:
    """A temporary directory that belongs to this run (the server removes it at the end).

    Run from a terminal, the first call makes one, which the lesson's children inherit.
    """
    path = os.environ.get(ENV_RUN_DIR)
    if not path:
        path = os.environ[ENV_RUN_DIR] = tempfile.mkdtemp(prefix="procviz-lesson-")
    return path


# The lessons' lines are the user's code, though they live under workers/.
userfiles.force(os.path.join(os.path.dirname(os.path.abspath(__file__)), "lessons"))
trace.install(views=False)
