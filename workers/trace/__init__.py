"""procviz's tracer: what every process of a run reports, with no annotation in the program.

``install()`` is the one entry point. The bootstrap (``boot/sitecustomize.py``, found
through ``PYTHONPATH``) calls it in every interpreter of a run when ``PROCVIZ_EVENTS``
names the run's event socket; forks inherit it (``os.register_at_fork`` resets what a
child must not share). ``install(views=False)``: processes, output and errors only.
"""

from __future__ import annotations

import os
import time
import warnings
from typing import SupportsIndex

from workers.trace import (
    blocking,
    events,
    lifecycle,
    sampler,
    step,
    streams,
    userfiles,
    values,
)
from workers.trace.events import ENV_CHANNEL, channel, emit

__all__ = ["ENV_CHANNEL", "ENV_SPEED", "emit", "install", "sleep", "speed"]

ENV_SPEED = "PROCVIZ_SPEED"

_real_sleep = time.sleep
_core = False
_views = False


def speed() -> float:
    try:
        value = float(os.environ.get(ENV_SPEED, "1"))
    except ValueError:
        return 1.0
    return value if value > 0 else 1.0


def sleep(seconds: float | SupportsIndex) -> None:
    """``time.sleep`` scaled by the run's speed: 3 s at speed 10 takes 0.3 s."""
    _real_sleep(float(seconds) / speed())
    sampler.nudge()  # the program goes on: its line moves


def _before_fork() -> None:
    streams.flush()
    events.coalescer.flush(everything=True)


def _after_fork_in_child() -> None:
    streams.after_fork()
    events.coalescer.after_fork()
    blocking.after_fork()
    values.after_fork()
    lifecycle.after_fork()
    if _views:
        sampler.start()


def install(*, views: bool = True) -> None:
    """Instrument this interpreter (idempotent): nothing unless ``PROCVIZ_EVENTS`` is set.

    ``views``: also queues, locks, pipes, pools, variables, lines and scaled sleeps.
    """
    global _core, _views
    if channel() is None:
        return
    if not _core:
        _core = True
        userfiles.setup()
        streams.install(before_line=values.check if views else _nothing)
        lifecycle.install()
        os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)
    if views and not _views:
        _views = True
        from workers.trace import objects, pools

        for stream in (streams.sys.stdout, streams.sys.stderr):
            if isinstance(stream, streams.TaggedStream):
                stream._before_line = values.check
        time.sleep = sleep
        objects.install()
        pools.install()
        # Python 3.12+ warns at every fork of a process with threads (ours is one).
        warnings.filterwarnings("ignore", message=r".*use of fork\(\) may lead to deadlocks")
        sampler.start()
        step.install()  # PROCVIZ_STEP: held before each line until the presenter says go


def _nothing() -> None:
    pass
