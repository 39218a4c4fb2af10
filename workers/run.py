"""The lesson root: ``python -m workers.run LESSON_ID '{"speed": 2}'``.

The server starts this in a fresh interpreter, in its own session and process
group (and, when it runs as root, as an unprivileged user). Before any lesson code
the root applies the run's resource limits (``PROCVIZ_LIMITS``), which every
process of the run inherits. If the server dies, its keeper (``app.keeper``) ends
the run: this process may be stopped or busy and cannot be trusted with that.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import sys
import traceback

from workers import catalog, harness

ENV_LIMITS = "PROCVIZ_LIMITS"  # JSON: {"RLIMIT_AS": bytes, ...}


def apply_limits(raw: str) -> None:
    """The run's limits, soft and hard alike (a lesson cannot raise them again)."""
    for name, value in json.loads(raw).items():
        which = getattr(resource, name)
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))


def run(lesson_id: str, raw_params: dict[str, object]) -> int:
    entry = catalog.get(lesson_id)
    if entry is None or entry.main is None:
        print(f"unknown lesson {lesson_id!r}; known: {', '.join(catalog.registry())}")
        return 2
    try:
        params = entry.lesson.validate(raw_params)
    except catalog.ParamError as exc:
        print(f"bad parameter {exc}")
        return 2
    os.environ[harness.ENV_SPEED] = str(params["speed"])
    multiprocessing.set_start_method(params["start_method"], force=True)
    try:
        entry.main(params)
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    limits = os.environ.pop(ENV_LIMITS, None)
    if limits:
        apply_limits(limits)
    if not args:
        print("usage: python -m workers.run LESSON_ID [PARAMS_JSON]")
        return 2
    raw = json.loads(args[1]) if len(args) > 1 else {}
    return run(args[0], raw)


def standalone(lesson_id: str) -> None:
    """Run one lesson from a terminal: ``python -m workers.lessons.zombie '{"speed": 2}'``."""
    sys.exit(main([lesson_id, *sys.argv[1:]]))


if __name__ == "__main__":
    sys.exit(main())
